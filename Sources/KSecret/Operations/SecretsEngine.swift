import KSecretSystem
import KSecretCrypto

/// The operations on whole files: encrypt plaintext, open (decrypt) an encrypted file, and seal a
/// changed plaintext back with the same data key. Commands are thin layers over this type.
public struct SecretsEngine: Sendable {
    public let environment: KSecretEnvironment
    /// The version written into new files: the sops format ksecret follows.
    public static let formatVersion = "3.11.0"

    public init(environment: KSecretEnvironment) {
        self.environment = environment
    }

    // MARK: Encrypt

    /// Encrypts a plain file. The output keeps the input's layout when the format stays the same.
    public func encrypt(_ bytes: [UInt8], options: EncryptOptions) throws -> [UInt8] {
        try encrypt(bytes, options: options, keeping: nil)
    }

    /// `encrypt`, handing the trees it built to `keeper` so that a process about to exit does not
    /// free them one object at a time (a tenth of a large file's encryption).
    public func encrypt(_ bytes: [UInt8], options: EncryptOptions, keeping keeper: Keeper?) throws -> [UInt8] {
        let parsed = try options.inputFormat.store.parse(bytes, path: options.path)
        if parsed.metadata != nil {
            throw KSecretError(.fileAlreadyEncrypted, "\(options.path) is already encrypted (it has sops metadata)",
                               hints: ["decrypt it first, or use `ksecret edit` or `ksecret replace` to change it"],
                               location: SourceLocation(file: options.path))
        }
        let dataKey = SecretBytes(environment.random(32))
        let lastModified = environment.timestamp()
        let selection = options.inputFormat == .binary ? SelectionRule.default : options.selection
        let (document, mac) = try Envelope.encrypt(parsed.document, dataKey: dataKey.bytes, selection: selection,
                                                   macOnlyEncrypted: options.macOnlyEncrypted && options.inputFormat != .binary,
                                                   lastModified: lastModified, stash: nil, random: environment.random)
        let groups = try MasterKeys.wrap(dataKey.bytes, plan: options.keys, environment: environment)
        let metadata = Metadata(keyGroups: groups, shamirThreshold: groups.count > 1 ? (options.keys.shamirThreshold ?? groups.count) : 0,
                                lastModified: lastModified, mac: mac, selection: selection,
                                macOnlyEncrypted: options.macOnlyEncrypted && options.inputFormat != .binary,
                                version: Self.formatVersion)
        let source = options.outputFormat == options.inputFormat ? parsed : nil
        keeper?.keep(parsed)
        keeper?.keep(document)
        return try options.outputFormat.store.emit(document, metadata: metadata.toNode(), source: source, options: options.storeOptions)
    }

    /// Holds values until the process exits (see `encrypt(_:options:keeping:)`).
    public final class Keeper {
        private var kept: [Any] = []
        public init() {}
        func keep(_ value: Any) { kept.append(value) }
    }

    // MARK: Open

    /// Decrypts a file into an `OpenedFile` that can print, extract, or be sealed again.
    /// `forRewrite: false` (a decryption that is only printed) skips remembering IVs for re-encryption.
    public func open(_ bytes: [UInt8], path: String, format: FileFormat, ignoreMac: Bool = false,
                     storeOptions: StoreOptions = StoreOptions(), forRewrite: Bool = true) throws -> OpenedFile {
        let parsed = try format.store.parse(bytes, path: path)
        // A name without a known extension (`-`, /dev/stdin, `secrets`) is read as binary, as sops
        // does; when the bytes are plainly another format's sops file, say which flag reads it.
        if parsed.metadata == nil, format == .binary, let likely = FileFormat.encryptedFormat(of: bytes) {
            throw KSecretError(.generic, "sops metadata not found in \(path), read as a binary file",
                               hints: ["its name has no .yaml, .json, .env or .ini extension, and it looks like an encrypted \(likely.rawValue) file: pass --input-type \(likely.rawValue)"],
                               location: SourceLocation(file: path))
        }
        return try open(parsed: parsed, path: path, ignoreMac: ignoreMac, storeOptions: storeOptions, forRewrite: forRewrite)
    }

    /// `open` of a file already parsed by its store.
    public func open(parsed: ParsedFile, path: String, ignoreMac: Bool = false,
                     storeOptions: StoreOptions = StoreOptions(), forRewrite: Bool = true) throws -> OpenedFile {
        let format = parsed.format
        guard let node = parsed.metadata else {
            throw KSecretError(.generic, "sops metadata not found in \(path)",
                               hints: ["the file is not encrypted; encrypt it with `ksecret encrypt`"],
                               location: SourceLocation(file: path))
        }
        let metadata = try Metadata(node: node)
        let dataKey = try MasterKeys.unwrap(metadata, path: path, environment: environment)
        let (document, stash) = try Envelope.decrypt(parsed.document, dataKey: dataKey.bytes, metadata: metadata, ignoreMac: ignoreMac,
                                                     recordStash: forRewrite)
        return OpenedFile(path: path, format: format, parsed: parsed, metadata: metadata, dataKey: dataKey,
                          document: document, stash: stash, storeOptions: storeOptions)
    }

    // MARK: Seal

