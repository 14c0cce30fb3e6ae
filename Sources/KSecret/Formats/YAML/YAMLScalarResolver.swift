import KSecretSystem

/// Resolves plain YAML scalars to typed values the way sops's YAML library (yaml.v3) does:
/// the YAML 1.2 core schema plus unquoted timestamps (Format.md §4.2). `yes`/`no`/`on`/`off` stay
/// strings.
enum YAMLScalarResolver {
    static func resolvePlain(_ text: String) -> ScalarValue {
        if text.isEmpty { return .null }
        // Most values are words: only these first characters can start a null, bool, number or date.
        guard let head = text.utf8.first else { return .null }
        switch head {
        case UInt8(ascii: "~"), UInt8(ascii: "n"), UInt8(ascii: "N"), UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"),
             UInt8(ascii: "F"), UInt8(ascii: "."), UInt8(ascii: "+"), UInt8(ascii: "-"), 0x30...0x39:
            break
        default:
            return .string(text)
        }
        let bytes = Array(text.utf8)
        switch text {
        case "~", "null", "Null", "NULL": return .null
        case "true", "True", "TRUE": return .bool(true)
        case "false", "False", "FALSE": return .bool(false)
        case ".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF": return .float(.infinity)
        case "-.inf", "-.Inf", "-.INF": return .float(-.infinity)
        case ".nan", ".NaN", ".NAN": return .float(.nan)
        default: break
        }
        let first = bytes[0]
        let numericStart = (first >= 0x30 && first <= 0x39) || first == UInt8(ascii: "-") || first == UInt8(ascii: "+") || first == UInt8(ascii: ".")
        if numericStart {
            // sops's YAML library drops underscores before parsing numbers (`1_000` is 1000).
            let digits = bytes.contains(UInt8(ascii: "_")) ? bytes.filter { $0 != UInt8(ascii: "_") } : bytes
            if !digits.isEmpty, let int = parseInt(digits) { return .int(int) }
            if !digits.isEmpty, isFloat(digits), let value = Double(String(decoding: digits, as: UTF8.self)) { return .float(value) }
            if let time = parseTimestamp(text) { return .time(time) }
        }
        return .string(text)
    }

