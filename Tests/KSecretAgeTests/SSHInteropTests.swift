import Foundation
import KSecretCrypto
import Testing
@testable import KSecretAge

/// ssh-ed25519 and ssh-rsa recipients and identities (age-format.md §6.3, §6.4, §9) against the
/// real age 1.1.1 and keys made by the real ssh-keygen. CCTV has no ssh vectors, so interop with
/// the age CLI is the reference.
@Suite("ssh keys as age recipients, with age and ssh-keygen", .tags(.interop),
       .enabled(if: AgeTestSupport.which("age") != nil && AgeTestSupport.which("ssh-keygen") != nil,
                "age and ssh-keygen are not on PATH (install the Debian packages age and openssh-client)"))
struct SSHInteropTests {
    typealias Scratch = AgeInteropTests.Scratch

    /// A key pair from ssh-keygen: the private key path and the authorized_keys line.
    static func sshKeygen(_ scratch: Scratch, _ type: String, name: String, extra: [String] = [], passphrase: String = "") throws -> (path: String, publicKey: String) {
        let path = scratch.path(name)
        try AgeInteropTests.run(["ssh-keygen", "-q", "-t", type, "-N", passphrase, "-C", "test@ksecret", "-f", path] + extra)
        let line = try String(contentsOfFile: path + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return (path, line)
    }

    static func identity(_ path: String) throws -> any AgeIdentity {
        try AgeKeyFile.parseIdentities([UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))).identities[0]
    }

    static let keyTypes: [(String, [String])] = [("ed25519", []), ("rsa", ["-b", "2048"]), ("rsa", ["-b", "3072"])]

    @Test("age -R encrypts to an ssh public key, ksecret decrypts with the ssh private key", arguments: 0..<3)
    func ageToKsecret(index: Int) throws {
        let scratch = try Scratch()
        let (type, extra) = Self.keyTypes[index]
        let key = try Self.sshKeygen(scratch, type, name: "id", extra: extra)
        let recipients = try scratch.write("recipients.txt", Array((key.publicKey + "\n").utf8))
        let plaintext = SecureBytes.random(1000)
        let file = try AgeInteropTests.run(["age", "-R", recipients], stdin: plaintext)
        let stanzaType = try AgeHeader.parse(file).stanzas.map(\.type)
        #expect(stanzaType == ["ssh-\(type)"])
        #expect(try Age.decrypt(file, identities: [Self.identity(key.path)]) == plaintext)
    }

    @Test("ksecret encrypts to an ssh public key, age -d -i decrypts with the ssh private key", arguments: 0..<3)
    func ksecretToAge(index: Int) throws {
        let scratch = try Scratch()
        let (type, extra) = Self.keyTypes[index]
        let key = try Self.sshKeygen(scratch, type, name: "id", extra: extra)
        let plaintext = SecureBytes.random(70_000)
        let file = try Age.encrypt(plaintext, to: [AgeKeyFile.parseRecipient(key.publicKey)], armor: true)
        let input = try scratch.write("in.age", file)
        #expect(try AgeInteropTests.run(["age", "-d", "-i", key.path, input]) == plaintext)
    }

    @Test("a PEM RSA key (ssh-keygen -m PEM) is an identity too")
    func pemRSA() throws {
        let scratch = try Scratch()
        let key = try Self.sshKeygen(scratch, "rsa", name: "id", extra: ["-b", "2048", "-m", "PEM"])
        #expect(try String(contentsOfFile: key.path, encoding: .utf8).hasPrefix("-----BEGIN RSA PRIVATE KEY-----"))
        let file = try AgeInteropTests.run(["age", "-r", key.publicKey], stdin: Array("pem".utf8))
        #expect(try Age.decrypt(file, identities: [Self.identity(key.path)]) == Array("pem".utf8))
    }

    @Test("a stanza for another ssh key is skipped: the tag decides, not a decryption attempt")
    func otherKeySkipped() throws {
        let scratch = try Scratch()
        let ours = try Self.sshKeygen(scratch, "ed25519", name: "ours")
        let theirs = try Self.sshKeygen(scratch, "ed25519", name: "theirs")
        let theirsRSA = try Self.sshKeygen(scratch, "rsa", name: "theirs-rsa", extra: ["-b", "2048"])
        let file = try AgeInteropTests.run(["age", "-r", theirs.publicKey, "-r", theirsRSA.publicKey], stdin: Array("x".utf8))
        #expect(throws: AgeError.noMatch(["ssh-ed25519", "ssh-rsa"])) { try Age.decrypt(file, identities: [Self.identity(ours.path)]) }
        // With both a non-matching and a matching identity, the matching one wins.
        #expect(try Age.decrypt(file, identities: [Self.identity(ours.path), Self.identity(theirs.path)]) == Array("x".utf8))
    }

    @Test("a passphrase-protected OpenSSH key is read up to its public part and fails only for its own stanza")
    func encryptedKey() throws {
        let scratch = try Scratch()
        let locked = try Self.sshKeygen(scratch, "ed25519", name: "locked", passphrase: "correct horse")
        let other = try Self.sshKeygen(scratch, "ed25519", name: "other")
        let identity = try Self.identity(locked.path)
        let forOther = try AgeInteropTests.run(["age", "-r", other.publicKey], stdin: Array("x".utf8))
        #expect(throws: AgeError.noMatch(["ssh-ed25519"])) { try Age.decrypt(forOther, identities: [identity]) }
        let forLocked = try AgeInteropTests.run(["age", "-r", locked.publicKey], stdin: Array("x".utf8))
        #expect {
            try Age.decrypt(forLocked, identities: [identity])
        } throws: { error in
            guard case AgeError.unsupportedKey(let what) = error else { return false }
            return what.contains("passphrase-protected")
        }
    }

    @Test("a tampered ssh-ed25519 stanza for our key is fatal, not skipped")
    func tamperedIsFatal() throws {
        let scratch = try Scratch()
        let key = try Self.sshKeygen(scratch, "ed25519", name: "id")
        let file = try Age.encrypt(Array("x".utf8), to: [AgeKeyFile.parseRecipient(key.publicKey)])
        var header = try AgeHeader.parse(file)
        header.stanzas[0].body[0] ^= 1
        let identity = try Self.identity(key.path)
        #expect(throws: AgeError.self) { try identity.unwrap(stanzas: header.stanzas) }
        var wrongArgs = try AgeHeader.parse(file)
        wrongArgs.stanzas[0].arguments.removeLast()
        #expect(throws: AgeError.header("invalid ssh-ed25519 stanza: wrong argument count")) { try identity.unwrap(stanzas: wrongArgs.stanzas) }
    }

    @Test("recipient parsing: 1024-bit RSA refused, ecdsa refused as unsupported, mismatched type refused")
    func recipientParsing() throws {
        let scratch = try Scratch()
        let small = try Self.sshKeygen(scratch, "rsa", name: "small", extra: ["-b", "1024"])
        #expect(throws: AgeError.invalidKey("ssh-rsa keys shorter than 2048 bits are refused")) { try AgeKeyFile.parseRecipient(small.publicKey) }
        let ecdsa = try Self.sshKeygen(scratch, "ecdsa", name: "ec")
        #expect(throws: AgeError.self) { try AgeKeyFile.parseRecipient(ecdsa.publicKey) }
        let ed = try Self.sshKeygen(scratch, "ed25519", name: "ed")
        let blob = ed.publicKey.split(separator: " ")[1]
        #expect(throws: AgeError.invalidKey("malformed ssh public key: the key type does not match its data")) {
            try AgeKeyFile.parseRecipient("ssh-rsa \(blob)")
        }
    }
}