    /// Writes `document` (the opened file's plaintext, changed) back encrypted with the same data
    /// key: unchanged values keep their ciphertext, the MAC and `lastmodified` are renewed.
    public func reseal(_ opened: OpenedFile, document: Document) throws -> [UInt8] {
        try seal(opened, document: document, layout: opened.parsed, format: opened.format)
    }

    /// Rewrites an opened file from new plaintext (`replace`, `edit`): the new text's layout, the old
    /// data key and recipients, and the old ciphertext for every value whose path and plaintext are
    /// unchanged.
    public func replace(_ opened: OpenedFile, plaintext: [UInt8], path: String) throws -> (bytes: [UInt8], summary: ReplaceSummary) {
        let parsed = try opened.format.store.parse(plaintext, path: path)
        if parsed.metadata != nil {
            throw KSecretError(.fileAlreadyEncrypted, "the new content already has sops metadata; give plaintext",
                               location: SourceLocation(file: path))
        }
        let bytes = try seal(opened, document: parsed.document, layout: parsed, format: opened.format)
        let summary = ReplaceSummary.compare(old: opened.document, new: parsed.document)
        return (bytes, summary)
    }

    private func seal(_ opened: OpenedFile, document: Document, layout: ParsedFile, format: FileFormat) throws -> [UInt8] {
        let lastModified = environment.timestamp()
        let selection = opened.metadata.selection ?? .default
        let (encrypted, mac) = try Envelope.encrypt(document, dataKey: opened.dataKey.bytes, selection: selection,
                                                    macOnlyEncrypted: opened.metadata.macOnlyEncrypted,
                                                    lastModified: lastModified, stash: opened.stash, random: environment.random)
        var metadata = opened.metadata
        metadata.lastModified = lastModified
        metadata.mac = mac
        if metadata.selection == nil { metadata.selection = .default }
        return try format.store.emit(encrypted, metadata: metadata.toNode(), source: layout, options: opened.storeOptions)
    }

    // MARK: Status

    /// True when the file has sops metadata with a version and a MAC (`filestatus`).
    public static func isEncrypted(_ bytes: [UInt8], path: String, format: FileFormat) -> Bool {
        parsedIfEncrypted(bytes, path: path, format: format) != nil
    }

    /// The file parsed by `format`'s store when it is encrypted in that format (see `isEncrypted`),
    /// for `open(parsed:)` without a second parse.
    public static func parsedIfEncrypted(_ bytes: [UInt8], path: String, format: FileFormat) -> ParsedFile? {
        guard let parsed = try? format.store.parse(bytes, path: path), let node = parsed.metadata,
              node["version"]?.stringValue?.isEmpty == false, node["mac"]?.stringValue?.isEmpty == false else { return nil }
        return parsed
    }
}

/// How many leaves a `replace` changed and how many kept their ciphertext.
public struct ReplaceSummary: Sendable, Equatable {
    public var changed: Int
    public var kept: Int

    static func compare(old: Document, new: Document) -> ReplaceSummary {
        var oldLeaves: [String: [ScalarValue]] = [:]
        func walk(_ node: Node, _ path: [String], _ visit: (String, ScalarValue) -> Void) {
            switch node {
            case .scalar(let s): visit(path.joined(separator: ":"), s.value)
            case .mapping(let entries): for case .pair(let k, let v) in entries { walk(v, path + [k], visit) }
            case .sequence(let items): for item in items { walk(item, path, visit) }
            case .comment: break
            }
        }
        for branch in old.branches { walk(branch, []) { oldLeaves[$0, default: []].append($1) } }
        var summary = ReplaceSummary(changed: 0, kept: 0)
        for branch in new.branches {
            walk(branch, []) { path, value in
                if let i = oldLeaves[path]?.firstIndex(of: value) { oldLeaves[path]!.remove(at: i); summary.kept += 1 } else { summary.changed += 1 }
            }
        }
        return summary
    }
}

/// A decrypted file: its plaintext tree, and what is needed to write it back.
public struct OpenedFile: Sendable {
    public let path: String
    public let format: FileFormat
    public let parsed: ParsedFile
    public let metadata: Metadata
    let dataKey: SecretBytes
    /// The decryption of `parsed.document`: the same keys, items and comments (values replaced).
    public let document: Document
    let stash: IVStash
    let storeOptions: StoreOptions

    /// The plaintext file. In the file's own format the layout is the encrypted file's, minus the
    /// `sops` block; in another format it is that format's canonical layout.
    public func plaintext(format output: FileFormat) throws -> [UInt8] {
        guard output == format else { return try output.store.emit(document, metadata: nil, source: nil, options: storeOptions) }
        // `document` is the decryption of `parsed.document`, never edited (it is a `let`).
        var source = parsed
        source.layout = parsed.layout?.forDecryptionOfSource()
        return try output.store.emit(document, metadata: nil, source: source, options: storeOptions)
    }

    /// One value: a string raw (no newline), other values in the output format.
    public func extract(_ path: [TreePath.Component], format output: FileFormat) throws -> [UInt8] {
        let node = try document.value(at: path)
        if case .scalar(let s) = node {
            switch s.value {
            case .string(let text): return Array(text.utf8)
            case .bytes(let b): return b
            default: break
            }
        }
        return try output.store.emitValue(node, options: storeOptions)
    }
}

/// Key material that is zeroed when the last reference goes away.
final class SecretBytes: @unchecked Sendable {
    private(set) var bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
    deinit { SecureBytes.zero(&bytes) }
}