    /// Integers: decimal, `0x`, `0o`, `0b`, with an optional sign. Values beyond Int64 are not
    /// integers here (sops refuses them; ksecret keeps them as strings).
    static func parseInt(_ bytes: [UInt8]) -> Int64? {
        var i = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "-") || bytes[0] == UInt8(ascii: "+") { negative = bytes[0] == UInt8(ascii: "-"); i = 1 }
        guard i < bytes.count else { return nil }
        var radix: Int64 = 10
        if bytes.count - i >= 2, bytes[i] == UInt8(ascii: "0") {
            switch bytes[i + 1] {
            case UInt8(ascii: "x"), UInt8(ascii: "X"): radix = 16; i += 2
            case UInt8(ascii: "o"), UInt8(ascii: "O"): radix = 8; i += 2
            case UInt8(ascii: "b"), UInt8(ascii: "B"): radix = 2; i += 2
            default: radix = 8; i += 1   // Go's base-0 rule: a leading 0 means octal
            }
        }
        guard i < bytes.count else { return nil }
        var value: Int64 = 0
        for b in bytes[i...] {
            let digit: Int64
            switch b {
            case 0x30...0x39: digit = Int64(b - 0x30)
            case 0x61...0x66: digit = Int64(b - 0x61 + 10)
            case 0x41...0x46: digit = Int64(b - 0x41 + 10)
            default: return nil
            }
            guard digit < radix else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: radix)
            let (s, o2) = negative ? m.subtractingReportingOverflow(digit) : m.addingReportingOverflow(digit)
            if o1 || o2 { return nil }
            value = s
        }
        return value
    }

    /// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
    static func isFloat(_ bytes: [UInt8]) -> Bool {
        var i = 0
        if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { i += 1 }
        var digits = 0
        while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1; digits += 1 }
        if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
            i += 1
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1; digits += 1 }
        }
        guard digits > 0 else { return false }
        if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
            i += 1
            if i < bytes.count, bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") { i += 1 }
            var exp = 0
            while i < bytes.count, bytes[i] >= 0x30, bytes[i] <= 0x39 { i += 1; exp += 1 }
            guard exp > 0 else { return false }
        }
        return i == bytes.count
    }

    /// An unquoted timestamp as yaml.v3 (and so sops) reads one, as the RFC 3339 text sops encrypts
    /// (Go's `MarshalText`: fractional seconds without trailing zeros, `Z` for a zero offset), or nil
    /// for a string.
    ///
    /// yaml.v3 tries Go's `time.Parse` with four layouts: `2006-1-2T15:4:5.999999999Z07:00`, the
    /// same with `t`, `2006-1-2 15:4:5.999999999` and `2006-1-2`. So (Format.md §4.2): one- or
    /// two-digit month, day, hour, minute and second; one or more spaces (not a tab) before a time
    /// with no zone; a fraction after `.` or `,`; a zone that is `Z` or exactly `±hh:mm` (hours up to
    /// 24, minutes up to 60) after a `T` time and none after a spaced one; nothing after. A day past
    /// its month's end, an hour of 24 or a 60th second is no time. An offset of 24 hours or more
    /// parses in Go, but sops then cannot encrypt the file (`MarshalText` refuses it): a string here.
    static func parseTimestamp(_ text: String) -> String? {
        var copy = text
        return copy.withUTF8 { b -> String? in
            func digit(_ k: Int) -> Int? { k < b.count && b[k] >= 0x30 && b[k] <= 0x39 ? Int(b[k] - 0x30) : nil }
            func at(_ k: Int, _ c: UInt8) -> Bool { k < b.count && b[k] == c }
            var i = 0
            /// Go's `getnum(value, false)`: one digit, or two when the second is one too.
            func number() -> Int? {
                guard let d0 = digit(i) else { return nil }
                if let d1 = digit(i + 1) { i += 2; return d0 * 10 + d1 }
                i += 1
                return d0
            }
            guard let y0 = digit(0), let y1 = digit(1), let y2 = digit(2), let y3 = digit(3), at(4, 0x2D) else { return nil }
            let year = y0 * 1000 + y1 * 100 + y2 * 10 + y3
            i = 5
            guard let month = number(), (1...12).contains(month), at(i, 0x2D) else { return nil }
            i += 1
            guard let day = number(), day >= 1, day <= RFC3339.daysIn(month: month, year: year) else { return nil }
            func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
            let date = String(decoding: UnsafeBufferPointer(rebasing: b[0..<4]), as: UTF8.self) + "-" + two(month) + "-" + two(day)
            if i == b.count { return date + "T00:00:00Z" }
            let zoned: Bool
            if at(i, UInt8(ascii: "T")) || at(i, UInt8(ascii: "t")) {
                zoned = true
                i += 1
            } else if at(i, 0x20) {
                zoned = false
                while at(i, 0x20) { i += 1 }
            } else {
                return nil
            }
            guard let hour = number(), hour < 24, at(i, 0x3A) else { return nil }
            i += 1
            guard let minute = number(), minute < 60, at(i, 0x3A) else { return nil }
            i += 1
            guard let second = number(), second < 60 else { return nil }
            var result = date + "T" + two(hour) + ":" + two(minute) + ":" + two(second)
            if at(i, 0x2E) || at(i, 0x2C), digit(i + 1) != nil {
                var j = i + 1
                while digit(j) != nil { j += 1 }
                // Nanoseconds: the first nine digits count, trailing zeros are not written.
                var fraction = Array(b[(i + 1)..<min(j, i + 10)])
                while fraction.last == 0x30 { fraction.removeLast() }
                if !fraction.isEmpty { result += "." + String(decoding: fraction, as: UTF8.self) }
                i = j
            }
            var offset = 0
            if zoned {
                if at(i, UInt8(ascii: "Z")) {
                    i += 1
                } else {
                    guard at(i, 0x2B) || at(i, 0x2D), let h0 = digit(i + 1), let h1 = digit(i + 2), at(i + 3, 0x3A),
                          let m0 = digit(i + 4), let m1 = digit(i + 5) else { return nil }
                    let (oh, om) = (h0 * 10 + h1, m0 * 10 + m1)
                    guard oh <= 24, om <= 60 else { return nil }
                    offset = (oh * 60 + om) * (at(i, 0x2D) ? -1 : 1)
                    i += 6
                }
            }
            guard i == b.count, abs(offset) < 24 * 60 else { return nil }
            if offset == 0 { return result + "Z" }
            return result + (offset < 0 ? "-" : "+") + two(abs(offset) / 60) + ":" + two(abs(offset) % 60)
        }
    }
}
