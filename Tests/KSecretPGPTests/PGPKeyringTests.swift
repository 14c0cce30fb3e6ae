import Foundation
import KSecretTestSupport
import KSecretPGP
import Testing

/// KSecretPGP against the real gpg, each test in a throwaway GNUPGHOME of its own (passed to GPGME
/// per context, so parallel tests never share a keyring or an agent).
@Suite("PGP through GPGME", .enabled(if: TestGnuPGHome.available, Comment(rawValue: TestGnuPGHome.reasonUnavailable)))
struct PGPKeyringTests {
    let dataKey: [UInt8] = (0..<32).map { UInt8(($0 * 37 + 11) & 0xff) }

    @Test("a 32-byte key encrypts to an armored message that decrypts to the same bytes")
    func roundTrip() throws {
        let home = try TestGnuPGHome()
        defer { home.close() }
        let fp = try home.generateKey("Round Trip <rt@example.invalid>")
        let keyring = PGPKeyring(homeDirectory: home.path)
        let armored = try keyring.encrypt(dataKey, to: [fp])
        #expect(armored.hasPrefix("-----BEGIN PGP MESSAGE-----\n"))
        #expect(armored.contains("-----END PGP MESSAGE-----"))
        #expect(try keyring.decrypt(Array(armored.utf8)) == dataKey)
        // gpg itself reads it too (a message any OpenPGP implementation can open).
        let byGPG = try home.gpg(["--decrypt"], stdin: armored)
        #expect(byGPG.stdout == dataKey)
    }

    @Test("a message to two keys opens in either keyring alone")
    func twoRecipients() throws {
        let a = try TestGnuPGHome(), b = try TestGnuPGHome()
        defer { a.close(); b.close() }
        let fpA = try a.generateKey("A <a@example.invalid>"), fpB = try b.generateKey("B <b@example.invalid>")
        // B's public key reaches A through GPGME's import (what helm's gpg-import URL uses).
        #expect(try PGPKeyring(homeDirectory: a.path).importKeys(Array(try b.exportPublicKey(fpB).utf8)) == 1)
        let armored = try PGPKeyring(homeDirectory: a.path).encrypt(dataKey, to: [fpA, fpB])
        #expect(try PGPKeyring(homeDirectory: a.path).decrypt(Array(armored.utf8)) == dataKey)
        #expect(try PGPKeyring(homeDirectory: b.path).decrypt(Array(armored.utf8)) == dataKey)
    }

    @Test("importing something that is not a key is an error, not zero keys")
    func importJunk() throws {
        let home = try TestGnuPGHome()
        defer { home.close() }
        #expect(throws: PGPError.self) { try PGPKeyring(homeDirectory: home.path).importKeys(Array("not a key\n".utf8)) }
    }

