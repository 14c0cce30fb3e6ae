/// Helpers shared by the JSON, dotenv, INI and binary stores: error locations, origin-free tree
/// comparison, and the layout-preserving patcher.
///
/// Policy: an error names the file, line and column, never the text of a value.

extension Node {
    /// The same tree without any `origin` (for comparing metadata or trees read from different places).
    func strippingOrigins() -> Node {
        switch self {
        case .mapping(let entries):
            return .mapping(entries.map { entry in
                switch entry {
                case .pair(let k, let v): return .pair(key: k, value: v.strippingOrigins())
                case .comment(let c): return .comment(Comment(c.text))
                }
            })
        case .sequence(let items): return .sequence(items.map { $0.strippingOrigins() })
        case .scalar(let s): return .scalar(Scalar(s.value))
        case .comment(let c): return .comment(Comment(c.text))
        }
    }
}

enum StoreErrors {
    /// 1-based line and column of byte `offset` in `source` (column counts bytes).
    static func lineColumn(_ source: [UInt8], _ offset: Int) -> (line: Int, column: Int) {
        var line = 1
        var lineStart = 0
        let end = min(offset, source.count)
        var i = 0
        while i < end {
            if source[i] == 0x0A { line += 1; lineStart = i + 1 }
            i += 1
        }
        return (line, end - lineStart + 1)
    }

    static func syntax(_ message: String, source: [UInt8], offset: Int, path: String) -> KSecretError {
        let (line, column) = lineColumn(source, offset)
        return KSecretError(.couldNotReadInputFile, message,
                            location: SourceLocation(file: path.isEmpty ? nil : path, line: line, column: column,
                                                     snippet: SourceLocation.snippet(in: source, line: line, column: column)))
    }

    /// Refuses what a flat store cannot carry: bytes that are not UTF-8 (each would be read as
    /// U+FFFD, so the file ksecret writes would hold other text than the author's), and with
    /// `controls`, control characters other than tab and line ends (go-ini trims some and splits
    /// lines at others, so a key or value holding one does not read back; sops writes such a file
    /// and then cannot decrypt it). The error names the line, the column and the byte, never the text.
    static func checkText(_ src: [UInt8], path: String, format: String, controls: Bool) throws {
        func refuse(_ offset: Int, _ message: String, _ hint: String) -> KSecretError {
            let (line, column) = lineColumn(src, offset)
            return KSecretError(.couldNotReadInputFile, message, hints: [hint],
                                location: SourceLocation(file: path.isEmpty ? nil : path, line: line, column: column))
        }
        func hex(_ b: UInt8) -> String { "0x" + (b < 0x10 ? "0" : "") + String(b, radix: 16, uppercase: true) }
        let n = src.count
        var i = 0
        while i < n {
            let b = src[i]
            if b < 0x80 {
                if controls, (b < 0x20 && b != 0x09 && b != 0x0A && !(b == 0x0D && i + 1 < n && src[i + 1] == 0x0A)) || b == 0x7F {
                    throw refuse(i, "the \(format) file holds a control character (byte \(hex(b)))",
                                 "a key, value or comment of an \(format) file cannot carry control characters (sops writes such a file and cannot read it back); remove it, or keep such a value in a YAML or JSON file")
                }
                i += 1
                continue
            }
            // UTF-8: the lead byte gives the length; the second byte's range excludes overlong forms and surrogates.
            var length = 0
            var second: ClosedRange<UInt8> = 0x80...0xBF
            switch b {
            case 0xC2...0xDF: length = 2
            case 0xE0: length = 3; second = 0xA0...0xBF
            case 0xE1...0xEC, 0xEE...0xEF: length = 3
            case 0xED: length = 3; second = 0x80...0x9F
            case 0xF0: length = 4; second = 0x90...0xBF
            case 0xF1...0xF3: length = 4
            case 0xF4: length = 4; second = 0x80...0x8F
            default: length = 0
            }
            var valid = length > 0 && i + length <= n && second.contains(src[i + 1])
            if valid { for k in 2..<max(2, length) where !(0x80...0xBF).contains(src[i + k]) { valid = false } }
            guard valid else {
                throw refuse(i, "the \(format) file is not valid UTF-8 (byte \(hex(b)))",
                             "ksecret reads \(format) files as UTF-8 text; convert the file to UTF-8, or encrypt it as binary")
            }
            i += length
        }
    }

    static func dump(_ message: String, keyPath: [String]) -> KSecretError {
        KSecretError(.errorDumpingTree, message, location: keyPath.isEmpty ? nil : SourceLocation(keyPath: keyPath))
    }
}

