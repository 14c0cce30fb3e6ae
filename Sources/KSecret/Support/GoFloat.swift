/// Go's float formatting, which sops's output follows: the shortest decimal that round-trips,
/// in Go's `'f'` form (no exponent, used for encryption) and `'g'` form (YAML output).
public enum GoFloat {
    /// Shortest round-trip decimal digits and the decimal point position: value = 0.d1d2… × 10^dp.
    static func shortest(_ value: Double) -> (negative: Bool, digits: [UInt8], dp: Int) {
        // Swift's description is the shortest round-trip form ("1.5", "1e-06", "6.02e+23").
        let text = Array(String(value.magnitude).utf8)
        var digits: [UInt8] = []
        var pointAt: Int?
        var exponent = 0
        var i = 0
        while i < text.count {
            let c = text[i]
            if c == UInt8(ascii: ".") { pointAt = digits.count }
            else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                exponent = Int(String(decoding: text[(i + 1)...], as: UTF8.self)) ?? 0
                break
            } else { digits.append(c) }
            i += 1
        }
        var dp = (pointAt ?? digits.count) + exponent
        // Strip leading zeros (each moves the point left) and trailing zeros.
        while digits.count > 1, digits.first == UInt8(ascii: "0") { digits.removeFirst(); dp -= 1 }
        while digits.count > 1, digits.last == UInt8(ascii: "0") { digits.removeLast() }
        if digits == [UInt8(ascii: "0")] { dp = 1 }
        return (value.sign == .minus && value != 0, digits, dp)
    }

    /// `strconv.FormatFloat(v, 'f', -1, 64)`: `0.75`, `1`, `10000000000`, `+Inf`, `NaN`.
    public static func formatF(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        let (negative, digits, dp) = shortest(value)
        var out = negative ? "-" : ""
        if dp <= 0 {
            out += "0." + String(repeating: "0", count: -dp) + String(decoding: digits, as: UTF8.self)
        } else if dp >= digits.count {
            out += String(decoding: digits, as: UTF8.self) + String(repeating: "0", count: dp - digits.count)
        } else {
            out += String(decoding: digits[..<dp], as: UTF8.self) + "." + String(decoding: digits[dp...], as: UTF8.self)
        }
        return out
    }

    /// `strconv.FormatFloat(v, 'g', -1, 64)`, as sops's YAML output writes floats: for the shortest
    /// digits Go switches to the exponent form when the exponent is < -4 or >= 6 (`1e+06`, `1e-05`).
    public static func formatG(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        let (negative, digits, dp) = shortest(value)
        let exp = dp - 1
        let eprec = 6
        if exp < -4 || exp >= eprec {
            var out = negative ? "-" : ""
            out += String(UnicodeScalar(digits[0]))
            if digits.count > 1 { out += "." + String(decoding: digits[1...], as: UTF8.self) }
            out += exp < 0 ? "e-" : "e+"
            let e = abs(exp)
            out += e < 10 ? "0\(e)" : "\(e)"
            return out
        }
        return formatF(value)
    }
}
