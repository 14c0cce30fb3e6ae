import KSecretCrypto

/// An ssh-ed25519 public key used as an age recipient (age-format.md §6.3): the file key is
/// wrapped to the key's X25519 (Montgomery) form, with a tweak bound to the ssh wire encoding.
public struct SSHEd25519Recipient: AgeRecipient, Equatable {
    static let stanzaType = "ssh-ed25519"
    static let label = Array("age-encryption.org/v1/ssh-ed25519".utf8)

    /// `string("ssh-ed25519") ‖ string(pk32)`.
    let wire: [UInt8]
    /// The X25519 public key of the Ed25519 key.
    let montgomery: [UInt8]

    /// A recipient from the 32-byte Ed25519 public key. Throws when it is not a curve point.
    public init(publicKey: [UInt8]) throws {
        guard publicKey.count == 32 else { throw AgeError.invalidKey("malformed ssh-ed25519 key: wrong key length") }
        wire = SSHWire.string(Array("ssh-ed25519".utf8)) + SSHWire.string(publicKey)
        do { montgomery = try Curve25519Conversion.montgomeryU(ed25519PublicKey: publicKey) } catch {
            throw AgeError.invalidKey("malformed ssh-ed25519 key: not a point on the curve")
        }
    }

    /// Parses an authorized_keys line `ssh-ed25519 AAAA… [comment]`.
    public init(_ line: String) throws {
        let (type, wire) = try SSHWire.parseAuthorizedKey(line)
        guard type == Self.stanzaType else { throw AgeError.invalidKey("not an ssh-ed25519 key") }
        var reader = SSHWireReader(wire)
        _ = try reader.string()
        let key = try reader.string()
        guard reader.isAtEnd else { throw AgeError.invalidKey("malformed ssh-ed25519 key: trailing data") }
        try self.init(publicKey: key)
    }

    var tag: String { SSHWire.tag(wire) }

    public func wrap(fileKey: [UInt8]) throws -> [AgeStanza] {
        var ephemeral = SecureBytes.random(32)
        defer { SecureBytes.zero(&ephemeral) }
        let ephemeralKey = try X25519.PrivateKey(ephemeral)
        let share = ephemeralKey.publicKey
        var shared = try ephemeralKey.sharedSecret(publicKey: montgomery)
        defer { SecureBytes.zero(&shared) }
        var key = try Self.wrapKey(shared: shared, share: share, recipient: montgomery, wire: wire)
        defer { SecureBytes.zero(&key) }
        let body = try ChaChaPoly.seal(key: key, nonce: [UInt8](repeating: 0, count: 12), plaintext: fileKey)
        return [AgeStanza(type: Self.stanzaType, arguments: [tag, AgeBase64.encodeUnpadded(share)], body: body)]
    }

    /// tweak = HKDF(ikm: empty, salt: wire, info: label); ss' = X25519(tweak, ss);
    /// key = HKDF(ikm: ss', salt: share ‖ u, info: label).
    static func wrapKey(shared: [UInt8], share: [UInt8], recipient: [UInt8], wire: [UInt8]) throws -> [UInt8] {
        var tweak = try HKDF.sha256(ikm: [], salt: wire, info: label, count: 32)
        defer { SecureBytes.zero(&tweak) }
        var tweaked = try X25519.sharedSecret(privateKey: tweak, publicKey: shared)
        defer { SecureBytes.zero(&tweaked) }
        return try HKDF.sha256(ikm: tweaked, salt: share + recipient, info: label, count: 32)
    }
}

/// The identity of an ssh-ed25519 private key: its X25519 scalar is SHA-512(seed)[0:32].
public final class SSHEd25519Identity: AgeIdentity, @unchecked Sendable {
    /// The scalar as libcrypto holds it (zeroed when freed), loaded once; no Swift copy is kept.
    private let privateKey: X25519.PrivateKey
    public let recipient: SSHEd25519Recipient

    /// From the 32-byte Ed25519 seed and its public key.
    public init(seed: [UInt8], publicKey: [UInt8]) throws {
        guard seed.count == 32 else { throw AgeError.invalidKey("malformed ssh-ed25519 private key: wrong seed length") }
        var digest = Digest.sha512(seed)
        defer { SecureBytes.zero(&digest) }
        var scalar = Array(digest.prefix(32))
        defer { SecureBytes.zero(&scalar) }
        privateKey = try X25519.PrivateKey(scalar)
        recipient = try SSHEd25519Recipient(publicKey: publicKey)
        guard privateKey.publicKey == recipient.montgomery else {
            throw AgeError.invalidKey("malformed ssh-ed25519 private key: the seed does not match the public key")
        }
    }

    public func unwrap(stanzas: [AgeStanza]) throws -> [UInt8]? {
        for stanza in stanzas where stanza.type == SSHEd25519Recipient.stanzaType {
            guard stanza.arguments.count == 2 else { throw AgeError.header("invalid ssh-ed25519 stanza: wrong argument count") }
            guard let share = AgeBase64.decodeUnpadded(stanza.arguments[1]), share.count == 32 else {
                throw AgeError.header("invalid ssh-ed25519 stanza: malformed ephemeral share")
            }
            guard stanza.arguments[0] == recipient.tag else { continue }
            // The tag is ours: from here on every failure is fatal, as in age.
            guard stanza.body.count == 32 else { throw AgeError.header("invalid ssh-ed25519 stanza: body is not 32 bytes") }
            var shared: [UInt8]
            do { shared = try privateKey.sharedSecret(publicKey: share) } catch {
                throw AgeError.header("invalid ssh-ed25519 stanza: low-order ephemeral share")
            }
            defer { SecureBytes.zero(&shared) }
            var key = try SSHEd25519Recipient.wrapKey(shared: shared, share: share, recipient: recipient.montgomery, wire: recipient.wire)
            defer { SecureBytes.zero(&key) }
            guard let fileKey = try? ChaChaPoly.open(key: key, nonce: [UInt8](repeating: 0, count: 12), sealed: stanza.body) else {
                throw AgeError.header("the ssh-ed25519 stanza for this key does not decrypt")
            }
            return fileKey
        }
        return nil
    }
}
