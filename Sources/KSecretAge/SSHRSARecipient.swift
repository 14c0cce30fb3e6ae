import KSecretCrypto

/// An ssh-rsa public key used as an age recipient (age-format.md §6.4): the file key is the
/// RSAES-OAEP (SHA-256, labelled) ciphertext in the stanza body.
public struct SSHRSARecipient: AgeRecipient {
    static let stanzaType = "ssh-rsa"
    static let label = Array("age-encryption.org/v1/ssh-rsa".utf8)

    let wire: [UInt8]
    let key: RSAKey

    /// Parses an authorized_keys line `ssh-rsa AAAA… [comment]`; refuses keys under 2048 bits.
    public init(_ line: String) throws {
        let (type, wire) = try SSHWire.parseAuthorizedKey(line)
        guard type == Self.stanzaType else { throw AgeError.invalidKey("not an ssh-rsa key") }
        var reader = SSHWireReader(wire)
        _ = try reader.string()
        let e = try reader.mpint(), n = try reader.mpint()
        guard reader.isAtEnd else { throw AgeError.invalidKey("malformed ssh-rsa key: trailing data") }
        try self.init(modulus: n, publicExponent: e, wire: wire)
    }

    init(modulus: [UInt8], publicExponent: [UInt8], wire: [UInt8]? = nil) throws {
        do { key = try RSAKey(modulus: modulus, publicExponent: publicExponent) } catch {
            throw AgeError.invalidKey("malformed ssh-rsa key")
        }
        guard key.bitCount >= 2048 else { throw AgeError.invalidKey("ssh-rsa keys shorter than 2048 bits are refused") }
        self.wire = wire ?? (SSHWire.string(Array("ssh-rsa".utf8)) + SSHWire.mpint(publicExponent) + SSHWire.mpint(modulus))
    }

    var tag: String { SSHWire.tag(wire) }

    public func wrap(fileKey: [UInt8]) throws -> [AgeStanza] {
        let body = try key.encryptOAEPSHA256(fileKey, label: Self.label)
        return [AgeStanza(type: Self.stanzaType, arguments: [tag], body: body)]
    }
}

/// The identity of an ssh-rsa private key.
public final class SSHRSAIdentity: AgeIdentity, @unchecked Sendable {
    let key: RSAKey
    public let recipient: SSHRSARecipient

    init(key: RSAKey) throws {
        self.key = key
        let (n, e) = try key.publicComponents()
        recipient = try SSHRSARecipient(modulus: n, publicExponent: e)
    }

    public func unwrap(stanzas: [AgeStanza]) throws -> [UInt8]? {
        for stanza in stanzas where stanza.type == SSHRSARecipient.stanzaType {
            guard stanza.arguments.count == 1 else { throw AgeError.header("invalid ssh-rsa stanza: wrong argument count") }
            guard stanza.arguments[0] == recipient.tag else { continue }
            guard var fileKey = try? key.decryptOAEPSHA256(stanza.body, label: SSHRSARecipient.label) else {
                throw AgeError.header("the ssh-rsa stanza for this key does not decrypt")
            }
            guard fileKey.count == 16 else {
                SecureBytes.zero(&fileKey)
                throw AgeError.header("invalid ssh-rsa stanza: the file key is not 16 bytes")
            }
            return fileKey
        }
        return nil
    }
}