    @Test("an unknown fingerprint is refused, naming it")
    func unknownFingerprint() throws {
        let home = try TestGnuPGHome()
        defer { home.close() }
        _ = try home.generateKey("Known <k@example.invalid>")
        let unknown = "0123456789ABCDEF0123456789ABCDEF01234567"
        #expect(throws: PGPError.keyNotFound(fingerprint: unknown)) {
            try PGPKeyring(homeDirectory: home.path).encrypt(dataKey, to: [unknown])
        }
    }

    @Test("an expired key is refused before anything is encrypted")
    func expiredKey() throws {
        let home = try TestGnuPGHome()
        defer { home.close() }
        let fp = try home.generateKey("Expired <e@example.invalid>", expire: "1d", fakedTime: "20200101T000000")
        #expect(throws: PGPError.keyUnusable(fingerprint: fp, problem: .expired)) {
            try PGPKeyring(homeDirectory: home.path).encrypt(dataKey, to: [fp])
        }
    }

    @Test("a revoked key is refused")
    func revokedKey() throws {
        let home = try TestGnuPGHome()
        defer { home.close() }
        let fp = try home.generateKey("Revoked <r@example.invalid>")
        try home.revoke(fp)
        #expect(throws: PGPError.keyUnusable(fingerprint: fp, problem: .revoked)) {
            try PGPKeyring(homeDirectory: home.path).encrypt(dataKey, to: [fp])
        }
    }

    @Test("with only the public key: no secret key, naming the key ID the message is for")
    func noSecretKey() throws {
        let owner = try TestGnuPGHome(), other = try TestGnuPGHome()
        defer { owner.close(); other.close() }
        let fp = try owner.generateKey("Owner <o@example.invalid>")
        let encryptionSubkey = try owner.fingerprints(fp)[1]
        try other.importKey(try owner.exportPublicKey(fp))
        let armored = try PGPKeyring(homeDirectory: other.path).encrypt(dataKey, to: [fp])
        #expect(throws: PGPError.noSecretKey(keyIDs: [String(encryptionSubkey.suffix(16))])) {
            try PGPKeyring(homeDirectory: other.path).decrypt(Array(armored.utf8))
        }
        // A keyring that has never heard of the key says the same.
        let empty = try TestGnuPGHome()
        defer { empty.close() }
        #expect(throws: PGPError.noSecretKey(keyIDs: [String(encryptionSubkey.suffix(16))])) {
            try PGPKeyring(homeDirectory: empty.path).decrypt(Array(armored.utf8))
        }
    }

    @Test("a passphrase-protected key with no pinentry to ask: pinentry unavailable, not 'no secret key'")
    func noPinentry() throws {
        let home = try TestGnuPGHome()
        defer { home.close() }
        let fp = try home.generateKey("Locked <l@example.invalid>", passphrase: "correct horse")
        let armored = try PGPKeyring(homeDirectory: home.path).encrypt(dataKey, to: [fp])
        try home.configure("gpg-agent.conf", ["pinentry-program /nonexistent/ksecret-test/pinentry"])
        do {
            _ = try PGPKeyring(homeDirectory: home.path).decrypt(Array(armored.utf8))
            Issue.record("decrypted without a passphrase")
        } catch let error {
            guard case .pinentryUnavailable(let cause) = error else { Issue.record("got \(error)"); return }
            #expect(cause.message == "No pinentry")
        }
    }

    @Test("a wrong passphrase from pinentry: bad passphrase")
    func badPassphrase() throws {
        let home = try TestGnuPGHome()
        defer { home.close() }
        let fp = try home.generateKey("Locked <l@example.invalid>", passphrase: "correct horse")
        let armored = try PGPKeyring(homeDirectory: home.path).encrypt(dataKey, to: [fp])
        try home.configure("gpg-agent.conf", ["pinentry-program \(try home.fakePinentry(answering: "battery staple"))"])
        do {
            _ = try PGPKeyring(homeDirectory: home.path).decrypt(Array(armored.utf8))
            Issue.record("decrypted with a wrong passphrase")
        } catch let error {
            guard case .badPassphrase = error else { Issue.record("got \(error)"); return }
        }
        // The right passphrase through the same pinentry opens it: the failure was the passphrase.
        try home.configure("gpg-agent.conf", ["pinentry-program \(try home.fakePinentry(answering: "correct horse"))"])
        #expect(try PGPKeyring(homeDirectory: home.path).decrypt(Array(armored.utf8)) == dataKey)
    }

    @Test("gpg-agent not running and not allowed to start: agent unavailable, not 'no secret key'")
    func noAgent() throws {
        let home = try TestGnuPGHome()
        defer { home.close() }
        let fp = try home.generateKey("Agentless <n@example.invalid>")
        let armored = try PGPKeyring(homeDirectory: home.path).encrypt(dataKey, to: [fp])
        try home.configure("gpg.conf", ["no-autostart"])
        do {
            _ = try PGPKeyring(homeDirectory: home.path).decrypt(Array(armored.utf8))
            Issue.record("decrypted without an agent")
        } catch let error {
            guard case .agentUnavailable = error else { Issue.record("got \(error)"); return }
        }
    }

    @Test("GPGME is initialised once and reports its version")
    func version() throws {
        let version = try PGPKeyring.libraryVersion()
        #expect(version.split(separator: ".").count >= 2)
    }
}
