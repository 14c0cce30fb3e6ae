import Dispatch
import KSecretCrypto

/// The sops envelope over a document (Format.md §1–3): encrypts and decrypts every leaf the
/// selection rule picks with AES-256-GCM under the data key, with the key path as AAD, and computes
/// and checks the SHA-512 MAC.
///
/// Policy: walk order, AAD, what is encrypted and what is hashed are exactly sops's, so files cross
/// between the two tools. No plaintext ever appears in an error: errors name the key path only.
/// Comments stay `.comment` nodes (also inside sequences); the stores reproduce sops's way of
/// writing encrypted list comments as strings.
public enum Envelope {
    /// The 32 bytes fed to the hash first when `mac_only_encrypted` is set: SHA-256 of `sops`.
    public static let macOnlyEncryptedInitialization: [UInt8] = [
        0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b,
        0x0b, 0x97, 0x5b, 0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
    ]

    /// Encrypts a plaintext document. Returns the encrypted document and the MAC already encrypted
    /// for `sops.mac` (AAD = `lastModified`, canonicalised). With a `stash` from a decryption with
    /// the same data key, unchanged values keep their IVs (and so their exact ciphertext).
    /// Throws exit 23 for a leaf that cannot be encrypted, exit 21 when the MAC cannot be.
    public static func encrypt(_ doc: Document, dataKey: [UInt8], selection: SelectionRule, macOnlyEncrypted: Bool,
                               lastModified: String, stash: IVStash? = nil,
                               random: @escaping @Sendable (Int) -> [UInt8] = SecureBytes.random) throws -> (document: Document, mac: String) {
        try checkKey(dataKey)
        let make = {
            try EnvelopeWalker(mode: .encrypt, key: dataKey, selection: selection, macOnlyEncrypted: macOnlyEncrypted,
                               stash: stash ?? IVStash(), random: random)
        }
        let walker = try make()
        let branches = try walkBranches(doc.branches, walker: walker, sibling: make)
        let macHex = walker.finishMAC()
        let mac = try encryptMAC(macHex, dataKey: dataKey, lastModified: lastModified, stash: stash, random: random)
        return (Document(branches: branches), mac)
    }

    /// Decrypts an encrypted document and verifies its MAC against `metadata.mac` unless
    /// `ignoreMac`. Returns the plaintext and the IV stash for a later re-encryption.
    /// Exit 25 for a malformed or unauthentic value (naming its key path), 51 for a MAC problem.
    public static func decrypt(_ doc: Document, dataKey: [UInt8], metadata: Metadata, ignoreMac: Bool, recordStash: Bool = true) throws
        -> (document: Document, stash: IVStash) {
        try checkKey(dataKey)
        let make = {
            try EnvelopeWalker(mode: .decrypt, key: dataKey, selection: metadata.selection ?? .default,
                               macOnlyEncrypted: metadata.macOnlyEncrypted, stash: IVStash(recording: recordStash), random: SecureBytes.random)
        }
        let walker = try make()
        let branches = try walkBranches(doc.branches, walker: walker, sibling: make)
        let computed = walker.finishMAC()
        var stash = walker.stash

        let aad = RFC3339.canonicalize(metadata.lastModified) ?? metadata.lastModified
        var stored: String?
        if !metadata.mac.isEmpty, let value = try? EncryptedValue.parse(metadata.mac, path: ["sops", "mac"]),
           let plain = try? AESGCM.open(key: dataKey, iv: value.iv, ciphertext: value.data, tag: value.tag, aad: Array(aad.utf8)) {
            let text = String(decoding: plain, as: UTF8.self)
            stored = text
            stash.record(aad: aad, value: .string(text), iv: value.iv)
        }
        if !ignoreMac {
            let hint = "--ignore-mac skips this check; use it only if you know why the file changed"
            if metadata.mac.isEmpty {
                throw KSecretError(.macMismatch, "mac mismatch: the file has no mac", hints: [hint])
            }
            guard let stored else {
                throw KSecretError(.macMismatch, "could not decrypt the mac",
                                   hints: ["sops.lastmodified or sops.mac may have been edited", hint])
            }
            guard stored == computed else {
                throw KSecretError(.macMismatch, "mac mismatch: the file's values do not match its mac",
                                   hints: ["a value, or its order, changed since the file was last encrypted", hint])
            }
        }
        return (Document(branches: branches), stash)
    }

