/// Reads fields out of one mapping of the `sops` metadata, with errors that name the field
/// (`sops.age[0].enc`) and never its value. Exit 2 (the file cannot be read), as sops fails while
/// loading the file.
struct MetadataReader {
    let path: String
    let entries: [(key: String, value: Node)]

    init(_ node: Node, at path: String) throws {
        guard case .mapping(let raw) = node else {
            throw MetadataReader.error("\(path) is not a mapping")
        }
        self.path = path
        var pairs: [(key: String, value: Node)] = []
        for entry in raw { if case .pair(let k, let v) = entry { pairs.append((k, v)) } }
        entries = pairs
    }

    static func error(_ message: String, hints: [String] = []) -> KSecretError {
        KSecretError(.couldNotReadInputFile, "invalid sops metadata: \(message)", hints: hints)
    }

    func node(_ key: String) -> Node? { entries.first { $0.key == key }?.value }

    /// The text of a scalar field: strings as they are, other scalars in their sops byte form.
    static func text(of node: Node) -> String? {
        guard case .scalar(let s) = node else { return nil }
        switch s.value {
        case .string(let v), .time(let v): return v
        case .null: return nil
        case .bytes(let b): return String(decoding: b, as: UTF8.self)
        default: return String(decoding: ValueCodec.macBytes(s.value), as: UTF8.self)
        }
    }

    func string(_ key: String) throws -> String? {
        guard let node = node(key) else { return nil }
        if case .scalar(let s) = node, case .null = s.value { return nil }
        guard let text = MetadataReader.text(of: node) else { throw MetadataReader.error("\(path).\(key) is not a string") }
        return text
    }

    func requiredString(_ key: String) throws -> String {
        guard let value = try string(key) else { throw MetadataReader.error("\(path).\(key) is missing") }
        return value
    }

    /// An RFC 3339 field, returned in canonical form.
    func timestamp(_ key: String) throws -> String {
        let text = try requiredString(key)
        guard let canonical = RFC3339.canonicalize(text) else {
            throw MetadataReader.error("\(path).\(key) is not an RFC 3339 timestamp")
        }
        return canonical
    }

    /// A list field: absent and null are empty.
    func list(_ key: String) throws -> [Node] {
        guard let node = node(key) else { return [] }
        switch node {
        case .sequence(let items): return items.filter { !$0.isComment }
        case .scalar(let s) where s.value == .null: return []
        default: throw MetadataReader.error("\(path).\(key) is not a list")
        }
    }
}
