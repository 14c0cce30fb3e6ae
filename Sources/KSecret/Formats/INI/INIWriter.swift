import Foundation

/// Writes INI as go-ini's `WriteTo` does with sops's settings (`PrettyFormat`, `PrettySection`,
/// no default header), from sops's `encodeTree` mapping of the tree onto sections.
enum INIWriter {
    struct Section {
        var name: String
        var comment: String = ""
        var keys: [(name: String, value: String, comment: String)] = []
    }

    /// sops's `encodeTree`: a leading comment is the section comment; a comment after a key
    /// becomes that key's comment (the last one wins); a repeated key keeps its first position.
    static func sections(from root: Node) throws -> [Section] {
        guard case .mapping(let entries) = root else { return [] }
        var out: [Section] = []
        for case .pair(let name, let value) in entries {
            guard case .mapping(let items) = value else {
                throw StoreErrors.dump("ini section values must be mappings", keyPath: [name])
            }
            if name.isEmpty { throw StoreErrors.dump("ini section names cannot be empty", keyPath: [name]) }
            var section = Section(name: name)
            var index: [String: Int] = [:]
            var last: Int?
            for (i, item) in items.enumerated() {
                switch item {
                case .comment(let c):
                    if i == 0 { section.comment = c.text } else if let last { section.keys[last].comment = c.text }
                case .pair(let key, let v):
                    guard case .scalar(let s) = v else {
                        if case .comment = v { continue }
                        throw StoreErrors.dump("cannot use a nested value in an ini file", keyPath: [name, key])
                    }
                    if key.isEmpty { throw StoreErrors.dump("ini key names cannot be empty", keyPath: [name]) }
                    let text = SopsValueText.string(s.value)
                    if let j = index[key] {
                        section.keys[j].value = text
                        last = j
                    } else {
                        index[key] = section.keys.count
                        section.keys.append((key, text, ""))
                        last = section.keys.count - 1
                    }
                }
            }
            out.append(section)
        }
        return out
    }

    /// The `[sops]` section: flattened metadata keys (sorted; sops's own order is random).
    static func metadataSection(_ metadata: Node) -> Section {
        Section(name: "sops", keys: MetadataFlattening.flatten(metadata).map { ($0.key, $0.value, "") })
    }

    /// go-ini's value quoting: `"""` for newlines or backticks, backticks for `#`/`;`, `"` for
    /// leading or trailing space.
    static func quoteValue(_ value: String) -> String {
        if value.contains("\n") || value.contains("`") { return "\"\"\"" + value + "\"\"\"" }
        if value.contains("#") || value.contains(";") { return "`" + value + "`" }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.utf8.count != value.utf8.count { return "\"" + value + "\"" }
        return value
    }

    private static func commentLines(_ comment: String, trimFirst: Bool) -> String {
        var out = ""
        for line in comment.split(separator: "\n", omittingEmptySubsequences: false) {
            let l = String(line)
            if let f = l.utf8.first, f == UInt8(ascii: "#") || f == UInt8(ascii: ";") {
                out += String(l.prefix(1)) + " " + String(l.dropFirst()).trimmingCharacters(in: .whitespacesAndNewlines) + "\n"
            } else {
                out += "; " + (trimFirst ? l.trimmingCharacters(in: .whitespacesAndNewlines) : l) + "\n"
            }
        }
        return out
    }

    static func write(_ sections: [Section], omitDefaultHeader: Bool = true) -> [UInt8] {
        var out = ""
        for (i, section) in sections.enumerated() {
            if !section.comment.isEmpty { out += commentLines(section.comment, trimFirst: false) }
            if i > 0 || !omitDefaultHeader || section.name.uppercased() != "DEFAULT" {
                out += "[" + section.name + "]\n"
            } else if section.keys.isEmpty {
                continue
            }
            func quotedKey(_ k: String) -> String {
                if k.contains("\"") || k.contains("=") || k.contains(":") { return "`" + k + "`" }
                if k.contains("`") { return "\"\"\"" + k + "\"\"\"" }
                return k
            }
            let align = section.keys.map { quotedKey($0.name).utf8.count }.max() ?? 0
            for key in section.keys {
                if !key.comment.isEmpty { out += commentLines(key.comment, trimFirst: true) }
                let k = quotedKey(key.name)
                out += k + String(repeating: " ", count: max(0, align - k.utf8.count)) + " = " + quoteValue(key.value) + "\n"
            }
            if i != sections.count - 1 { out += "\n" }
        }
        return Array(out.utf8)
    }
}
