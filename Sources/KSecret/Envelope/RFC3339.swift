/// RFC 3339 timestamps as Go's `time.Parse(time.RFC3339, …)` reads them and
/// `Format(time.RFC3339)` writes them (Format.md §3.2): the canonical form has second precision,
/// `Z` for a zero offset and `±hh:mm` otherwise.
///
/// Use `canonical` for `lastmodified` (the MAC's AAD) and `created_at`.
public struct RFC3339: Sendable, Equatable {
    public var year, month, day, hour, minute, second: Int
    /// Fractional seconds as written (digits only), dropped by `canonical`.
    public var fraction: String
    /// Offset from UTC in minutes.
    public var offsetMinutes: Int

    /// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±hh:mm)`; nil when the text is not RFC 3339 or a field
    /// is out of range.
    public static func parse(_ text: String) -> RFC3339? {
        let b = Array(text.utf8)
        func num(_ at: Int, _ count: Int) -> Int? {
            guard at + count <= b.count else { return nil }
            var v = 0
            for i in at..<(at + count) {
                let c = b[i]
                guard c >= 48 && c <= 57 else { return nil }
                v = v * 10 + Int(c - 48)
            }
            return v
        }
        func at(_ i: Int, _ c: Character) -> Bool { i < b.count && b[i] == c.asciiValue! }
        guard let year = num(0, 4), at(4, "-"), let month = num(5, 2), at(7, "-"), let day = num(8, 2),
              at(10, "T"), let hour = num(11, 2), at(13, ":"), let minute = num(14, 2), at(16, ":"),
              let second = num(17, 2) else { return nil }
        var i = 19
        var fraction = ""
        if at(i, ".") {
            var j = i + 1
            while j < b.count && b[j] >= 48 && b[j] <= 57 { j += 1 }
            guard j > i + 1 else { return nil }
            fraction = String(decoding: b[(i + 1)..<j], as: UTF8.self)
            i = j
        }
        var offset = 0
        if at(i, "Z") {
            i += 1
        } else if at(i, "+") || at(i, "-") {
            guard let oh = num(i + 1, 2), at(i + 3, ":"), let om = num(i + 4, 2), oh < 24, om < 60 else { return nil }
            offset = (oh * 60 + om) * (at(i, "-") ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        guard (1...12).contains(month), hour < 24, minute < 60, second < 60, day >= 1,
              day <= daysIn(month: month, year: year) else { return nil }
        return RFC3339(year: year, month: month, day: day, hour: hour, minute: minute, second: second,
                       fraction: fraction, offsetMinutes: offset)
    }

    /// The days of a month in the proleptic Gregorian calendar, as Go counts them.
    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Go's `Format(time.RFC3339)`: second precision, `Z` or `±hh:mm`.
    public var canonical: String {
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
        }
        var text = "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(hour, 2)):\(pad(minute, 2)):\(pad(second, 2))"
        if offsetMinutes == 0 {
            text += "Z"
        } else {
            let m = abs(offsetMinutes)
            text += (offsetMinutes < 0 ? "-" : "+") + pad(m / 60, 2) + ":" + pad(m % 60, 2)
        }
        return text
    }

    /// The canonical form of `text`, or nil when it is not RFC 3339.
    public static func canonicalize(_ text: String) -> String? { parse(text)?.canonical }
}
