/// An order-preserving JSON reader over bytes (RFC 8259, as Go's decoder accepts it).
///
/// Why not Foundation: `JSONSerialization` loses key order and duplicate keys, which sops keeps
/// (the MAC depends on the order). Every number is read as a float64, as sops 3.11 does
/// (Format.md §6.2). Each scalar gets an `origin` indexing `spans`, the byte range of its token.
struct JSONReader {
    struct Member {
        var key: String
        var keyStart: Int
        var valueStart: Int
        var valueEnd: Int
        var value: Node
    }

    struct Result {
        /// Top-level members in file order.
        var members: [Member]
        var openBrace: Int
        var closeBrace: Int
        var spans: [Range<Int>]
    }

    let path: String
    let maxDepth = Document.maxDepth

    /// Reads a document whose top level must be an object.
    func read(_ source: [UInt8]) throws -> Result {
        try source.withUnsafeBufferPointer { buf in
            var p = Parser(buf: buf, source: source, path: path, maxDepth: maxDepth)
            p.skipSpace()
            guard p.pos < buf.count else { throw p.error("unexpected end of json input", at: p.pos) }
            guard buf[p.pos] == UInt8(ascii: "{") else {
                throw p.error("top level of a json file must be an object", at: p.pos)
            }
            let open = p.pos
            var members: [Member] = []
            p.pos += 1
            p.skipSpace()
            if p.peek() == UInt8(ascii: "}") {
                p.pos += 1
            } else {
                while true {
                    p.skipSpace()
                    guard p.peek() == UInt8(ascii: "\"") else { throw p.error("expected a string for an object key", at: p.pos) }
                    let keyStart = p.pos
                    let key = try p.string()
                    p.skipSpace()
                    guard p.peek() == UInt8(ascii: ":") else { throw p.error("expected ':' after an object key", at: p.pos) }
                    p.pos += 1
                    p.skipSpace()
                    let valueStart = p.pos
                    let value = try p.value(depth: 1)
                    members.append(Member(key: key, keyStart: keyStart, valueStart: valueStart, valueEnd: p.pos, value: value))
                    p.skipSpace()
                    guard let c = p.peek() else { throw p.error("unexpected end of json input", at: p.pos) }
                    if c == UInt8(ascii: ",") { p.pos += 1; continue }
                    if c == UInt8(ascii: "}") { p.pos += 1; break }
                    throw p.error("expected ',' or '}' after an object value", at: p.pos)
                }
            }
            let close = p.pos - 1
            p.skipSpace()
            if p.pos < buf.count { throw p.error("unexpected content after the top-level object", at: p.pos) }
            return Result(members: members, openBrace: open, closeBrace: close, spans: p.spans)
        }
    }

    /// Reads one JSON value of any kind (used for metadata tests and `sops` values); no origins needed.
    static func readValue(_ source: [UInt8], path: String = "") throws -> Node {
        try source.withUnsafeBufferPointer { buf in
            var p = Parser(buf: buf, source: source, path: path, maxDepth: Document.maxDepth)
            p.skipSpace()
            let v = try p.value(depth: 0)
            p.skipSpace()
            if p.pos < buf.count { throw p.error("unexpected content after the json value", at: p.pos) }
            return v
        }
    }

    private struct Parser {
        let buf: UnsafeBufferPointer<UInt8>
        let source: [UInt8]
        let path: String
        let maxDepth: Int
        var pos = 0
        var spans: [Range<Int>] = []

        init(buf: UnsafeBufferPointer<UInt8>, source: [UInt8], path: String, maxDepth: Int) {
            self.buf = buf
            self.source = source
            self.path = path
            self.maxDepth = maxDepth
        }

        func error(_ message: String, at offset: Int) -> KSecretError {
            StoreErrors.syntax(message, source: source, offset: offset, path: path)
        }

        @inline(__always) func peek() -> UInt8? { pos < buf.count ? buf[pos] : nil }