    /// The MAC of a plaintext document (uppercase hex of SHA-512), as `encrypt` computes it.
    public static func mac(of plaintextDoc: Document, selection: SelectionRule, macOnlyEncrypted: Bool) throws -> String {
        let walker = try EnvelopeWalker(mode: .macOnly, key: [], selection: selection, macOnlyEncrypted: macOnlyEncrypted,
                                        stash: IVStash(), random: SecureBytes.random)
        for branch in plaintextDoc.branches { _ = try walker.walkRoot(branch) }
        return walker.finishMAC()
    }

    /// Encrypts a MAC string for `sops.mac`: type `str`, AAD = canonical `lastModified`.
    public static func encryptMAC(_ mac: String, dataKey: [UInt8], lastModified: String, stash: IVStash? = nil,
                                  random: @Sendable (Int) -> [UInt8] = SecureBytes.random) throws -> String {
        guard let aad = RFC3339.canonicalize(lastModified) else {
            throw KSecretError(.errorEncryptingMac, "lastmodified is not an RFC 3339 timestamp")
        }
        let iv = stash?.iv(aad: aad, value: .string(mac)) ?? random(EncryptedValue.ivLength)
        do {
            let sealed = try AESGCM.seal(key: dataKey, iv: iv, plaintext: Array(mac.utf8), aad: Array(aad.utf8))
            return EncryptedValue(data: sealed.ciphertext, iv: iv, tag: sealed.tag, type: "str").text
        } catch {
            throw KSecretError(.errorEncryptingMac, "could not encrypt the mac", cause: error)
        }
    }

    /// Decrypts `sops.mac`; exit 51 when it cannot be.
    public static func decryptMAC(_ stored: String, dataKey: [UInt8], lastModified: String) throws -> String {
        let aad = RFC3339.canonicalize(lastModified) ?? lastModified
        guard let value = try? EncryptedValue.parse(stored, path: ["sops", "mac"]),
              let plain = try? AESGCM.open(key: dataKey, iv: value.iv, ciphertext: value.data, tag: value.tag, aad: Array(aad.utf8))
        else { throw KSecretError(.macMismatch, "could not decrypt the mac") }
        return String(decoding: plain, as: UTF8.self)
    }

    // MARK: Two threads for large documents

    /// Fewer leaves than this are walked on one thread: a second one costs more than it saves.
    static let splitThreshold = 2_000

    /// Walks each branch like `walker.walkRoot`, but a large branch on two threads: `walker` takes
    /// the first half of the largest container near the root and a `sibling` walker the rest. The
    /// result, the MAC (the second half's input is hashed after the first's, so in walk order) and
    /// the IV stash are exactly those of a walk on one thread; an error is the first in walk order.
    static func walkBranches(_ branches: [Node], walker: EnvelopeWalker, sibling: () throws -> EnvelopeWalker) throws -> [Node] {
        try branches.map { branch in
            guard walker.canSplit, let split = SplitPoint(branch, threshold: splitThreshold) else { return try walker.walkRoot(branch) }
            let second = try sibling()
            second.macBytes = []
            let results = SplitResults()
            let head = split.head(of: branch)
            DispatchQueue.concurrentPerform(iterations: 2) { part in
                if part == 0 {
                    results.head = Result { try walker.walkRoot(head) }
                } else {
                    results.tail = Result {
                        switch split.tail {
                        case .entries(let entries): return .mapping(try second.walkEntries(entries, under: split.keys))
                        case .items(let items): return .sequence(try second.walkItems(items, under: split.keys))
                        }
                    }
                }
            }
            guard let headResult = results.head, let tailResult = results.tail else { preconditionFailure("a split walk lost a half") }
            let walkedHead = try headResult.get()
            let walkedTail = try tailResult.get()
            walker.hasher.update(second.macBytes ?? [])
            walker.stash.merge(second.stash)
            return split.join(walkedHead, walkedTail)
        }
    }

