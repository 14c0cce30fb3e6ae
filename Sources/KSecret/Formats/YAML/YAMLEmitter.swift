/// Writes a tree in the block style sops's YAML library produces (Format.md §4.4): used for new
/// files, for structure a layout-preserving write cannot place, and for the `sops:` block.
struct YAMLEmitter {
    var unit: Int = 4
    var lineBreak = "\n"

    func document(_ root: Node, metadata: Node?) -> String {
        var out = ""
        switch root {
        case .mapping(var entries):
            if let metadata { entries.append(.pair(key: "sops", value: metadata)) }
            mappingEntries(entries, indent: 0, base: 0, out: &out, firstInline: false)
        case .sequence(let items):
            sequenceItems(items, dash: 0, out: &out, firstInline: false)
            if let metadata {
                // A top-level sequence has no place for a key: its metadata is a document of its own.
                out += "---" + lineBreak
                mappingEntries([.pair(key: "sops", value: metadata)], indent: 0, base: 0, out: &out, firstInline: false)
            }
        case .scalar(let s):
            out += YAMLScalarRenderer.render(s.value, style: .plain, context: .init(flow: false, blockIndent: unit, lineBreak: lineBreak, unit: unit)) + lineBreak
        case .comment(let c):
            out += "#" + c.text + lineBreak
        }
        return out
    }

    /// `key: value` lines of a mapping whose keys stand at column `indent`. With `firstInline`, the
    /// first line continues a `- ` already written.
    func mappingEntries(_ entries: [MappingEntry], indent: Int, base: Int, out: inout String, firstInline: Bool) {
        let pad = String(repeating: " ", count: indent)
        var first = firstInline
        for entry in entries {
            if !first { out += pad }
            first = false
            switch entry {
            case .comment(let c):
                out += "#" + c.text + lineBreak
            case .pair(let key, let value):
                let text = YAMLScalarRenderer.key(key, context: .init(flow: false, blockIndent: base + unit, lineBreak: lineBreak, unit: unit))
                // A key longer than libyaml's simple-key limit (1,024 characters when read; the writer
                // stops at 128, as sops's does) is written as an explicit key: `? key`, then `: value`.
                out += key.utf8.count > 128 ? "? " + text + lineBreak + pad + ":" : text + ":"
                // Block content must stand right of its key: under a `- ` item the base is the dash.
                emitValue(value, indent: indent, base: base + unit > indent ? base : indent, out: &out)
            }
        }
    }

    private func emitValue(_ value: Node, indent: Int, base: Int, out: inout String) {
        if let flow = commentsOnly(value, indent: base + unit) { out += " " + flow; return }
        switch value {
        case .scalar(let s):
            out += " " + YAMLScalarRenderer.render(s.value, style: .plain, context: .init(flow: false, blockIndent: base + unit, lineBreak: lineBreak, unit: unit, parentIndent: indent)) + lineBreak
        case .mapping(let entries) where entries.isEmpty:
            out += " {}" + lineBreak
        case .sequence(let items) where items.isEmpty:
            out += " []" + lineBreak
        case .mapping(let entries):
            out += lineBreak
            mappingEntries(entries, indent: base + unit, base: base + unit, out: &out, firstInline: false)
        case .sequence(let items):
            out += lineBreak
            sequenceItems(items, dash: base + unit, out: &out, firstInline: false)
        case .comment(let c):
            out += " #" + c.text + lineBreak
        }
    }

    func sequenceItems(_ items: [Node], dash: Int, out: inout String, firstInline: Bool) {
        let pad = String(repeating: " ", count: dash)
        var first = firstInline
        for item in items {
            if !first { out += pad }
            first = false
            if let flow = commentsOnly(item, indent: dash + 2) { out += "- " + flow; continue }
            switch item {
            case .comment(let c):
                out += "#" + c.text + lineBreak
            case .scalar(let s):
                out += "- " + YAMLScalarRenderer.render(s.value, style: .plain, context: .init(flow: false, blockIndent: dash + 2, lineBreak: lineBreak, unit: unit, parentIndent: dash)) + lineBreak
            case .mapping(let entries) where entries.isEmpty:
                out += "- {}" + lineBreak
            case .sequence(let nested) where nested.isEmpty:
                out += "- []" + lineBreak
            case .mapping(let entries):
                out += "- "
                mappingEntries(entries, indent: dash + 2, base: dash, out: &out, firstInline: true)
            case .sequence(let nested):
                out += "- "
                sequenceItems(nested, dash: dash + 2, out: &out, firstInline: true)
            }
        }
    }

    /// A collection that holds only comments, as a flow collection with the comments inside it: in
    /// block style the comments would read as the parent's, and the value as null.
    /// nil for anything else (a scalar, an empty collection, one holding a key or an item).
    private func commentsOnly(_ node: Node, indent: Int) -> String? {
        let (open, close, comments): (String, String, [Comment])
        switch node {
        case .mapping(let entries):
            guard case .comment? = entries.first else { return nil }
            let found = entries.compactMap { entry -> Comment? in if case .comment(let c) = entry { c } else { nil } }
            guard found.count == entries.count else { return nil }
            (open, close, comments) = ("{", "}", found)
        case .sequence(let items):
            guard items.first?.isComment == true else { return nil }
            let found = items.compactMap { item -> Comment? in if case .comment(let c) = item { c } else { nil } }
            guard found.count == items.count else { return nil }
            (open, close, comments) = ("[", "]", found)
        case .scalar, .comment:
            return nil
        }
        let pad = String(repeating: " ", count: indent)
        return open + lineBreak + comments.map { pad + "#" + $0.text + lineBreak }.joined() + pad + close + lineBreak
    }
}