        @inline(__always) mutating func skipSpace() {
            while pos < buf.count {
                let c = buf[pos]
                if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { pos += 1 } else { break }
            }
        }

        mutating func leaf(_ value: ScalarValue, from start: Int) -> Node {
            spans.append(start..<pos)
            return .scalar(Scalar(value, origin: spans.count - 1))
        }

        mutating func value(depth: Int) throws -> Node {
            guard let c = peek() else { throw error("unexpected end of json input", at: pos) }
            let start = pos
            switch c {
            case UInt8(ascii: "{"):
                if depth >= maxDepth { throw error("the document is nested deeper than \(maxDepth) levels", at: pos) }
                pos += 1
                var entries: [MappingEntry] = []
                skipSpace()
                if peek() == UInt8(ascii: "}") { pos += 1; return .mapping(entries) }
                while true {
                    skipSpace()
                    guard peek() == UInt8(ascii: "\"") else { throw error("expected a string for an object key", at: pos) }
                    let key = try string()
                    skipSpace()
                    guard peek() == UInt8(ascii: ":") else { throw error("expected ':' after an object key", at: pos) }
                    pos += 1
                    skipSpace()
                    entries.append(.pair(key: key, value: try value(depth: depth + 1)))
                    skipSpace()
                    guard let d = peek() else { throw error("unexpected end of json input", at: pos) }
                    if d == UInt8(ascii: ",") { pos += 1; continue }
                    if d == UInt8(ascii: "}") { pos += 1; return .mapping(entries) }
                    throw error("expected ',' or '}' after an object value", at: pos)
                }
            case UInt8(ascii: "["):
                if depth >= maxDepth { throw error("the document is nested deeper than \(maxDepth) levels", at: pos) }
                pos += 1
                var items: [Node] = []
                skipSpace()
                if peek() == UInt8(ascii: "]") { pos += 1; return .sequence(items) }
                while true {
                    skipSpace()
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    guard let d = peek() else { throw error("unexpected end of json input", at: pos) }
                    if d == UInt8(ascii: ",") { pos += 1; continue }
                    if d == UInt8(ascii: "]") { pos += 1; return .sequence(items) }
                    throw error("expected ',' or ']' after an array element", at: pos)
                }
            case UInt8(ascii: "\""):
                let s = try string()
                return leaf(.string(s), from: start)
            case UInt8(ascii: "t"):
                try literal("true"); return leaf(.bool(true), from: start)
            case UInt8(ascii: "f"):
                try literal("false"); return leaf(.bool(false), from: start)
            case UInt8(ascii: "n"):
                try literal("null"); return leaf(.null, from: start)
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let d = try number()
                return leaf(.float(d), from: start)
            default:
                throw error("invalid character looking for the beginning of a value", at: pos)
            }
        }

        mutating func literal(_ word: String) throws {
            let w = Array(word.utf8)
            let n = w.count
            guard pos + n <= buf.count else { throw error("invalid literal", at: pos) }
            for i in 0..<n where buf[pos + i] != w[i] { throw error("invalid literal", at: pos + i) }
            pos += n
        }

        mutating func number() throws -> Double {
            let start = pos
            func digit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
            if peek() == UInt8(ascii: "-") { pos += 1 }
            guard let first = peek(), digit(first) else { throw error("invalid number", at: pos) }
            if first == UInt8(ascii: "0") { pos += 1 } else { while let c = peek(), digit(c) { pos += 1 } }
            if peek() == UInt8(ascii: ".") {
                pos += 1
                guard let c = peek(), digit(c) else { throw error("invalid number: expected a digit after '.'", at: pos) }
                while let c = peek(), digit(c) { pos += 1 }
            }
            if let e = peek(), e == UInt8(ascii: "e") || e == UInt8(ascii: "E") {
                pos += 1
                if let s = peek(), s == UInt8(ascii: "+") || s == UInt8(ascii: "-") { pos += 1 }
                guard let c = peek(), digit(c) else { throw error("invalid number: expected a digit in the exponent", at: pos) }
                while let c = peek(), digit(c) { pos += 1 }
            }
            let text = String(decoding: UnsafeBufferPointer(rebasing: buf[start..<pos]), as: UTF8.self)
            guard let d = Double(text), d.isFinite else { throw error("number out of range for a float64", at: start) }
            return d
        }

