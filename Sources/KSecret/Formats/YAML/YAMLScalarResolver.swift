import Foundation

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

    /// yaml.v3's timestamp forms: `2006-1-2`, `2006-1-2T15:4:5.999999999Z07:00` (also `t` and a
    /// space instead of `T`). Returns the RFC 3339 text sops encrypts (nanoseconds trimmed, `Z` for UTC).
    private static let timestamp = try! NSRegularExpression(
        pattern: #"^([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:(?:[Tt]|[ \t]+)([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.([0-9]+))?[ \t]*(Z|[-+][0-9]{1,2}(?::?[0-9]{2})?)?)?$"#)

    static func parseTimestamp(_ text: String) -> String? {
        // Cheap pre-check: four digits and a dash.
        let b = Array(text.utf8.prefix(5))
        guard b.count == 5, b[0...3].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), b[4] == UInt8(ascii: "-") else { return nil }
        let regex = timestamp
        let ns = text as NSString
        guard let m = regex.firstMatch(in: text, range: NSRange(location: 0, length: ns.length)) else { return nil }
        func group(_ i: Int) -> String? {
            let r = m.range(at: i)
            return r.location == NSNotFound ? nil : ns.substring(with: r)
        }
        // As Go's time.Parse (yaml.v3): a day past its month's end (`1999-02-31`) or a 60th second is
        // no time, and the text stays a string.
        guard let y = Int(group(1)!), let mo = Int(group(2)!), let d = Int(group(3)!), (1...12).contains(mo) else { return nil }
        let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)
        let monthDays = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][mo - 1]
        guard (1...monthDays).contains(d) else { return nil }
        func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
        let date = String(format: "%04d-%@-%@", y, two(mo), two(d))
        guard let hh = group(4).flatMap(Int.init), let mm = group(5).flatMap(Int.init), let ss = group(6).flatMap(Int.init) else {
            return date + "T00:00:00Z"
        }
        guard hh < 24, mm < 60, ss < 60 else { return nil }
        var result = "\(date)T\(two(hh)):\(two(mm)):\(two(ss))"
        if var fraction = group(7) {
            while fraction.hasSuffix("0") { fraction.removeLast() }
            if fraction.count > 9 { fraction = String(fraction.prefix(9)) }
            if !fraction.isEmpty { result += "." + fraction }
        }
        switch group(8) {
        case nil, "Z": result += "Z"
        case let zone?:
            var digits = zone.dropFirst().replacingOccurrences(of: ":", with: "")
            if digits.count <= 2 { digits += "00" }
            if digits.count == 3 { digits = "0" + digits }
            let h = digits.prefix(2), mi = digits.suffix(2)
            if h == "00" && mi == "00" { result += "Z" } else { result += "\(zone.first!)\(h):\(mi)" }
        }
        return result
    }
}
