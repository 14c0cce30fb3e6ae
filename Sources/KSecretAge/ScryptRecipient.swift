import KSecretCrypto

/// A passphrase recipient (age-format.md §6.2). Its stanza must be the only one in a file, so
/// `Age.encrypt` refuses to combine it with any other recipient.
public struct ScryptRecipient: AgeRecipient {
    static let stanzaType = "scrypt"
    static let saltLabel = Array("age-encryption.org/v1/scrypt".utf8)
    /// Go age's fixed work factor (log2 N) for encryption; machine-tuned factors break other
    /// decryptors (rage #642).
    public static let defaultWorkFactor = 18

    private let passphrase: [UInt8]
    public let workFactor: Int

    /// `workFactor` is log2 N, 1…22; keep the default except in tests.
    public init(passphrase: [UInt8], workFactor: Int = ScryptRecipient.defaultWorkFactor) throws {
        guard !passphrase.isEmpty else { throw AgeError.invalidRecipients("empty passphrase") }
        guard (1...ScryptIdentity.defaultMaxWorkFactor).contains(workFactor) else {
            throw AgeError.invalidRecipients("scrypt work factor must be between 1 and 22")
        }
        self.passphrase = passphrase
        self.workFactor = workFactor
    }

    public func wrap(fileKey: [UInt8]) throws -> [AgeStanza] {
        let salt = SecureBytes.random(16)
        var key = try Scrypt.derive(password: passphrase, salt: Self.saltLabel + salt, logN: workFactor, count: 32)
        defer { SecureBytes.zero(&key) }
        let body = try ChaChaPoly.seal(key: key, nonce: [UInt8](repeating: 0, count: 12), plaintext: fileKey)
        return [AgeStanza(type: Self.stanzaType, arguments: [AgeBase64.encodeUnpadded(salt), String(workFactor)], body: body)]
    }
}
