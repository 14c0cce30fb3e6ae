import KSecretCrypto

/// The native age identity: a 32-byte Curve25519 scalar, written `AGE-SECRET-KEY-1…`.
///
/// A final class so that `deinit` can zero the scalar; it is immutable after init, hence
/// `Sendable`.
public final class X25519Identity: AgeIdentity, @unchecked Sendable {
    private var secretKey: [UInt8]
    /// The scalar as libcrypto holds it: public key computed once, reused for every stanza.
    private let privateKey: X25519.PrivateKey
    /// The matching recipient.
    public let recipient: X25519Recipient

    /// An identity from a raw 32-byte scalar (stored unclamped, as age does).
    public init(secretKey: [UInt8]) throws {
        guard secretKey.count == 32 else { throw AgeError.invalidKey("X25519 secret key must be 32 bytes") }
        self.secretKey = secretKey
        privateKey = try X25519.PrivateKey(secretKey)
        recipient = try X25519Recipient(publicKey: privateKey.publicKey)
    }

    /// Parses `AGE-SECRET-KEY-1…` (uppercase only, as the age CLI accepts).
    public convenience init(_ text: String) throws {
        guard text.hasPrefix("AGE-SECRET-KEY-1") else {
            throw AgeError.invalidKey("malformed secret key: does not start with AGE-SECRET-KEY-1")
        }
        guard let decoded = Bech32.decode(text), decoded.hrp == "AGE-SECRET-KEY-" else {
            throw AgeError.invalidKey("malformed secret key: invalid Bech32 encoding")
        }
        var data = decoded.data
        defer { SecureBytes.zero(&data) }
        guard data.count == 32 else { throw AgeError.invalidKey("malformed secret key: wrong key length") }
        try self.init(secretKey: data)
    }

    /// A new random identity.
    public static func generate() -> X25519Identity {
        // A 32-byte random scalar is always a valid X25519 private key.
        try! X25519Identity(secretKey: SecureBytes.random(32))
    }

    deinit { SecureBytes.zero(&secretKey) }

    /// The `AGE-SECRET-KEY-1…` form. Secret: never log it.
    public var string: String { Bech32.encode(hrp: "AGE-SECRET-KEY-", data: secretKey)! }

    public func unwrap(stanzas: [AgeStanza]) throws -> [UInt8]? {
        for stanza in stanzas where stanza.type == X25519Recipient.stanzaType {
            guard stanza.arguments.count == 1 else { throw AgeError.header("invalid X25519 stanza: wrong argument count") }
            guard let share = AgeBase64.decodeUnpadded(stanza.arguments[0]), share.count == 32 else {
                throw AgeError.header("invalid X25519 stanza: malformed ephemeral share")
            }
            guard stanza.body.count == 32 else { throw AgeError.header("invalid X25519 stanza: body is not 32 bytes") }
            var shared: [UInt8]
            do {
                shared = try privateKey.sharedSecret(publicKey: share)
            } catch {
                throw AgeError.header("invalid X25519 stanza: low-order ephemeral share")
            }
            defer { SecureBytes.zero(&shared) }
            var wrapKey = try HKDF.sha256(ikm: shared, salt: share + recipient.publicKey, info: X25519Recipient.label, count: 32)
            defer { SecureBytes.zero(&wrapKey) }
            if let fileKey = try? ChaChaPoly.open(key: wrapKey, nonce: [UInt8](repeating: 0, count: 12), sealed: stanza.body) {
                return fileKey
            }
        }
        return nil
    }
}
