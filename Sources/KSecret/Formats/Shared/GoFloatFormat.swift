/// Formats a Double the way Go's `strconv.FormatFloat(v, fmt, -1, 64)` and `encoding/json` do.
///
/// Use this wherever sops's output depends on Go's float text: JSON numbers (`json`), the
/// plaintext of a `type:float` value (`fixed`), dotenv/INI stringification (`sopsValString`).
/// Swift's `description` already yields the shortest round-trip digits; only the layout differs.
public enum GoFloatFormat {
    /// Shortest digits and decimal point position: value = 0.DIGITS × 10^point. Empty digits = zero.
    static func decompose(_ value: Double) -> (digits: [UInt8], point: Int) {
        let text = Array(abs(value).description.utf8)
        var mantissa = text[...]
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }) {
            mantissa = text[..<e]
            exponent = Int(String(decoding: text[(e + 1)...], as: UTF8.self)) ?? 0
        }
        var digits: [UInt8] = []
        var point = 0
        var seenDot = false
        for c in mantissa {
            if c == UInt8(ascii: ".") { seenDot = true; continue }
            digits.append(c)
            if !seenDot { point += 1 }
        }
        point += exponent
        var lead = 0
        while lead < digits.count && digits[lead] == UInt8(ascii: "0") { lead += 1; point -= 1 }
        digits.removeFirst(lead)
        while let last = digits.last, last == UInt8(ascii: "0") { digits.removeLast() }
        if digits.isEmpty { point = 0 }
        return (digits, point)
    }

    private static func special(_ value: Double) -> String? {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        return nil
    }

    /// `strconv.FormatFloat(v, 'f', -1, 64)`: `1`, `0.75`, `10000000000`, `0.000001`.
    public static func fixed(_ value: Double) -> String {
        if let s = special(value) { return s }
        let (digits, point) = decompose(value)
        var out = value.sign == .minus ? "-" : ""
        if digits.isEmpty { return out + "0" }
        let d = String(decoding: digits, as: UTF8.self)
        if point <= 0 {
            out += "0." + String(repeating: "0", count: -point) + d
        } else if point >= digits.count {
            out += d + String(repeating: "0", count: point - digits.count)
        } else {
            out += String(decoding: digits[..<point], as: UTF8.self) + "." + String(decoding: digits[point...], as: UTF8.self)
        }
        return out
    }

    /// `strconv.FormatFloat(v, 'e'/'E', -1, 64)`: `1e+21`, `1.5e-07`.
    public static func exponent(_ value: Double, upper: Bool = false) -> String {
        if let s = special(value) { return s }
        let (digits, point) = decompose(value)
        var out = value.sign == .minus ? "-" : ""
        let ds = digits.isEmpty ? [UInt8(ascii: "0")] : digits
        out += String(UnicodeScalar(ds[0]))
        if ds.count > 1 { out += "." + String(decoding: ds[1...], as: UTF8.self) }
        let exp = digits.isEmpty ? 0 : point - 1
        out += upper ? "E" : "e"
        out += exp < 0 ? "-" : "+"
        let mag = abs(exp)
        out += mag < 10 ? "0\(mag)" : "\(mag)"
        return out
    }

    /// Go `encoding/json` float64 text: `8080`, `0.75`, `1e+21`, `1e-7`; nil for NaN/Inf (unsupported).
    public static func json(_ value: Double) -> String? {
        if value.isNaN || value.isInfinite { return nil }
        let a = abs(value)
        if a != 0 && (a < 1e-6 || a >= 1e21) {
            var s = exponent(value)
            // Go cleans up e-09 to e-9.
            let u = Array(s.utf8)
            let n = u.count
            if n >= 4 && u[n - 4] == UInt8(ascii: "e") && u[n - 3] == UInt8(ascii: "-") && u[n - 2] == UInt8(ascii: "0") {
                s = String(decoding: u[..<(n - 2)] + [u[n - 1]], as: UTF8.self)
            }
            return s
        }
        return fixed(value)
    }

    /// `strconv.FormatFloat(v, 'G' or 'g', -1, 64)`: the exponent form when the exponent is < -4 or
    /// >= 6 (shortest digits). sops's YAML output writes floats with `'g'` (`1e+10`, `1e-06`).
    public static func general(_ value: Double, upper: Bool = true) -> String {
        if let s = special(value) { return s }
        let (digits, point) = decompose(value)
        let exp = digits.isEmpty ? 0 : point - 1
        // Go: with shortest formatting eprec is 6, but raised to the digit count when that is larger
        // and the number is an integer... strconv: `if eprec > digs.nd && digs.nd >= digs.dp { eprec = digs.nd }`
        // then `if shortest { eprec = 6 }`.
        if exp < -4 || exp >= 6 { return exponent(value, upper: upper) }
        return fixed(value)
    }

    /// sops `stores.ValToString` for a float64: 'G' form, with `.0` added when it would read as an int.
    public static func sopsValString(_ value: Double) -> String {
        let g = general(value)
        if !g.contains(".") && !g.contains("E") {
            if value.isNaN || value.isInfinite { return g }
            return fixed(value) + ".0"
        }
        return g
    }
}
