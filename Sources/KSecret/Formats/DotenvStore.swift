/// The dotenv store (Format.md §6.3): `KEY=value` lines, `#` comments, metadata as sorted
/// `sops_<flatkey>=value` lines at the end.
///
/// Unlike sops, a round trip keeps the author's file: blank lines, comments and order stay
/// where they were and only changed values are rewritten.
public struct DotenvStore: Store {
    public init() {}
    public var format: FileFormat { .dotenv }
    static let prefix = "sops_"

    public func parse(_ bytes: [UInt8], path: String) throws -> ParsedFile {
        // Keys and values are text: a byte that is not UTF-8 would come back as U+FFFD.
        try StoreErrors.checkText(bytes, path: path, format: "dotenv", controls: false)
        var entries: [MappingEntry] = []
        var spans: [Range<Int>] = []
        var flat: [(key: String, value: String)] = []
        var metadataLines: [Range<Int>] = []
        let n = bytes.count
        var start = 0
        var lineNumber = 1
        let prefix = Array(DotenvStore.prefix.utf8)
        while start <= n {
            var end = start
            while end < n && bytes[end] != 0x0A { end += 1 }
            defer { start = end + 1; lineNumber += 1 }
            if end == start { continue }
            if bytes[start] == UInt8(ascii: "#") {
                spans.append((start + 1)..<end)
                entries.append(.comment(Comment(String(decoding: bytes[(start + 1)..<end], as: UTF8.self), origin: spans.count - 1)))
                continue
            }
            guard let eq = bytes[start..<end].firstIndex(of: UInt8(ascii: "=")) else {
                throw KSecretError(.couldNotReadInputFile, "invalid dotenv line: expected KEY=value",
                                   location: SourceLocation(file: path.isEmpty ? nil : path, line: lineNumber, column: end - start + 1,
                                                            snippet: SourceLocation.snippet(in: bytes, line: lineNumber, column: end - start + 1)))
            }
            let keyBytes = bytes[start..<eq]
            let raw = Array(bytes[(eq + 1)..<end])
            if keyBytes.starts(with: prefix) {
                flat.append((String(decoding: keyBytes.dropFirst(prefix.count), as: UTF8.self), String(decoding: raw, as: UTF8.self)))
                metadataLines.append(start..<min(end + 1, n))
                continue
            }
            let value = String(decoding: raw.replacing(Array("\\n".utf8), with: [0x0A]), as: UTF8.self)
            spans.append((eq + 1)..<end)
            entries.append(.pair(key: String(decoding: keyBytes, as: UTF8.self), value: .scalar(Scalar(.string(value), origin: spans.count - 1))))
        }
        let metadata = flat.isEmpty ? nil : try MetadataFlattening.unflatten(flat)
        let tree = Node.mapping(entries)
        let layout = DotenvLayout(source: bytes, spans: spans, tree: tree, metadata: metadata, metadataLines: metadataLines)
        return ParsedFile(document: Document(branches: [tree]), metadata: metadata, format: .dotenv, layout: layout)
    }

    static func valueText(_ value: ScalarValue) -> [UInt8] {
        if case .string(let s) = value { return Array(s.utf8).replacing([0x0A], with: Array("\\n".utf8)) }
        if case .bytes(let b) = value { return b.replacing([0x0A], with: Array("\\n".utf8)) }
        return Array(SopsValueText.string(value).utf8)
    }

    static func metadataLines(_ metadata: Node?) -> [UInt8] {
        guard let metadata else { return [] }
        var out: [UInt8] = []
        for (k, v) in MetadataFlattening.flatten(metadata) {
            out.append(contentsOf: Array((prefix + k + "=" + v + "\n").utf8))
        }
        return out
    }

    public func emit(_ document: Document, metadata: Node?, source: ParsedFile?, options: StoreOptions) throws -> [UInt8] {
        let root = document.branches.first ?? .mapping([])
        guard case .mapping(let entries) = root else {
            throw KSecretError(.errorDumpingTree, "the top level of a dotenv document must be a mapping")
        }
        if let layout = source?.layout as? DotenvLayout, let changes = LayoutDiff.changes(new: root, old: layout.tree) {
            var edits: [ByteEdit] = []
            for change in changes {
                switch change {
                case .scalar(let origin, let value, _):
                    edits.append(ByteEdit(range: layout.spans[origin], bytes: DotenvStore.valueText(value)))
                case .comment(let origin, let text):
                    edits.append(ByteEdit(range: layout.spans[origin], bytes: Array(text.utf8)))
                }
            }
            let newMeta = metadata?.strippingOrigins()
            var tail: [UInt8] = []
            if newMeta != layout.metadata {
                for r in layout.metadataLines { edits.append(ByteEdit(range: r, bytes: [])) }
                tail = DotenvStore.metadataLines(newMeta)
            }
            var out = LayoutDiff.apply(edits, to: layout.source)
            if !tail.isEmpty {
                if let last = out.last, last != 0x0A { out.append(0x0A) }
                out.append(contentsOf: tail)
            }
            return out
        }
        var out: [UInt8] = []
        for entry in entries {
            switch entry {
            case .comment(let c):
                out.append(UInt8(ascii: "#"))
                out.append(contentsOf: Array(c.text.utf8))
                out.append(0x0A)
            case .pair(let key, let value):
                guard case .scalar(let s) = value else {
                    if case .comment = value { continue }
                    throw StoreErrors.dump("cannot use a nested value in a dotenv file", keyPath: [key])
                }
                // dotenv has no quoting: a key that would read back as another key, a comment or
                // metadata cannot be written (its value would not decrypt under another key path).
                if key.utf8.contains(UInt8(ascii: "=")) || key.utf8.contains(0x0A) || key.utf8.first == UInt8(ascii: "#") || key.utf8.starts(with: DotenvStore.prefix.utf8) {
                    throw StoreErrors.dump("this key cannot be written in a dotenv file (it holds `=` or a line break, or starts with `#` or `sops_`)",
                                           keyPath: [key])
                }
                out.append(contentsOf: Array(key.utf8))
                out.append(UInt8(ascii: "="))
                out.append(contentsOf: DotenvStore.valueText(s.value))
                out.append(0x0A)
            }
        }
        out.append(contentsOf: DotenvStore.metadataLines(metadata))
        return out
    }

    public func emitValue(_ node: Node, options: StoreOptions) throws -> [UInt8] {
        if case .scalar(let s) = node, case .string(let text) = s.value { return Array(text.utf8) }
        throw KSecretError(.errorDumpingTree, "the dotenv store can only write a string value on its own")
    }
}

/// What the dotenv store remembers of a parsed file.
struct DotenvLayout: StoreLayout {
    var source: [UInt8]
    /// By origin: the value bytes after `=`, or the comment text after `#`.
    var spans: [Range<Int>]
    var tree: Node
    var metadata: Node?
    /// Whole `sops_…` lines, newline included.
    var metadataLines: [Range<Int>]
}
