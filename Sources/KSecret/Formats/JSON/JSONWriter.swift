/// Writes JSON the way sops does: `encoding/json` values (HTML-escaped strings, Go float text)
/// laid out by `json.Indent` (one member per line, `": "`, `{}`/`[]` for empty containers).
///
/// Comments: mapping-level comments are dropped; a comment inside a list is written as a string
/// only when it is encrypted (`ENC[...]`), which is where sops keeps encrypted list comments
/// (Format.md §2.5).
struct JSONWriter {
    /// The indentation unit; nil writes everything on one line (`emitValue` of a scalar only uses it for containers).
    var unit: [UInt8]
    var newline: Bool = true

    /// The unit for `stores.json.indent`: nil/-1 tab, 0 none, N spaces; < -1 is an error.
    static func unit(forIndent indent: Int?) throws -> [UInt8] {
        guard let indent, indent != -1 else { return [0x09] }
        if indent < -1 { throw KSecretError(.errorDumpingTree, "json indentation smaller than -1 is not accepted") }
        return [UInt8](repeating: 0x20, count: indent)
    }

    func newline(_ out: inout [UInt8], depth: Int) {
        guard newline else { return }
        out.append(0x0A)
        for _ in 0..<depth { out.append(contentsOf: unit) }
    }

    func write(_ node: Node, depth: Int, path: inout [String], into out: inout [UInt8]) throws {
        switch node {
        case .mapping(let entries):
            var first = true
            out.append(UInt8(ascii: "{"))
            for case .pair(let key, let value) in entries {
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                newline(&out, depth: depth + 1)
                JSONWriter.string(key, into: &out)
                out.append(UInt8(ascii: ":"))
                out.append(UInt8(ascii: " "))
                path.append(key)
                try write(value, depth: depth + 1, path: &path, into: &out)
                path.removeLast()
            }
            if !first { newline(&out, depth: depth) }
            out.append(UInt8(ascii: "}"))
        case .sequence(let items):
            var first = true
            out.append(UInt8(ascii: "["))
            for item in items {
                if case .comment(let c) = item, !c.text.hasPrefix("ENC[") { continue }
                if !first { out.append(UInt8(ascii: ",")) }
                first = false
                newline(&out, depth: depth + 1)
                try write(item, depth: depth + 1, path: &path, into: &out)
            }
            if !first { newline(&out, depth: depth) }
            out.append(UInt8(ascii: "]"))
        case .scalar(let s):
            try JSONWriter.scalar(s.value, path: path, into: &out)
        case .comment(let c):
            JSONWriter.string(c.text, into: &out)
        }
    }

    static func scalar(_ value: ScalarValue, path: [String], into out: inout [UInt8]) throws {
        switch value {
        case .string(let s): string(s, into: &out)
        case .bytes(let b): string(String(decoding: b, as: UTF8.self), into: &out)
        case .time(let t): string(t, into: &out)
        case .int(let i): out.append(contentsOf: Array(String(i).utf8))
        case .float(let d):
            guard let text = GoFloatFormat.json(d) else {
                throw StoreErrors.dump("json cannot represent infinity or nan", keyPath: path)
            }
            out.append(contentsOf: Array(text.utf8))
        case .bool(let b): out.append(contentsOf: b ? Array("true".utf8) : Array("false".utf8))
        case .null: out.append(contentsOf: Array("null".utf8))
        }
    }

    private static let hex = Array("0123456789abcdef".utf8)

    /// A JSON string as Go's `encoding/json` writes it with HTML escaping on.
    static func string(_ s: String, into out: inout [UInt8]) {
        out.append(0x22)
        var s = s
        s.withUTF8 { escape($0, into: &out) }
        out.append(0x22)
    }

    private static func escape(_ buf: UnsafeBufferPointer<UInt8>, into out: inout [UInt8]) {
        var i = 0
        var start = 0
        let n = buf.count
        while i < n {
            let c = buf[i]
            if c < 0x80 {
                if c >= 0x20 && c != 0x22 && c != 0x5C && c != 0x3C && c != 0x3E && c != 0x26 { i += 1; continue }
                if start < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[start..<i])) }
                switch c {
                case 0x22, 0x5C: out.append(0x5C); out.append(c)
                case 0x08: out.append(0x5C); out.append(UInt8(ascii: "b"))
                case 0x0C: out.append(0x5C); out.append(UInt8(ascii: "f"))
                case 0x0A: out.append(0x5C); out.append(UInt8(ascii: "n"))
                case 0x0D: out.append(0x5C); out.append(UInt8(ascii: "r"))
                case 0x09: out.append(0x5C); out.append(UInt8(ascii: "t"))
                default:
                    out.append(contentsOf: [0x5C, UInt8(ascii: "u"), 0x30, 0x30, hex[Int(c >> 4)], hex[Int(c & 0xF)]])
                }
                i += 1
                start = i
                continue
            }
            // U+2028 / U+2029 are E2 80 A8 / E2 80 A9.
            if c == 0xE2 && i + 2 < n && buf[i + 1] == 0x80 && (buf[i + 2] == 0xA8 || buf[i + 2] == 0xA9) {
                if start < i { out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[start..<i])) }
                out.append(contentsOf: Array("\\u202".utf8))
                out.append(buf[i + 2] == 0xA8 ? UInt8(ascii: "8") : UInt8(ascii: "9"))
                i += 3
                start = i
                continue
            }
            i += 1
        }
        if start < n { out.append(contentsOf: UnsafeBufferPointer(rebasing: buf[start..<n])) }
    }
}
