import KSecretSystem

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

    /// The bytes INIReader (as go-ini) trims around a key or value.
    private static func isSpace(_ c: UInt8) -> Bool { INIReader.isSpace(c) }

    /// A value spelled so that INIReader (as go-ini) reads back exactly `value`: go-ini's quoting
    /// (`"""` for line breaks or backquotes, backquotes for `#`/`;`, `"` for surrounding spaces),
    /// plus backquotes where the bare text would be read as something else (surrounding quotes
    /// that the reader strips, a trailing `\` that continues the line). Nil when no spelling can
    /// carry it (a line break or backquote together with `"""`, a control character).
    /// Byte checks throughout: String's own `contains` and `hasPrefix` compare characters, and a
    /// combining mark after `;` or `"` makes one character of the two (`;\u{0EB1}` holds no `;`).
    private static func holdsTripleQuote(_ b: [UInt8]) -> Bool {
        b.count >= 3 && (0...(b.count - 3)).contains { b[$0] == 0x22 && b[$0 + 1] == 0x22 && b[$0 + 2] == 0x22 }
    }

    static func spelledValue(_ value: String) -> String? {
        let b = Array(value.utf8)
        if b.contains(where: { ($0 < 0x20 && $0 != 0x09 && $0 != 0x0A) || $0 == 0x7F }) { return nil }
        let tripleSafe = !Self.holdsTripleQuote(b)
        if b.contains(0x0A) || b.contains(UInt8(ascii: "`")) { return tripleSafe ? "\"\"\"" + value + "\"\"\"" : nil }
        if b.contains(UInt8(ascii: "#")) || b.contains(UInt8(ascii: ";")) { return "`" + value + "`" }
        guard let first = b.first, let last = b.last else { return value }
        if isSpace(first) || isSpace(last) {
            // The reader strips one pair of surrounding quotes only when the inside holds no other.
            return b.contains(0x22) ? "`" + value + "`" : "\"" + value + "\""
        }
        // Bare, these would be read as other text: a pair of surrounding quotes the reader strips,
        // an opening `"""`, a trailing `\` that continues the line.
        let stripped = b.count >= 2 && (first == 0x22 || first == UInt8(ascii: "'")) && last == first && !b.dropFirst().dropLast().contains(first)
        if stripped || b.starts(with: [0x22, 0x22, 0x22]) || last == UInt8(ascii: "\\") { return "`" + value + "`" }
        return value
    }

    /// go-ini's quoting of a value; see `spelledValue`. Throws when the value cannot be written.
    static func quoteValue(_ value: String, keyPath: [String] = []) throws -> String {
        guard let text = spelledValue(value) else {
            throw StoreErrors.dump("this value cannot be written in an INI file (a control character, or a line break or backquote together with \"\"\")",
                                   keyPath: keyPath)
        }
        return text
    }

    /// A key spelled so that INIReader (as go-ini) reads back exactly `key`, or nil. Bare when it can
    /// be; else in backquotes, double quotes or `\"\"\"`, the first that holds it.
    static func spelledKey(_ key: String) -> String? {
        let b = Array(key.utf8)
        guard let first = b.first, let last = b.last else { return nil }
        // A line break cannot be in a key; control characters and surrounding spaces are lost (trimmed).
        // `-` is go-ini's auto-numbered key (read as `#1`, `#2`…), quoted or not.
        if b.contains(where: { ($0 < 0x20 && $0 != 0x09) || $0 == 0x7F }) || isSpace(first) || isSpace(last) || key == "-" { return nil }
        let bare = !b.contains(UInt8(ascii: "=")) && !b.contains(UInt8(ascii: ":"))
            && !"#;[\"`".utf8.contains(first)
        if bare { return key }
        if !b.contains(UInt8(ascii: "`")) { return "`" + key + "`" }
        if !b.contains(0x22) { return "\"" + key + "\"" }
        if !Self.holdsTripleQuote(b), last != 0x22 { return "\"\"\"" + key + "\"\"\"" }
        return nil
    }

    private static func commentLines(_ comment: String, trimFirst: Bool) -> String {
        var out = ""
        for line in comment.split(separator: "\n", omittingEmptySubsequences: false) {
            let l = String(line)
            if let f = l.utf8.first, f == UInt8(ascii: "#") || f == UInt8(ascii: ";") {
                out += String(l.prefix(1)) + " " + String(l.dropFirst()).trimmingWhitespace() + "\n"
            } else {
                out += "; " + (trimFirst ? l.trimmingWhitespace() : l) + "\n"
            }
        }
        return out
    }

    /// The file text. Throws, naming the key, when a section name, key or value cannot be spelled
    /// so that it reads back as itself (never writes a file that does not).
    static func write(_ sections: [Section], omitDefaultHeader: Bool = true) throws -> [UInt8] {
        var out = ""
        for (i, section) in sections.enumerated() {
            if section.name.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
                throw StoreErrors.dump("this section name cannot be written in an INI file (a control character or line break)", keyPath: [section.name])
            }
            if !section.comment.isEmpty { out += commentLines(section.comment, trimFirst: false) }
            if i > 0 || !omitDefaultHeader || section.name.uppercased() != "DEFAULT" {
                out += "[" + section.name + "]\n"
            } else if section.keys.isEmpty {
                continue
            }
            let keys = try section.keys.map { key -> String in
                guard let k = spelledKey(key.name) else {
                    throw StoreErrors.dump("this key cannot be written in an INI file (a control character, surrounding spaces, the name `-`, or quotes of every kind)",
                                           keyPath: [section.name, key.name])
                }
                return k
            }
            let align = keys.map(\.utf8.count).max() ?? 0
            for (key, k) in zip(section.keys, keys) {
                if !key.comment.isEmpty { out += commentLines(key.comment, trimFirst: true) }
                out += k + String(repeating: " ", count: max(0, align - k.utf8.count)) + " = "
                    + (try quoteValue(key.value, keyPath: [section.name, key.name])) + "\n"
            }
            if i != sections.count - 1 { out += "\n" }
        }
        return Array(out.utf8)
    }
}
