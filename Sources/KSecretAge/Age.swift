import KSecretCrypto

/// Native age v1 encryption and decryption (`age-encryption.org/v1`), with no age binary at
/// run time.
///
/// Decryption follows age-format.md §7 in order, so failures land in the CCTV classes: armor,
/// header (including structural stanza errors and a missing nonce), no match, header MAC, payload.
public enum Age {
    static let fileKeySize = 16

    /// Encrypts `plaintext` to every recipient, optionally armored.
    ///
    /// Throws `AgeError.invalidRecipients` for an empty list, or for an scrypt recipient combined
    /// with any other (its stanza must be alone).
    public static func encrypt(_ plaintext: [UInt8], to recipients: [any AgeRecipient], armor: Bool = false) throws -> [UInt8] {
        guard !recipients.isEmpty else { throw AgeError.invalidRecipients("no recipients") }
        if recipients.count > 1, recipients.contains(where: { $0 is ScryptRecipient }) {
            throw AgeError.invalidRecipients("a passphrase cannot be combined with other recipients")
        }
        var fileKey = SecureBytes.random(fileKeySize)
        defer { SecureBytes.zero(&fileKey) }
        let file = try encrypt(plaintext, to: recipients, fileKey: fileKey, nonce: SecureBytes.random(AgeStream.nonceSize))
        return armor ? AgeArmor.encode(file) : file
    }

    /// The deterministic core of `encrypt`: the file key and payload nonce come in from outside,
    /// so tests can pin them (age-format.md §13). Never reuse either for two files.
    static func encrypt(_ plaintext: [UInt8], to recipients: [any AgeRecipient], fileKey: [UInt8], nonce: [UInt8]) throws -> [UInt8] {
        var stanzas: [AgeStanza] = []
        for recipient in recipients { stanzas.append(contentsOf: try recipient.wrap(fileKey: fileKey)) }
        if stanzas.contains(where: { $0.type == ScryptRecipient.stanzaType }), stanzas.count > 1 {
            throw AgeError.invalidRecipients("a passphrase cannot be combined with other recipients")
        }
        var macKey = try AgeHeader.macKey(fileKey: fileKey)
        defer { SecureBytes.zero(&macKey) }
        var out = AgeHeader.encode(stanzas: stanzas, macKey: macKey)
        var payloadKey = try AgeStream.payloadKey(fileKey: fileKey, nonce: nonce)
        defer { SecureBytes.zero(&payloadKey) }
        out.append(contentsOf: nonce)
        out.append(contentsOf: try AgeStream.seal(plaintext, key: payloadKey))
        return out
    }

    /// Decrypts an age file, binary or armored (detected automatically), with the first identity
    /// that unwraps its file key. All or nothing: on a payload failure nothing is returned.
    public static func decrypt(_ file: [UInt8], identities: [any AgeIdentity]) throws -> [UInt8] {
        var plaintext: [UInt8] = []
        do {
            try decrypt(file, identities: identities) { plaintext.append(contentsOf: $0) }
        } catch {
            SecureBytes.zero(&plaintext)
            throw error
        }
        return plaintext
    }

    /// Decrypts an age file, handing each authenticated 64 KiB chunk to `output` as soon as it
    /// verifies, as Go age does. On a payload failure the chunks already released stay released:
    /// a caller writing a secret should write to a temporary file and rename it only on success.
    ///
    /// `armored`: nil detects armor (leading whitespace, then `-----BEGIN`), true or false forces it.
    public static func decrypt(_ file: [UInt8], identities: [any AgeIdentity], armored: Bool? = nil,
                               output: ([UInt8]) throws -> Void) throws {
        let binary = (armored ?? AgeArmor.looksArmored(file)) ? try AgeArmor.decode(file) : file
        let header = try AgeHeader.parse(binary)
        var fileKey = try unwrapFileKey(header: header, identities: identities)
        defer { SecureBytes.zero(&fileKey) }
        guard try header.verifyMAC(fileKey: fileKey) else { throw AgeError.headerMAC }
        guard binary.count - header.length >= AgeStream.nonceSize else {
            throw AgeError.header("missing or short payload nonce")
        }
        let nonce = Array(binary[header.length..<(header.length + AgeStream.nonceSize)])
        var payloadKey = try AgeStream.payloadKey(fileKey: fileKey, nonce: nonce)
        defer { SecureBytes.zero(&payloadKey) }
        try AgeStream.open(binary[(header.length + AgeStream.nonceSize)...], key: payloadKey, release: output)
    }

    /// Steps 3–6 of §7: the scrypt-alone rule, then each identity in turn, then the key length.
    static func unwrapFileKey(header: AgeHeader, identities: [any AgeIdentity]) throws -> [UInt8] {
        if header.stanzas.count > 1, header.stanzas.contains(where: { $0.type == ScryptRecipient.stanzaType }) {
            throw AgeError.header("an scrypt stanza must be alone in the header")
        }
        for identity in identities {
            guard var fileKey = try identity.unwrap(stanzas: header.stanzas) else { continue }
            guard fileKey.count == fileKeySize else {
                SecureBytes.zero(&fileKey)
                throw AgeError.header("unwrapped file key is not 16 bytes")
            }
            return fileKey
        }
        throw AgeError.noMatch(header.stanzas.map(\.type))
    }
}
