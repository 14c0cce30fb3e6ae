import KSecretCrypto

/// A passphrase identity (age-format.md §6.2): tries the passphrase on an scrypt stanza.
///
/// A wrong passphrase is "not mine"; a malformed stanza or a work factor above `maxWorkFactor`
/// is a header failure. `Age.decrypt` separately refuses any header where scrypt is not alone.
public struct ScryptIdentity: AgeIdentity {
    /// Go age's default ceiling: log2 N = 22 is about 4 GiB and 15 s.
    public static let defaultMaxWorkFactor = 22

    private let passphrase: [UInt8]
    public let maxWorkFactor: Int

    public init(passphrase: [UInt8], maxWorkFactor: Int = ScryptIdentity.defaultMaxWorkFactor) {
        self.passphrase = passphrase
        self.maxWorkFactor = maxWorkFactor
    }

    public func unwrap(stanzas: [AgeStanza]) throws -> [UInt8]? {
        for stanza in stanzas where stanza.type == ScryptRecipient.stanzaType {
            guard stanzas.count == 1 else { throw AgeError.header("an scrypt stanza must be alone in the header") }
            guard stanza.arguments.count == 2 else { throw AgeError.header("invalid scrypt stanza: wrong argument count") }
            guard let salt = AgeBase64.decodeUnpadded(stanza.arguments[0]), salt.count == 16 else {
                throw AgeError.header("invalid scrypt stanza: malformed salt")
            }
            let factor = Array(stanza.arguments[1].utf8)
            guard let first = factor.first, (UInt8(ascii: "1")...UInt8(ascii: "9")).contains(first),
                  factor.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
                throw AgeError.header("invalid scrypt stanza: malformed work factor")
            }
            guard factor.count <= 2, let logN = Int(stanza.arguments[1]), logN <= maxWorkFactor else {
                throw AgeError.header("invalid scrypt stanza: work factor above \(maxWorkFactor)")
            }
            guard stanza.body.count == 32 else { throw AgeError.header("invalid scrypt stanza: body is not 32 bytes") }
            var key = try Scrypt.derive(password: passphrase, salt: ScryptRecipient.saltLabel + salt, logN: logN, count: 32)
            defer { SecureBytes.zero(&key) }
            if let fileKey = try? ChaChaPoly.open(key: key, nonce: [UInt8](repeating: 0, count: 12), sealed: stanza.body) {
                return fileKey
            }
        }
        return nil
    }
}
