/// The file formats ksecret reads and writes (Format.md §6).
public enum FileFormat: String, Sendable, CaseIterable {
    case yaml, json, dotenv, ini, binary

    /// The format for a file name, as sops picks it: `.yaml`/`.yml`, `.json`, `.env`, `.ini`,
    /// anything else binary.
    public static func forPath(_ path: String) -> FileFormat {
        let lower = path.lowercased()
        if lower.hasSuffix(".yaml") || lower.hasSuffix(".yml") { return .yaml }
        if lower.hasSuffix(".json") { return .json }
        if lower.hasSuffix(".env") { return .dotenv }
        if lower.hasSuffix(".ini") { return .ini }
        return .binary
    }

    /// The format whose sops metadata the bytes plainly hold (a `sops:` root key, a `[sops]`
    /// section, `sops_version=`), for a hint when they were read as another format; nil if none.
    static func encryptedFormat(of bytes: [UInt8]) -> FileFormat? {
        func hasLine(startingWith prefix: String) -> Bool {
            let marker = Array(prefix.utf8)
            if bytes.starts(with: marker) { return true }
            return bytes.indices.contains { i in bytes[i] == 0x0A && bytes[(i + 1)...].starts(with: marker) }
        }
        if hasLine(startingWith: "sops:") { return .yaml }
        if hasLine(startingWith: "[sops]") { return .ini }
        if hasLine(startingWith: "sops_version=") || hasLine(startingWith: "sops_mac=") { return .dotenv }
        return nil
    }

    /// Parses a `--input-type`/`--output-type` value. sops ignores unknown names; ksecret refuses
    /// them, since silently falling back to the extension hid mistakes (sops issue #1886).
    public init?(typeName: String) {
        switch typeName.lowercased() {
        case "yaml", "yml": self = .yaml
        case "json": self = .json
        case "dotenv", "env": self = .dotenv
        case "ini": self = .ini
        case "binary": self = .binary
        default: return nil
        }
    }

    public var store: any Store {
        switch self {
        case .yaml: return YAMLStore()
        case .json: return JSONStore()
        case .dotenv: return DotenvStore()
        case .ini: return INIStore()
        case .binary: return BinaryStore()
        }
    }
}

/// What a store read from a file: the document without the `sops` metadata, the metadata (nil for
/// a plain file), and whatever the store needs to write the file back with its layout intact.
public struct ParsedFile: Sendable {
    public var document: Document
    /// The `sops` metadata as a tree (a mapping), in the order found; nil when the file has none.
    public var metadata: Node?
    public var format: FileFormat
    /// Store-private layout (the source bytes and where each leaf stood); nil for generated documents.
    public var layout: (any StoreLayout)?

    public init(document: Document, metadata: Node?, format: FileFormat, layout: (any StoreLayout)? = nil) {
        self.document = document
        self.metadata = metadata
        self.format = format
        self.layout = layout
    }
}

/// A store's memory of a parsed file. Only the store that made it reads it.
public protocol StoreLayout: Sendable {
    /// The layout for writing the decryption of the document it was read with: same keys, items
    /// and comments in the same places (`Envelope.decrypt` replaces values only), so a store may
    /// skip checking that.
    func forDecryptionOfSource() -> any StoreLayout
}

extension StoreLayout {
    public func forDecryptionOfSource() -> any StoreLayout { self }
}

/// Options that `.sops.yaml`'s `stores:` section sets.
public struct StoreOptions: Sendable, Equatable {
    /// YAML indentation for newly written structure (sops's default is 4; ksecret keeps a file's own).
    public var yamlIndent: Int?
    /// JSON indentation: nil or -1 = tab, 0 = none, N = N spaces.
    public var jsonIndent: Int?
    public var jsonBinaryIndent: Int?

    public init(yamlIndent: Int? = nil, jsonIndent: Int? = nil, jsonBinaryIndent: Int? = nil) {
        self.yamlIndent = yamlIndent
        self.jsonIndent = jsonIndent
        self.jsonBinaryIndent = jsonBinaryIndent
    }
}

/// One file format. `parse` splits off the `sops` metadata; `emit` writes a document and, when
/// given, metadata appended the way sops places it for this format.
///
/// When `source` is the result of this store's own `parse` and the document still carries the
/// origins it set, `emit` writes the source bytes back with only the changed leaves replaced, so the
/// author's layout survives. Without a source it writes the format's canonical layout.
public protocol Store: Sendable {
    var format: FileFormat { get }
    func parse(_ bytes: [UInt8], path: String) throws -> ParsedFile
    func emit(_ document: Document, metadata: Node?, source: ParsedFile?, options: StoreOptions) throws -> [UInt8]
    /// Writes one value on its own (for `decrypt --extract` of a non-string leaf or subtree).
    func emitValue(_ node: Node, options: StoreOptions) throws -> [UInt8]
}
