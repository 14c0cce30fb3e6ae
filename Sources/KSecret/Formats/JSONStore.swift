/// The JSON store (Format.md §6.2): an order-preserving reader, a layout-preserving writer for
/// round trips, and sops's `json.Indent` layout for new files.
///
/// The metadata is the top-level member `"sops"`, written last.
public struct JSONStore: Store {
    public init() {}
    public var format: FileFormat { .json }

    public func parse(_ bytes: [UInt8], path: String) throws -> ParsedFile {
        let (document, metadata, layout) = try JSONStore.read(bytes, path: path)
        return ParsedFile(document: document, metadata: metadata, format: .json, layout: layout)
    }

    static func read(_ bytes: [UInt8], path: String) throws -> (Document, Node?, JSONLayout) {
        let result = try JSONReader(path: path).read(bytes)
        var entries: [MappingEntry] = []
        var metadata: Node?
        var removals: [Range<Int>] = []
        var lastKeptEnd: Int?
        let members = result.members
        for (k, m) in members.enumerated() {
            if m.key != "sops" {
                entries.append(.pair(key: m.key, value: m.value))
                lastKeptEnd = m.valueEnd
                continue
            }
            metadata = JSONStore.naturalMetadata(m.value.strippingOrigins())
            if lastKeptEnd != nil {
                removals.append(members[k - 1].valueEnd..<m.valueEnd)
            } else if k + 1 < members.count {
                removals.append(m.keyStart..<members[k + 1].keyStart)
            } else {
                removals.append(m.keyStart..<m.valueEnd)
            }
        }
        var indent: [UInt8]?
        if let first = members.first {
            let gap = bytes[(result.openBrace + 1)..<first.keyStart]
            if let nl = gap.lastIndex(of: 0x0A) { indent = Array(bytes[(nl + 1)..<first.keyStart]) }
        }
        let tree = Node.mapping(entries)
        let layout = JSONLayout(source: bytes, spans: result.spans, tree: tree, metadata: metadata,
                                removals: removals, insertAt: lastKeptEnd ?? (result.openBrace + 1),
                                hasKeptMembers: lastKeptEnd != nil, closeBrace: result.closeBrace, indent: indent)
        return (Document(branches: [tree]), metadata, layout)
    }

    /// JSON numbers in the metadata that are whole become ints (`shamir_threshold`).
    static func naturalMetadata(_ node: Node) -> Node {
        switch node {
        case .mapping(let entries):
            return .mapping(entries.map {
                if case .pair(let k, let v) = $0 { return .pair(key: k, value: naturalMetadata(v)) }
                return $0
            })
        case .sequence(let items): return .sequence(items.map(naturalMetadata))
        case .scalar(let s):
            if case .float(let d) = s.value, d == d.rounded(), abs(d) < 9.2e18 { return .int(Int64(d)) }
            return node
        case .comment: return node
        }
    }

    public func emit(_ document: Document, metadata: Node?, source: ParsedFile?, options: StoreOptions) throws -> [UInt8] {
        try JSONStore.write(document, metadata: metadata, layout: source?.layout as? JSONLayout, indent: options.jsonIndent)
    }

    static func write(_ document: Document, metadata: Node?, layout: JSONLayout?, indent: Int?) throws -> [UInt8] {
        let root = document.branches.first ?? .mapping([])
        guard case .mapping(let entries) = root else {
            throw KSecretError(.errorDumpingTree, "the top level of a json document must be a mapping")
        }
        if let layout, let patched = try patch(root, metadata: metadata, layout: layout, indent: indent) {
            return patched
        }
        var all = entries
        if let metadata { all.append(.pair(key: "sops", value: metadata)) }
        let writer = JSONWriter(unit: try JSONWriter.unit(forIndent: indent))
        var out: [UInt8] = []
        var path: [String] = []
        try writer.write(.mapping(all), depth: 0, path: &path, into: &out)
        out.append(0x0A)
        return out
    }

    private static func patch(_ root: Node, metadata: Node?, layout: JSONLayout, indent: Int?) throws -> [UInt8]? {
        guard let changes = LayoutDiff.changes(new: root, old: layout.tree) else { return nil }
        var edits: [ByteEdit] = []
        for change in changes {
            guard case .scalar(let origin, let value, let path) = change, origin < layout.spans.count else { return nil }
            var text: [UInt8] = []
            try JSONWriter.scalar(value, path: path, into: &text)
            edits.append(ByteEdit(range: layout.spans[origin], bytes: text))
        }
        let newMeta = metadata?.strippingOrigins()
        if newMeta != layout.metadata {
            for r in layout.removals { edits.append(ByteEdit(range: r, bytes: [])) }
            if let newMeta {
                let unit = try layout.indent ?? JSONWriter.unit(forIndent: indent)
                let writer = JSONWriter(unit: unit)
                var text: [UInt8] = layout.hasKeptMembers ? [UInt8(ascii: ",")] : []
                writer.newline(&text, depth: 1)
                JSONWriter.string("sops", into: &text)
                text.append(contentsOf: Array(": ".utf8))
                var path = ["sops"]
                try writer.write(newMeta, depth: 1, path: &path, into: &text)
                if !layout.hasKeptMembers {
                    let tailStart = layout.removals.map(\.upperBound).max() ?? layout.insertAt
                    if !layout.source[min(tailStart, layout.closeBrace)..<layout.closeBrace].contains(0x0A) { text.append(0x0A) }
                }
                edits.append(ByteEdit(range: layout.insertAt..<layout.insertAt, bytes: text))
            }
        }
        return LayoutDiff.apply(edits, to: layout.source)
    }

    public func emitValue(_ node: Node, options: StoreOptions) throws -> [UInt8] {
        let writer = JSONWriter(unit: try JSONWriter.unit(forIndent: options.jsonIndent))
        var out: [UInt8] = []
        var path: [String] = []
        try writer.write(node, depth: 0, path: &path, into: &out)
        return out
    }
}

/// What the JSON store remembers of a parsed file.
struct JSONLayout: StoreLayout {
    var source: [UInt8]
    /// Byte range of each scalar token, by origin.
    var spans: [Range<Int>]
    /// The data tree as parsed (with origins), without `sops`.
    var tree: Node
    var metadata: Node?
    /// Ranges that remove the `sops` member(s) with their separating comma.
    var removals: [Range<Int>]
    /// Where a new `"sops"` member goes: after the last other member's value.
    var insertAt: Int
    var hasKeptMembers: Bool
    var closeBrace: Int
    /// The file's own indentation unit, when its members are on separate lines.
    var indent: [UInt8]?
}
