/// The INI store (Format.md §6.4): sections become top-level mappings (`DEFAULT` first, always),
/// comments sit where sops puts them (a section's comment first, a key's comment after the key),
/// and the metadata is a final `[sops]` section with flattened keys.
///
/// A round trip patches the author's bytes; a new or restructured file is written like go-ini
/// (aligned `=`, `; ` comments, a blank line between sections).
public struct INIStore: Store {
    public init() {}
    public var format: FileFormat { .ini }

    public func parse(_ bytes: [UInt8], path: String) throws -> ParsedFile {
        let result = try INIReader(path: path).read(bytes)
        var spans: [Range<Int>?] = []
        var top: [MappingEntry] = []
        var metadata: Node?
        var regions: [Range<Int>] = []
        for section in result.sections {
            if section.name == "sops" {
                if metadata == nil {
                    metadata = try MetadataFlattening.unflatten(section.keys.map { ($0.name, $0.value) })
                }
                regions.append(section.region)
                continue
            }
            var items: [MappingEntry] = []
            if !section.comment.isEmpty {
                spans.append(section.commentSpan)
                items.append(.comment(Comment(section.comment, origin: spans.count - 1)))
            }
            for key in section.keys {
                // A value go-ini can read but no spelling can write back (a line break or backquote
                // together with `"""`) is refused here, not when the decrypted file is printed.
                if INIWriter.spelledValue(key.value) == nil {
                    let at = StoreErrors.lineColumn(bytes, key.valueSpan.lowerBound)
                    throw KSecretError(.couldNotReadInputFile,
                                       "the value of \(TreePath.render([section.name, key.name])) cannot be written back in an INI file (it holds a line break or a backquote together with \"\"\")",
                                       hints: ["a value like this belongs in a YAML or JSON file, where it is escaped"],
                                       location: SourceLocation(file: path.isEmpty ? nil : path, line: at.line, column: at.column))
                }
                spans.append(key.valueSpan)
                items.append(.pair(key: key.name, value: .scalar(Scalar(.string(key.value), origin: spans.count - 1))))
                if !key.comment.isEmpty {
                    spans.append(key.commentSpan)
                    items.append(.comment(Comment(key.comment, origin: spans.count - 1)))
                }
            }
            top.append(.pair(key: section.name, value: .mapping(items)))
        }
        let tree = Node.mapping(top)
        let layout = INILayout(source: bytes, spans: spans, tree: tree, metadata: metadata, regions: regions, lossy: result.lossy)
        return ParsedFile(document: Document(branches: [tree]), metadata: metadata, format: .ini, layout: layout)
    }

    public func emit(_ document: Document, metadata: Node?, source: ParsedFile?, options: StoreOptions) throws -> [UInt8] {
        let root = document.branches.first ?? .mapping([])
        guard case .mapping = root else {
            throw KSecretError(.errorDumpingTree, "the top level of an ini document must be a mapping of sections")
        }
        if let layout = source?.layout as? INILayout, !layout.lossy, let out = try patch(root, metadata: metadata, layout: layout) {
            return out
        }
        var sections = try INIWriter.sections(from: root)
        if let metadata { sections.append(INIWriter.metadataSection(metadata)) }
        return try INIWriter.write(sections)
    }

    private static func onSectionHeaderLine(_ offset: Int, in source: [UInt8]) -> Bool {
        var start = offset
        while start > 0, source[start - 1] != 0x0A, source[start - 1] != 0x0D { start -= 1 }
        while start < offset, INIReader.isSpace(source[start]) { start += 1 }
        return start < source.count && source[start] == UInt8(ascii: "[")
    }

    private func patch(_ root: Node, metadata: Node?, layout: INILayout) throws -> [UInt8]? {
        guard let changes = LayoutDiff.changes(new: root, old: layout.tree) else { return nil }
        var edits: [ByteEdit] = []
        for change in changes {
            switch change {
            case .scalar(let origin, let value, let keyPath):
                guard let span = layout.spans[origin] else { return nil }
                var text = try INIWriter.quoteValue(SopsValueText.string(value), keyPath: keyPath)
                if span.isEmpty, span.lowerBound > 0, layout.source[span.lowerBound - 1] == UInt8(ascii: "=") || layout.source[span.lowerBound - 1] == UInt8(ascii: ":") {
                    text = " " + text
                }
                let source = layout.source
                var end = span.upperBound
                while end < source.count, source[end] != 0x0A, source[end] != 0x0D { end += 1 }
                if source[span.upperBound..<end].contains(where: { !INIReader.isSpace($0) }) {
                    let quoted = text.utf8.first == UInt8(ascii: "`") || text.utf8.first == 0x22
                    if source[span].first == UInt8(ascii: "`") || source[span].starts(with: [0x22, 0x22, 0x22]) {
                        // A backquoted or `"""` value ends at its closing quote and go-ini drops what
                        // follows on the line; written bare, the value would take that text in. Such a
                        // value stays quoted.
                        // After a value over several lines go-ini reads that text as a comment, after a
                        // one-line value it drops it: a multi-line value written on one line would lose it.
                        if source[span].contains(0x0A) || source[span].contains(0x0D) { return nil }
                        if !quoted {
                            guard !text.utf8.contains(UInt8(ascii: "`")), !source[span.upperBound..<end].contains(UInt8(ascii: "`")) else { return nil }
                            text = "`" + text + "`"
                        }
                    } else if quoted {
                        // After any other value the rest of the line is its inline comment, which go-ini
                        // would drop after a quoted one: the canonical layout writes it on its own line.
                        return nil
                    }
                }
                edits.append(ByteEdit(range: span, bytes: Array(text.utf8)))
            case .comment(let origin, let text):
                guard let span = layout.spans[origin], !text.utf8.contains(0x0A) else { return nil }
                // A section's name runs to the last `]` of its line (go-ini), so a comment after the
                // header that now holds one (every ENC[...] does) is written on a line of its own.
                if text.utf8.contains(UInt8(ascii: "]")), Self.onSectionHeaderLine(span.lowerBound, in: layout.source) { return nil }
                edits.append(ByteEdit(range: span, bytes: Array(text.utf8)))
            }
        }
        let newMeta = metadata?.strippingOrigins()
        guard newMeta != layout.metadata else { return LayoutDiff.apply(edits, to: layout.source) }
        for r in layout.regions { edits.append(ByteEdit(range: r, bytes: [])) }
        var out = LayoutDiff.apply(edits, to: layout.source)
        if let newMeta {
            if let last = out.last, last != 0x0A { out.append(0x0A) }
            if !out.isEmpty { out.append(0x0A) }
            out.append(contentsOf: try INIWriter.write([INIWriter.metadataSection(newMeta)], omitDefaultHeader: false))
        }
        return out
    }

    public func emitValue(_ node: Node, options: StoreOptions) throws -> [UInt8] {
        if case .mapping = node {
            return try INIWriter.write(try INIWriter.sections(from: node))
        }
        return try JSONStore().emitValue(node, options: options)
    }
}

/// What the INI store remembers of a parsed file.
struct INILayout: StoreLayout {
    var source: [UInt8]
    /// By origin: a value's token or a comment's text; nil when the text is not contiguous in the file.
    var spans: [Range<Int>?]
    var tree: Node
    var metadata: Node?
    /// The `[sops]` sections with their leading blank and comment lines.
    var regions: [Range<Int>]
    var lossy: Bool
}