    private static func checkKey(_ key: [UInt8]) throws {
        guard key.count == AESGCM.keyLength else {
            throw KSecretError(.generic, "the data key must be 32 bytes, not \(key.count)")
        }
    }
}

/// The two halves' results of a split walk, each written by its own thread before the join.
private final class SplitResults: @unchecked Sendable {
    var head: Result<Node, any Error>?
    var tail: Result<Node, any Error>?
}

/// Where a branch is cut in two for `Envelope.walkBranches`: the first container on the way down
/// from the root with two or more members (through mappings with a single key), cut where the
/// leaves before it are about half of all.
struct SplitPoint {
    /// The keys from the root to the container, and the index of each one's entry in its mapping.
    var keys: [String] = []
    var chain: [Int] = []
    /// Members from this index on go to the second walker.
    var index = 0
    enum Tail { case entries([MappingEntry]), items([Node]) }
    var tail: Tail

    init?(_ root: Node, threshold: Int) {
        var node = root
        while true {
            switch node {
            case .mapping(let entries):
                let pairs = entries.indices.filter { entries[$0].key != nil }
                if pairs.count == 1, case .pair(let key, let value) = entries[pairs[0]] {
                    keys.append(key)
                    chain.append(pairs[0])
                    node = value
                    continue
                }
                guard pairs.count >= 2, let cut = Self.cut(entries.map { entry -> Int in
                    if case .pair(_, let value) = entry { return Self.leaves(value) } else { return 1 }
                }, threshold: threshold) else { return nil }
                index = cut
                tail = .entries(Array(entries[cut...]))
                return
            case .sequence(let items):
                guard items.count >= 2, let cut = Self.cut(items.map(Self.leaves), threshold: threshold) else { return nil }
                index = cut
                tail = .items(Array(items[cut...]))
                return
            case .scalar, .comment:
                return nil
            }
        }
    }

    /// The index that splits `counts` nearest to half of its sum; nil below the threshold.
    private static func cut(_ counts: [Int], threshold: Int) -> Int? {
        let total = counts.reduce(0, +)
        guard total >= threshold else { return nil }
        var sum = 0
        for (i, c) in counts.enumerated() {
            if sum * 2 >= total { return i > 0 && i < counts.count ? i : nil }
            sum += c
        }
        return nil
    }

    private static func leaves(_ node: Node) -> Int {
        switch node {
        case .scalar, .comment: return 1
        case .mapping(let entries):
            var n = 0
            for entry in entries {
                if case .pair(_, let value) = entry { n += leaves(value) } else { n += 1 }
            }
            return n
        case .sequence(let items): return items.reduce(0) { $0 + leaves($1) }
        }
    }

    /// The branch with the container cut to its first `index` members.
    func head(of root: Node) -> Node { replacingContainer(in: root, depth: 0) { $0.prefix(index) } }

    /// The walked head with the walked tail's members appended to its container.
    func join(_ head: Node, _ tail: Node) -> Node {
        replacingContainer(in: head, depth: 0) { container in
            switch (container, tail) {
            case (.mapping(let a), .mapping(let b)): return .mapping(a + b)
            case (.sequence(let a), .sequence(let b)): return .sequence(a + b)
            default: preconditionFailure("the halves of a split walk differ in kind")
            }
        }
    }

    private func replacingContainer(in node: Node, depth: Int, _ change: (Node) -> Node) -> Node {
        guard depth < chain.count else { return change(node) }
        guard case .mapping(var entries) = node, case .pair(let key, let value) = entries[chain[depth]] else {
            preconditionFailure("a split point's chain does not fit the tree")
        }
        entries[chain[depth]] = .pair(key: key, value: replacingContainer(in: value, depth: depth + 1, change))
        return .mapping(entries)
    }
}

private extension Node {
    func prefix(_ count: Int) -> Node {
        switch self {
        case .mapping(let entries): return .mapping(Array(entries.prefix(count)))
        case .sequence(let items): return .sequence(Array(items.prefix(count)))
        default: return self
        }
    }
}
