/// Turns typed leaf values into the bytes sops encrypts and hashes, and back (Format.md §1.3).
///
/// Policy: the byte forms are Go's, because they feed both the ciphertext and the MAC and must be
/// identical to what sops produces: decimal `strconv.Itoa` for ints, `FormatFloat(v, 'f', -1, 64)`
/// for floats (shortest round-trip digits, never an exponent, `+Inf`/`-Inf`/`NaN`), `True`/`False`
/// for bools, RFC 3339 text for times, raw bytes for strings and byte strings.
public enum ValueCodec {
    /// What an encrypted value decodes to: a typed scalar, or the text of a comment.
    public enum Decoded: Sendable, Equatable {
        case value(ScalarValue)
        case comment(String)
    }

    /// The bytes and sops type name of `value`. `.bytes` goes out as `str` with the raw bytes (as
    /// sops's binary store does). Throws exit 23 for `.null`, which is never encrypted.
    public static func encode(_ value: ScalarValue) throws -> (bytes: [UInt8], type: String) {
        switch value {
        case .string(let s): return (Array(s.utf8), "str")
        case .bytes(let b): return (b, "str")
        case .int(let i): return (Array(String(i).utf8), "int")
        case .float(let d): return (Array(formatFloat(d).utf8), "float")
        case .bool(let b): return (Array((b ? "True" : "False").utf8), "bool")
        case .time(let t): return (Array(t.utf8), "time")
        case .null: throw KSecretError(.errorEncryptingTree, "a null value cannot be encrypted")
        }
    }

    /// The bytes a value contributes to the MAC (the same as its encrypted bytes; nothing for null).
    public static func macBytes(_ value: ScalarValue) -> [UInt8] {
        if case .null = value { return [] }
        return (try? encode(value).bytes) ?? []
    }

    /// Decodes the plaintext of an encrypted value of type `type`. Throws exit 25 for an unknown
    /// type or bytes that do not parse as that type; the message never contains the bytes.
    public static func decode(_ bytes: [UInt8], type: String, path: [String] = []) throws -> Decoded {
        func bad(_ what: String) -> KSecretError {
            KSecretError(.errorDecryptingTree, "encrypted value at \(TreePath.render(path)) is not a valid \(what)",
                         location: SourceLocation(keyPath: path))
        }
        switch type {
        case "str":
            if let s = String(validating: bytes, as: UTF8.self) { return .value(.string(s)) }
            return .value(.bytes(bytes))
        case "bytes":
            return .value(.bytes(bytes))
        case "comment":
            return .comment(String(decoding: bytes, as: UTF8.self))
        case "int", "int64":
            guard let i = parseInt(bytes) else { throw bad("int") }
            return .value(.int(i))
        case "float":
            guard let d = parseFloat(String(decoding: bytes, as: UTF8.self)) else { throw bad("float") }
            return .value(.float(d))
        case "bool":
            guard let b = parseBool(String(decoding: bytes, as: UTF8.self)) else { throw bad("bool") }
            return .value(.bool(b))
        case "time":
            let text = String(decoding: bytes, as: UTF8.self)
            guard RFC3339.parse(text) != nil else { throw bad("time") }
            return .value(.time(text))
        default:
            throw KSecretError(.errorDecryptingTree, "encrypted value at \(TreePath.render(path)) has unknown type \"\(type)\"",
                               hints: ["known types: str, int, float, bool, time, comment, bytes"],
                               location: SourceLocation(keyPath: path))
        }
    }

    /// Go's `strconv.FormatFloat(v, 'f', -1, 64)`: the plaintext of a `float` value.
    public static func formatFloat(_ v: Double) -> String { GoFloatFormat.fixed(v) }

    /// Go's `strconv.ParseBool`.
    public static func parseBool(_ text: String) -> Bool? {
        switch text {
        case "1", "t", "T", "TRUE", "true", "True": return true
        case "0", "f", "F", "FALSE", "false", "False": return false
        default: return nil
        }
    }

    /// Go's `strconv.Atoi` on 64 bits: optional sign, decimal digits, no overflow.
    public static func parseInt(_ bytes: [UInt8]) -> Int64? {
        guard !bytes.isEmpty else { return nil }
        var i = 0
        var negative = false
        if bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-") { negative = bytes[0] == UInt8(ascii: "-"); i = 1 }
        guard i < bytes.count else { return nil }
        var value: Int64 = 0
        while i < bytes.count {
            let c = bytes[i]
            guard c >= UInt8(ascii: "0") && c <= UInt8(ascii: "9") else { return nil }
            let d = Int64(c - UInt8(ascii: "0"))
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = negative ? m.subtractingReportingOverflow(d) : m.addingReportingOverflow(d)
            guard !o1 && !o2 else { return nil }
            value = s
            i += 1
        }
        return value
    }

    /// Go's `strconv.ParseFloat(text, 64)` for the forms sops can meet: decimal and hex floats,
    /// `inf`/`infinity`/`nan` in any case with an optional sign. Out-of-range values fail, as in Go.
    public static func parseFloat(_ text: String) -> Double? {
        var body = Substring(text)
        var sign: Double = 1
        if let first = body.first, first == "+" || first == "-" {
            if first == "-" { sign = -1 }
            body = body.dropFirst()
        }
        switch body.lowercased() {
        case "inf", "infinity": return sign * .infinity
        case "nan": return .nan
        default: break
        }
        guard let first = body.first, first.isASCII, first.isNumber || first == "." else { return nil }
        guard let value = Double(body), value.isFinite else { return nil }
        return sign * value
    }
}
