import KSecretCrypto

/// The native age recipient: a Curve25519 public key, written `age1…` (age-format.md §6.1).
public struct X25519Recipient: AgeRecipient, Equatable, Hashable {
    static let label = Array("age-encryption.org/v1/X25519".utf8)
    static let stanzaType = "X25519"

    public let publicKey: [UInt8]

    /// A recipient from a raw 32-byte public key.
    public init(publicKey: [UInt8]) throws {
        guard publicKey.count == 32 else { throw AgeError.invalidKey("X25519 public key must be 32 bytes") }
        self.publicKey = publicKey
    }

    /// Parses `age1…` (lowercase only, as the age CLI accepts).
    public init(_ text: String) throws {
        guard text.hasPrefix("age1") else { throw AgeError.invalidKey("malformed recipient: does not start with age1") }
        guard let (hrp, data) = Bech32.decode(text), hrp == "age" else {
            throw AgeError.invalidKey("malformed recipient: invalid Bech32 encoding")
        }
        guard data.count == 32 else { throw AgeError.invalidKey("malformed recipient: wrong key length") }
        publicKey = data
    }

    /// The `age1…` form.
    public var string: String { Bech32.encode(hrp: "age", data: publicKey)! }

    public func wrap(fileKey: [UInt8]) throws -> [AgeStanza] {
        var ephemeral = SecureBytes.random(32)
        defer { SecureBytes.zero(&ephemeral) }
        return try wrap(fileKey: fileKey, ephemeralSecret: ephemeral)
    }

    /// The deterministic core of `wrap`, so tests can pin the ephemeral secret (§13).
    func wrap(fileKey: [UInt8], ephemeralSecret ephemeral: [UInt8]) throws -> [AgeStanza] {
        let ephemeralKey = try X25519.PrivateKey(ephemeral)
        let share = ephemeralKey.publicKey
        var shared = try ephemeralKey.sharedSecret(publicKey: publicKey)
        defer { SecureBytes.zero(&shared) }
        var wrapKey = try HKDF.sha256(ikm: shared, salt: share + publicKey, info: Self.label, count: 32)
        defer { SecureBytes.zero(&wrapKey) }
        let body = try ChaChaPoly.seal(key: wrapKey, nonce: [UInt8](repeating: 0, count: 12), plaintext: fileKey)
        return [AgeStanza(type: Self.stanzaType, arguments: [AgeBase64.encodeUnpadded(share)], body: body)]
    }
}
