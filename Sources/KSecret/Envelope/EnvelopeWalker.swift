import KSecretCrypto

/// One pass over a document in sops's walk order (Format.md §2.2–2.4, §3.1), shared by
/// encryption, decryption and MAC computation so the three can never disagree on order, AAD,
/// selection or what the MAC covers.
///
/// State kept incrementally for speed: the AAD bytes of the current path, whether any key on the
/// path matched a path rule, and (only for comment rules) the comment stack.
final class EnvelopeWalker: @unchecked Sendable { // one thread at a time: each thread of a split walk has its own
    enum Mode { case encrypt, decrypt, macOnly }

    let mode: Mode
    let key: [UInt8]
    let matcher: SelectionRule.Matcher
    let macOnlyEncrypted: Bool
    var stash: IVStash
    let random: (Int) -> [UInt8]
    let hasher = Hasher(.sha512)
    /// When set, the MAC's input is collected here instead of hashed: the second half of a split
    /// walk (`Envelope.walkBranches`) hands its bytes to the first half's hasher, in order.
    var macBytes: [UInt8]?
    /// The data key's AES schedule, set up once for all values of the file.
    private lazy var cipher: AESGCMKey? = try? AESGCMKey(key: key)

    private var path: [String] = []
    /// The current path as `k1:k2:…:`; empty at the root.
    private var pathAAD: [UInt8] = []
    /// sops's AAD: the path joined with `:` plus `:`, so the root (top-level comments) is `:`.
    private var aad: [UInt8] { pathAAD.isEmpty ? [UInt8(ascii: ":")] : pathAAD }
    private var commentStack: [[String]] = []
    private let trackComments: Bool
    private let trackPath: Bool

    init(mode: Mode, key: [UInt8], selection: SelectionRule, macOnlyEncrypted: Bool, stash: IVStash,
         random: @escaping (Int) -> [UInt8]) throws {
        self.mode = mode
        self.key = key
        self.matcher = try selection.compiled()
        self.macOnlyEncrypted = macOnlyEncrypted
        self.stash = stash
        self.random = random
        trackComments = matcher.usesComments
        trackPath = matcher.usesPath
        if macOnlyEncrypted { hasher.update(Envelope.macOnlyEncryptedInitialization) }
    }

    func finishMAC() -> String {
        let digest = hasher.finalize()
        let hex: [UInt8] = Array("0123456789ABCDEF".utf8)
        var out = [UInt8]()
        out.reserveCapacity(digest.count * 2)
        for b in digest { out.append(hex[Int(b >> 4)]); out.append(hex[Int(b & 15)]) }
        return String(decoding: out, as: UTF8.self)
    }

    func walkRoot(_ node: Node) throws -> Node {
        path = []
        pathAAD = []
        commentStack = []
        return try walk(node, pathMatched: false, inSequence: false)
    }

    /// Whether a path rule matches any of `keys` (the keys leading to a container).
    func pathMatched(_ keys: [String]) -> Bool {
        trackPath && keys.contains(where: matcher.keyMatches)
    }

    /// Walks part of a container's entries as `walkRoot` would reach them: `keys` lead from the root
    /// to the mapping. Only for walks without comment rules (`canSplit`), which keep no state across entries.
    func walkEntries(_ entries: [MappingEntry], under keys: [String]) throws -> [MappingEntry] {
        enter(keys)
        return try walkMapping(entries, pathMatched: pathMatched(keys))
    }

    /// As `walkEntries`, for part of a sequence's items.
    func walkItems(_ items: [Node], under keys: [String]) throws -> [Node] {
        enter(keys)
        return try walkSequence(items, pathMatched: pathMatched(keys))
    }

    /// Whether a walk's work can be split between threads: comment rules keep a stack across
    /// entries, so they are walked in one piece.
    var canSplit: Bool { !trackComments }

    private func enter(_ keys: [String]) {
        path = keys
        pathAAD = []
        for k in keys {
            pathAAD.append(contentsOf: k.utf8)
            pathAAD.append(UInt8(ascii: ":"))
        }
        commentStack = []
    }

    // MARK: - structure

    private func walk(_ node: Node, pathMatched: Bool, inSequence: Bool) throws -> Node {
        switch node {
        case .mapping(let entries): return .mapping(try walkMapping(entries, pathMatched: pathMatched))
        case .sequence(let items): return .sequence(try walkSequence(items, pathMatched: pathMatched))
        case .scalar(let s): return try scalarLeaf(s, pathMatched: pathMatched, inSequence: inSequence)
        case .comment(let c): return .comment(try commentLeaf(c, pathMatched: pathMatched))
        }
    }