/// One replacement of source bytes.
struct ByteEdit {
    var range: Range<Int>
    var bytes: [UInt8]
}

/// Compares a document against the tree a store parsed and, when only leaf values and comment texts
/// differ, lists the leaves to rewrite. Used by every layout-preserving store.
enum LayoutDiff {
    enum Change {
        case scalar(origin: Int, value: ScalarValue, keyPath: [String])
        case comment(origin: Int, text: String)
    }

    /// The changed leaves, or nil when the structure differs (keys, order, lengths, node kinds or
    /// origins), in which case the caller writes the canonical layout.
    static func changes(new: Node, old: Node) -> [Change]? {
        var out: [Change] = []
        var path: [String] = []
        return walk(new, old, &out, &path) ? out : nil
    }

    private static func walk(_ new: Node, _ old: Node, _ out: inout [Change], _ path: inout [String]) -> Bool {
        switch (new, old) {
        case (.mapping(let a), .mapping(let b)):
            guard a.count == b.count else { return false }
            for (x, y) in zip(a, b) {
                switch (x, y) {
                case (.pair(let k1, let v1), .pair(let k2, let v2)):
                    guard k1 == k2 else { return false }
                    path.append(k1)
                    defer { path.removeLast() }
                    if !walk(v1, v2, &out, &path) { return false }
                case (.comment(let c1), .comment(let c2)):
                    if !comment(c1, c2, &out) { return false }
                default: return false
                }
            }
            return true
        case (.sequence(let a), .sequence(let b)):
            guard a.count == b.count else { return false }
            for (x, y) in zip(a, b) where !walk(x, y, &out, &path) { return false }
            return true
        case (.scalar(let s1), .scalar(let s2)):
            guard let o = s1.origin, o == s2.origin else { return false }
            if s1.value != s2.value || !sameType(s1.value, s2.value) {
                out.append(.scalar(origin: o, value: s1.value, keyPath: path))
            }
            return true
        case (.comment(let c1), .comment(let c2)):
            return comment(c1, c2, &out)
        default:
            return false
        }
    }

    private static func sameType(_ a: ScalarValue, _ b: ScalarValue) -> Bool {
        switch (a, b) {
        case (.string, .string), (.bytes, .bytes), (.int, .int), (.float, .float), (.bool, .bool), (.time, .time), (.null, .null): return true
        default: return false
        }
    }

    private static func comment(_ c1: Comment, _ c2: Comment, _ out: inout [Change]) -> Bool {
        guard let o = c1.origin, o == c2.origin else { return false }
        if c1.text != c2.text { out.append(.comment(origin: o, text: c1.text)) }
        return true
    }

    /// Applies non-overlapping edits (removals are edits with empty bytes) to `source`.
    static func apply(_ edits: [ByteEdit], to source: [UInt8]) -> [UInt8] {
        let sorted = edits.sorted { $0.range.lowerBound < $1.range.lowerBound || ($0.range.lowerBound == $1.range.lowerBound && $0.range.upperBound < $1.range.upperBound) }
        var out: [UInt8] = []
        out.reserveCapacity(source.count + 256)
        var pos = 0
        for edit in sorted {
            let start = max(edit.range.lowerBound, pos)
            if start > pos { out.append(contentsOf: source[pos..<start]) }
            out.append(contentsOf: edit.bytes)
            pos = max(pos, edit.range.upperBound)
        }
        if pos < source.count { out.append(contentsOf: source[pos...]) }
        return out
    }
}

/// sops's `stores.ValToString`: how dotenv and INI write a non-string leaf.
enum SopsValueText {
    static func string(_ value: ScalarValue) -> String {
        switch value {
        case .string(let s): return s
        case .bytes(let b): return String(decoding: b, as: UTF8.self)
        case .int(let i): return String(i)
        case .float(let d): return GoFloatFormat.sopsValString(d)
        case .bool(let b): return b ? "true" : "false"
        case .time(let t): return t
        case .null: return "<nil>"
        }
    }
}

extension Array where Element == UInt8 {
    /// Replaces every occurrence of `a` by `b` (byte sequences).
    func replacing(_ a: [UInt8], with b: [UInt8]) -> [UInt8] {
        guard !a.isEmpty, count >= a.count else { return self }
        var out: [UInt8] = []
        out.reserveCapacity(count)
        var i = 0
        while i < count {
            if self[i] == a[0] && i + a.count <= count && self[i..<(i + a.count)].elementsEqual(a) {
                out.append(contentsOf: b)
                i += a.count
            } else {
                out.append(self[i])
                i += 1
            }
        }
        return out
    }
}
