import KSecretCrypto

/// SSH private key files as age identities (age-format.md §9): OpenSSH's `openssh-key-v1` format
/// for ed25519 and RSA keys, and PEM RSA keys (read by libcrypto).
///
/// Passphrase-protected OpenSSH keys need bcrypt_pbkdf, which libcrypto does not have; like age,
/// such a key is read up to its public part and fails only when a stanza is actually for it, so
/// an encrypted `~/.ssh/id_ed25519` does not stop files that other identities open.
public enum SSHPrivateKey {
    static let magic = Array("openssh-key-v1\u{0}".utf8)

    /// Whether `data` looks like a PEM private key (what `age -i` treats as an ssh key).
    public static func looksLikePEM(_ data: [UInt8]) -> Bool { data.starts(with: Array("-----BEGIN".utf8)) }

    public static func parseIdentity(_ data: [UInt8]) throws -> any AgeIdentity {
        guard data.count <= 16 << 10 else { throw AgeError.invalidKey("ssh private key file is larger than 16 KiB") }
        let text = String(decoding: data, as: UTF8.self)
        if text.hasPrefix("-----BEGIN OPENSSH PRIVATE KEY-----") {
            return try parseOpenSSH(try pemBody(text, label: "OPENSSH PRIVATE KEY"))
        }
        if text.hasPrefix("-----BEGIN RSA PRIVATE KEY-----") || text.hasPrefix("-----BEGIN PRIVATE KEY-----") {
            if text.contains("ENCRYPTED") {
                throw AgeError.unsupportedKey("passphrase-protected PEM ssh keys are not supported")
            }
            let key: RSAKey
            do { key = try RSAKey(pem: data) } catch { throw AgeError.invalidKey("malformed PEM private key") }
            return try SSHRSAIdentity(key: key)
        }
        if text.hasPrefix("-----BEGIN ENCRYPTED PRIVATE KEY-----") {
            throw AgeError.unsupportedKey("passphrase-protected PEM ssh keys are not supported")
        }
        throw AgeError.unsupportedKey("unsupported ssh private key format (only OpenSSH ed25519/RSA and PEM RSA keys)")
    }

    /// The base64 between the armor lines, decoded.
    static func pemBody(_ text: String, label: String) throws -> [UInt8] {
        var inside = false, body: [UInt8] = []
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" }) {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine[...]
            if line == "-----BEGIN \(label)-----" { inside = true; continue }
            if line == "-----END \(label)-----" {
                guard inside, let decoded = AgeBase64.decodePadded(body) else { break }
                return decoded
            }
            if inside { body.append(contentsOf: line.utf8.filter { $0 != UInt8(ascii: " ") }) }
        }
        throw AgeError.invalidKey("malformed ssh private key: bad PEM armor")
    }

    static func parseOpenSSH(_ blob: [UInt8]) throws -> any AgeIdentity {
        guard blob.starts(with: magic) else { throw AgeError.invalidKey("malformed ssh private key: not openssh-key-v1") }
        var reader = SSHWireReader(Array(blob.dropFirst(magic.count)))
        let cipher = try reader.text(), kdf = try reader.text()
        _ = try reader.string()
        guard try reader.uint32() == 1 else { throw AgeError.invalidKey("ssh private key files with several keys are not supported") }
        let publicWire = try reader.string()
        var privateSection = try reader.string()
        defer { SecureBytes.zero(&privateSection) }
        var publicReader = SSHWireReader(publicWire)
        let type = try publicReader.text()
        guard type == "ssh-ed25519" || type == "ssh-rsa" else {
            throw AgeError.unsupportedKey("\(type) ssh keys cannot be used with age (only ssh-ed25519 and ssh-rsa)")
        }
        if cipher != "none" || kdf != "none" {
            return EncryptedSSHIdentity(type: type, tag: SSHWire.tag(publicWire))
        }
        var p = SSHWireReader(privateSection)
        guard try p.uint32() == (try p.uint32()) else { throw AgeError.invalidKey("malformed ssh private key: check bytes differ") }
        guard try p.text() == type else { throw AgeError.invalidKey("malformed ssh private key: the key types differ") }
        if type == "ssh-ed25519" {
            let publicKey = try p.string()
            var secret = try p.string()
            defer { SecureBytes.zero(&secret) }
            guard secret.count == 64, publicKey.count == 32 else { throw AgeError.invalidKey("malformed ssh-ed25519 private key") }
            return try SSHEd25519Identity(seed: Array(secret.prefix(32)), publicKey: publicKey)
        }
        let n = try p.mpint(), e = try p.mpint()
        var d = try p.mpint()
        _ = try p.mpint()  // iqmp: derived again from p and q
        var prime1 = try p.mpint(), prime2 = try p.mpint()
        defer { SecureBytes.zero(&d); SecureBytes.zero(&prime1); SecureBytes.zero(&prime2) }
        let key: RSAKey
        do {
            key = try RSAKey(modulus: n, publicExponent: e, privateExponent: d, prime1: prime1, prime2: prime2)
        } catch { throw AgeError.invalidKey("malformed ssh-rsa private key") }
        return try SSHRSAIdentity(key: key)
    }
}

/// A passphrase-protected OpenSSH key: known by its public part only. It ignores stanzas for
/// other keys and fails clearly on a stanza for itself.
final class EncryptedSSHIdentity: AgeIdentity {
    let type: String
    let tag: String

    init(type: String, tag: String) {
        self.type = type
        self.tag = tag
    }

    func unwrap(stanzas: [AgeStanza]) throws -> [UInt8]? {
        for stanza in stanzas where stanza.type == type && stanza.arguments.first == tag {
            throw AgeError.unsupportedKey("the \(type) key for this file is passphrase-protected, which ksecret cannot decrypt (libcrypto has no bcrypt_pbkdf)")
        }
        return nil
    }
}