    private func walkMapping(_ entries: [MappingEntry], pathMatched: Bool) throws -> [MappingEntry] {
        if trackComments { commentStack.append([]) }
        defer { if trackComments { commentStack.removeLast() } }
        var out = entries
        for i in out.indices {
            switch out[i] {
            case .comment(let c):
                if trackComments { commentStack[commentStack.count - 1].append(c.text) }
                out[i] = .comment(try commentLeaf(c, pathMatched: pathMatched))
            case .pair(let k, let v):
                let matched = trackPath ? (pathMatched || matcher.keyMatches(k)) : false
                let mark = pathAAD.count
                path.append(k)
                pathAAD.append(contentsOf: k.utf8)
                pathAAD.append(UInt8(ascii: ":"))
                let newValue = try walk(v, pathMatched: matched, inSequence: false)
                path.removeLast()
                pathAAD.removeSubrange(mark...)
                out[i] = .pair(key: k, value: newValue)
                if trackComments { commentStack[commentStack.count - 1].removeAll() }
            }
        }
        return out
    }

    private func walkSequence(_ items: [Node], pathMatched: Bool) throws -> [Node] {
        if trackComments { commentStack.append([]) }
        defer { if trackComments { commentStack.removeLast() } }
        var out = items
        for i in out.indices {
            let isComment = out[i].isComment
            if trackComments, case .comment(let c) = out[i] { commentStack[commentStack.count - 1].append(c.text) }
            out[i] = try walk(out[i], pathMatched: pathMatched, inSequence: true)
            if trackComments && !isComment { commentStack[commentStack.count - 1].removeAll() }
        }
        return out
    }

    // MARK: - leaves

    private func shouldEncrypt(pathMatched: Bool, isComment: Bool) -> Bool {
        matcher.shouldEncrypt(pathMatched: pathMatched, commentStack: commentStack, isComment: isComment)
    }

    private func hash(_ value: ScalarValue) {
        if macBytes != nil {
            switch value {
            case .string(let s): macBytes!.append(contentsOf: s.utf8)
            case .bytes(let b): macBytes!.append(contentsOf: b)
            case .null: break
            default: macBytes!.append(contentsOf: ValueCodec.macBytes(value))
            }
            return
        }
        switch value {
        case .string(let s):
            if !s.isEmpty { hasher.update(s) }
        case .bytes(let b): hasher.update(b)
        case .null: break
        default: hasher.update(ValueCodec.macBytes(value))
        }
    }

    private func scalarLeaf(_ scalar: Scalar, pathMatched: Bool, inSequence: Bool) throws -> Node {
        // Nulls are neither encrypted nor hashed (sops does not even visit them).
        if case .null = scalar.value { return .scalar(scalar) }
        let encrypted = shouldEncrypt(pathMatched: pathMatched, isComment: false)
        switch mode {
        case .macOnly:
            if !macOnlyEncrypted || encrypted { hash(scalar.value) }
            return .scalar(scalar)
        case .encrypt:
            if !macOnlyEncrypted || encrypted { hash(scalar.value) }
            guard encrypted else { return .scalar(scalar) }
            return .scalar(Scalar(.string(try seal(scalar.value)), origin: scalar.origin))
        case .decrypt:
            guard encrypted else {
                if !macOnlyEncrypted { hash(scalar.value) }
                return .scalar(scalar)
            }
            guard case .string(let text) = scalar.value else {
                throw KSecretError(.errorDecryptingTree, "value at \(TreePath.render(path)) is not encrypted",
                                   hints: ["the file's \(matcher.rule.metadataKey) says this value is encrypted, but it is a plain \(typeName(scalar.value)); was it edited by hand?"],
                                   location: SourceLocation(keyPath: path))
            }
            if text.isEmpty { return .scalar(scalar) } // empty strings are stored clear; they hash to nothing
            guard EncryptedValue.looksEncrypted(text) else {
                throw KSecretError(.errorDecryptingTree, "value at \(TreePath.render(path)) is not encrypted",
                                   hints: ["the file's \(matcher.rule.metadataKey) says this value is encrypted, but it is plain text; was it edited by hand?"],
                                   location: SourceLocation(keyPath: path))
            }
            let (decoded, iv) = try open(text)
            switch decoded {
            case .value(let value):
                stash.record(aad: aad, value: value, iv: iv)
                hash(value)
                return .scalar(Scalar(value, origin: scalar.origin))
            case .comment(let commentText):
                guard inSequence else {
                    throw KSecretError(.errorDecryptingTree, "value at \(TreePath.render(path)) decrypts to a comment",
                                       location: SourceLocation(keyPath: path))
                }
                // sops stores encrypted list comments as strings; they turn back into comments
                // and stay out of the MAC.
                stash.record(aad: aad, comment: commentText, iv: iv)
                return .comment(Comment(commentText, origin: scalar.origin))
            }
        }
    }

