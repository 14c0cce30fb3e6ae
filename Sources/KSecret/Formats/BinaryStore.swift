/// The binary store (Format.md §6.5): a plain file is one leaf `data` holding all its bytes; the
/// encrypted file is a JSON envelope `{"data": "ENC[...]", "sops": {...}}`.
///
/// `parse` tells the two apart by content: a JSON object with a top-level `sops` member is an
/// envelope; anything else is plain data.
public struct BinaryStore: Store {
    public init() {}
    public var format: FileFormat { .binary }

    public func parse(_ bytes: [UInt8], path: String) throws -> ParsedFile {
        if BinaryStore.looksLikeJSONObject(bytes),
           let (document, metadata, layout) = try? JSONStore.read(bytes, path: path), metadata != nil {
            return ParsedFile(document: document, metadata: metadata, format: .binary, layout: layout)
        }
        let tree = Node.mapping([.pair(key: "data", value: .scalar(Scalar(.bytes(bytes), origin: 0)))])
        return ParsedFile(document: Document(branches: [tree]), metadata: nil, format: .binary,
                          layout: BinaryLayout(source: bytes))
    }

    private static func looksLikeJSONObject(_ bytes: [UInt8]) -> Bool {
        for b in bytes {
            if b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D { continue }
            return b == UInt8(ascii: "{")
        }
        return false
    }

    public func emit(_ document: Document, metadata: Node?, source: ParsedFile?, options: StoreOptions) throws -> [UInt8] {
        if let metadata {
            return try JSONStore.write(document, metadata: metadata, layout: source?.layout as? JSONLayout,
                                       indent: options.jsonBinaryIndent)
        }
        guard document.branches.count == 1 else {
            throw KSecretError(.errorDumpingTree, "error emitting binary store: there must be exactly one tree branch")
        }
        guard let data = document.branches[0]["data"] else {
            throw KSecretError(.errorDumpingTree, "error emitting binary store: no binary data found in tree")
        }
        if case .scalar(let s) = data {
            switch s.value {
            case .bytes(let b): return b
            case .string(let text): return Array(text.utf8)
            default: break
            }
        }
        throw StoreErrors.dump("error emitting binary store: 'data' key in tree does not have a string value", keyPath: ["data"])
    }

    public func emitValue(_ node: Node, options: StoreOptions) throws -> [UInt8] {
        throw KSecretError(.errorDumpingTree, "binary files are not structured and extracting a single value is not possible")
    }
}

/// The binary store's memory of a plain file: just its bytes.
struct BinaryLayout: StoreLayout {
    var source: [UInt8]
}
