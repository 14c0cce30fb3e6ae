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
                               random: (Int) -> [UInt8] = SecureBytes.random) throws -> (document: Document, mac: String) {
        try checkKey(dataKey)
        let (branches, macHex) = try withoutActuallyEscaping(random) { random in
            let walker = try EnvelopeWalker(mode: .encrypt, key: dataKey, selection: selection, macOnlyEncrypted: macOnlyEncrypted,
                                            stash: stash ?? IVStash(), random: random)
            let branches = try doc.branches.map { try walker.walkRoot($0) }
            return (branches, walker.finishMAC())
        }
        let mac = try encryptMAC(macHex, dataKey: dataKey, lastModified: lastModified, stash: stash, random: random)
        return (Document(branches: branches), mac)
    }

    /// Decrypts an encrypted document and verifies its MAC against `metadata.mac` unless
    /// `ignoreMac`. Returns the plaintext and the IV stash for a later re-encryption.
    /// Exit 25 for a malformed or unauthentic value (naming its key path), 51 for a MAC problem.
    public static func decrypt(_ doc: Document, dataKey: [UInt8], metadata: Metadata, ignoreMac: Bool, recordStash: Bool = true) throws
        -> (document: Document, stash: IVStash) {
        try checkKey(dataKey)
        let walker = try EnvelopeWalker(mode: .decrypt, key: dataKey, selection: metadata.selection ?? .default,
                                        macOnlyEncrypted: metadata.macOnlyEncrypted, stash: IVStash(recording: recordStash), random: SecureBytes.random)
        let branches = try doc.branches.map { try walker.walkRoot($0) }
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
                                  random: (Int) -> [UInt8] = SecureBytes.random) throws -> String {
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

    private static func checkKey(_ key: [UInt8]) throws {
        guard key.count == AESGCM.keyLength else {
            throw KSecretError(.generic, "the data key must be 32 bytes, not \(key.count)")
        }
    }
}