    private func commentLeaf(_ comment: Comment, pathMatched: Bool) throws -> Comment {
        // Comments never feed the MAC.
        guard mode != .macOnly else { return comment }
        let encrypted = shouldEncrypt(pathMatched: pathMatched, isComment: true)
        guard encrypted, !comment.text.isEmpty else { return comment }
        switch mode {
        case .encrypt:
            let iv = stash.iv(aad: aad, comment: comment.text) ?? freshIV()
            let text = try sealBytes(Array(comment.text.utf8), type: "comment", iv: iv)
            if case .unencryptedCommentRegex = matcher.rule, matcher.commentMatches(text) {
                throw KSecretError(.errorEncryptingTree, "an encrypted comment at \(TreePath.render(path)) would match unencrypted_comment_regex",
                                   hints: ["make the regex stricter so it cannot match ENC[...] text"],
                                   location: SourceLocation(keyPath: path))
            }
            return Comment(text, origin: comment.origin)
        case .decrypt:
            // A comment that does not decrypt was added in clear text later: keep it (sops warns).
            guard EncryptedValue.looksEncrypted(comment.text), let (decoded, iv) = try? open(comment.text) else { return comment }
            switch decoded {
            case .comment(let text):
                stash.record(aad: aad, comment: text, iv: iv)
                return Comment(text, origin: comment.origin)
            case .value(.string(let text)):
                return Comment(text, origin: comment.origin)
            case .value:
                return comment
            }
        case .macOnly:
            return comment
        }
    }

    // MARK: - crypto

    /// IVs drawn 128 at a time into a pool of this walker's own: one request per value was a lock
    /// taken 20,000 times (and fought over by the two walkers of a split walk). IVs are written
    /// into the file in clear, so the pool needs no wiping.
    private var ivPool: [UInt8] = []

    private func freshIV() -> [UInt8] {
        let n = EncryptedValue.ivLength
        if ivPool.count < n { ivPool = random(n * 128) }
        let iv = Array(ivPool[(ivPool.count - n)...])
        ivPool.removeLast(n)
        return iv
    }

    private func seal(_ value: ScalarValue) throws -> String {
        let (bytes, type) = try encodeForEncryption(value)
        if bytes.isEmpty { return "" } // empty strings are not encrypted
        let iv = stash.iv(aad: aad, value: value) ?? freshIV()
        return try sealBytes(bytes, type: type, iv: iv)
    }

    private func encodeForEncryption(_ value: ScalarValue) throws -> (bytes: [UInt8], type: String) {
        do {
            return try ValueCodec.encode(value)
        } catch {
            throw KSecretError(.errorEncryptingTree, "cannot encrypt the value at \(TreePath.render(path))",
                               location: SourceLocation(keyPath: path), cause: error)
        }
    }

    private func sealBytes(_ bytes: [UInt8], type: String, iv: [UInt8]) throws -> String {
        do {
            let sealed = try cipher.map { try $0.seal(iv: iv, plaintext: bytes, aad: aad) }
                ?? AESGCM.seal(key: key, iv: iv, plaintext: bytes, aad: aad)
            return EncryptedValue(data: sealed.ciphertext, iv: iv, tag: sealed.tag, type: type).text
        } catch {
            throw KSecretError(.errorEncryptingTree, "could not encrypt value at \(TreePath.render(path))",
                               location: SourceLocation(keyPath: path), cause: error)
        }
    }

    private func open(_ text: String) throws -> (ValueCodec.Decoded, [UInt8]) {
        let value = try EncryptedValue.parse(text, path: path)
        let plain: [UInt8]
        do {
            plain = try cipher.map { try $0.open(iv: value.iv, ciphertext: value.data, tag: value.tag, aad: aad) }
                ?? AESGCM.open(key: key, iv: value.iv, ciphertext: value.data, tag: value.tag, aad: aad)
        } catch {
            throw KSecretError(.errorDecryptingTree, "could not decrypt value at \(TreePath.render(path))",
                               hints: ["the value, its key path or the data key does not match: the file may have been tampered with or the value moved to another key"],
                               location: SourceLocation(keyPath: path), cause: error)
        }
        return (try ValueCodec.decode(plain, type: value.type, path: path), value.iv)
    }

    private func typeName(_ value: ScalarValue) -> String {
        switch value {
        case .string: return "string"
        case .bytes: return "byte string"
        case .int: return "integer"
        case .float: return "float"
        case .bool: return "boolean"
        case .time: return "timestamp"
        case .null: return "null"
        }
    }
}