        static func hexValue(_ c: UInt8) -> UInt32? {
            switch c {
            case 0x30...0x39: return UInt32(c - 0x30)
            case 0x41...0x46: return UInt32(c - 0x41 + 10)
            case 0x61...0x66: return UInt32(c - 0x61 + 10)
            default: return nil
            }
        }

        mutating func hex4(at i: Int) -> UInt32? {
            guard i + 4 <= buf.count else { return nil }
            var v: UInt32 = 0
            for k in 0..<4 {
                guard let h = Parser.hexValue(buf[i + k]) else { return nil }
                v = v << 4 | h
            }
            return v
        }

        /// Reads a string token starting at the opening quote; invalid UTF-8 and lone surrogates
        /// become U+FFFD, as in Go.
        mutating func string() throws -> String {
            let open = pos
            pos += 1
            let contentStart = pos
            // Fast path: no escapes.
            while pos < buf.count {
                let c = buf[pos]
                if c == UInt8(ascii: "\"") {
                    let s = String(decoding: UnsafeBufferPointer(rebasing: buf[contentStart..<pos]), as: UTF8.self)
                    pos += 1
                    return s
                }
                if c == UInt8(ascii: "\\") { break }
                if c < 0x20 { throw error("invalid control character in a string", at: pos) }
                pos += 1
            }
            if pos >= buf.count { throw error("unterminated string", at: open) }
            var bytes = Array(UnsafeBufferPointer(rebasing: buf[contentStart..<pos]))
            while pos < buf.count {
                let c = buf[pos]
                if c == UInt8(ascii: "\"") {
                    pos += 1
                    return String(decoding: bytes, as: UTF8.self)
                }
                if c < 0x20 { throw error("invalid control character in a string", at: pos) }
                if c != UInt8(ascii: "\\") { bytes.append(c); pos += 1; continue }
                guard pos + 1 < buf.count else { break }
                let e = buf[pos + 1]
                pos += 2
                switch e {
                case UInt8(ascii: "\""): bytes.append(0x22)
                case UInt8(ascii: "\\"): bytes.append(0x5C)
                case UInt8(ascii: "/"): bytes.append(0x2F)
                case UInt8(ascii: "b"): bytes.append(0x08)
                case UInt8(ascii: "f"): bytes.append(0x0C)
                case UInt8(ascii: "n"): bytes.append(0x0A)
                case UInt8(ascii: "r"): bytes.append(0x0D)
                case UInt8(ascii: "t"): bytes.append(0x09)
                case UInt8(ascii: "u"):
                    guard var scalar = hex4(at: pos) else { throw error("invalid \\u escape in a string", at: pos - 2) }
                    pos += 4
                    if scalar >= 0xD800 && scalar < 0xDC00 {
                        if pos + 1 < buf.count, buf[pos] == UInt8(ascii: "\\"), buf[pos + 1] == UInt8(ascii: "u"),
                           let low = hex4(at: pos + 2), low >= 0xDC00 && low < 0xE000 {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                            pos += 6
                        } else {
                            scalar = 0xFFFD
                        }
                    } else if scalar >= 0xDC00 && scalar < 0xE000 {
                        scalar = 0xFFFD
                    }
                    bytes.append(contentsOf: Array(String(Character(Unicode.Scalar(scalar)!)).utf8))
                default:
                    throw error("invalid escape character in a string", at: pos - 1)
                }
            }
            throw error("unterminated string", at: open)
        }
    }
}
