import Foundation
import KSecretAge
import Testing
@testable import KSecret

/// Passphrase-protected age identity files in the age key sources (Format.md §8): opened only when
/// needed, the passphrase asked once per process, and clear refusals. The terminal prompt itself,
/// and the real age and sops, are in InteropTests' EncryptedIdentityTests.
@Suite("encrypted age identities")
struct EncryptedAgeIdentitiesTests {
    /// Counts the questions and answers each with `answer`.
    final class Asker: @unchecked Sendable {
        private let lock = NSLock()
        private var prompts: [PassphraseRequest] = []
        let answer: String
        init(answer: String) { self.answer = answer }
        var asked: [PassphraseRequest] { lock.lock(); defer { lock.unlock() }; return prompts }
        func ask(_ request: PassphraseRequest) -> [UInt8] { lock.lock(); prompts.append(request); lock.unlock(); return Array(answer.utf8) }
    }

    /// An identity file holding a fresh key, encrypted with `passphrase` (work factor 10: a test,
    /// not a key at rest), and the key's recipient.
    func protectedKey(_ passphrase: String, armor: Bool) throws -> (file: [UInt8], recipient: String) {
        let (identity, recipient) = AgeKeyGen.generate()
        let text = try AgeKeyGen.identityFile(identity: identity)
        let file = try Age.encrypt(Array(text.utf8), to: [ScryptRecipient(passphrase: Array(passphrase.utf8), workFactor: 10)], armor: armor)
        return (file, recipient)
    }

    func environment(_ variables: [String: String], _ asker: Asker) -> KSecretEnvironment {
        var env = KSecretEnvironment(variables: variables.merging(["HOME": "/nonexistent", "XDG_CONFIG_HOME": "/nonexistent"]) { $1 })
        env.askPassphrase = { asker.ask($0) }
        return env
    }

    @Test("one question for any number of data keys and keyrings; the identities inside open them", arguments: [false, true])
    func askedOnce(armor: Bool) throws {
        let (file, recipient) = try protectedKey("open sesame", armor: armor)
        let dir = try FileManager.default.url(for: .itemReplacementDirectory, in: .userDomainMask, appropriateFor: URL(fileURLWithPath: NSTemporaryDirectory()), create: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("keys.age").path
        try Data(file).write(to: URL(fileURLWithPath: path))
        let asker = Asker(answer: "open sesame")
        let env = environment(["SOPS_AGE_KEY_FILE": path], asker)
        for secret in [[UInt8](repeating: 1, count: 32), [UInt8](repeating: 2, count: 32)] {
            let enc = try AgeKeyring.wrap(secret, to: recipient)
            // A new keyring per data key, as each file of a bulk command gets.
            #expect(try AgeKeyring(environment: env).unwrap(enc) == secret)
        }
        #expect(asker.asked == [PassphraseRequest(source: "SOPS_AGE_KEY_FILE (\(path))", cacheID: "SOPS_AGE_KEY_FILE",
                                                  prompt: "Enter passphrase for the age identities in SOPS_AGE_KEY_FILE (\(path)): ")])
    }

    @Test("not asked when an identity before it opens the data key; asked, then no match, for a key it does not hold")
    func lazy() throws {
        let (file, _) = try protectedKey("p", armor: true)
        let (plainIdentity, plainRecipient) = AgeKeyGen.generate()
        let asker = Asker(answer: "p")
        // SOPS_AGE_KEY is read before SOPS_AGE_KEY_CMD; here the protected file comes from the command.
        let env = environment(["SOPS_AGE_KEY": plainIdentity, "SOPS_AGE_KEY_CMD": "printf '%s' '\(String(decoding: file, as: UTF8.self))'"], asker)
        let secret = [UInt8](repeating: 7, count: 32)
        #expect(try AgeKeyring(environment: env).unwrap(try AgeKeyring.wrap(secret, to: plainRecipient)) == secret)
        #expect(asker.asked.isEmpty)
        let (_, elsewhere) = AgeKeyGen.generate()
        #expect(try AgeKeyring(environment: env).unwrap(try AgeKeyring.wrap(secret, to: elsewhere)) == nil)
        #expect(asker.asked.map(\.cacheID) == ["SOPS_AGE_KEY_CMD"])
    }

    @Test("a wrong passphrase, a file encrypted to a key instead of a passphrase, and a prompt that fails are exit 128, naming the source")
    func refusals() throws {
        let (file, recipient) = try protectedKey("right", armor: true)
        let enc = try AgeKeyring.wrap([UInt8](repeating: 3, count: 32), to: recipient)
        let wrong = environment(["SOPS_AGE_KEY": String(decoding: file, as: UTF8.self)], Asker(answer: "wrong"))
        do {
            _ = try AgeKeyring(environment: wrong).unwrap(enc)
            Issue.record("a wrong passphrase opened the identities")
        } catch let error as KSecretError {
            #expect(error.code == .couldNotRetrieveKey)
            #expect(error.message == "incorrect passphrase for the age identities in SOPS_AGE_KEY")
        }

        let (identity, keyRecipient) = AgeKeyGen.generate()
        let toKey = try Age.encrypt(Array(identity.utf8), to: [AgeKeyFile.parseRecipient(keyRecipient)], armor: true)
        let asker = Asker(answer: "x")
        do {
            _ = try AgeKeyring(environment: environment(["SOPS_AGE_KEY": String(decoding: toKey, as: UTF8.self)], asker)).unwrap(enc)
            Issue.record("identities encrypted to a key were used")
        } catch let error as KSecretError {
            #expect(error.message == "the age identities in SOPS_AGE_KEY are encrypted, but not with a passphrase")
        }
        #expect(asker.asked.isEmpty)

        var failing = KSecretEnvironment(variables: ["SOPS_AGE_KEY": String(decoding: try protectedKey("q", armor: true).file, as: UTF8.self),
                                                     "HOME": "/nonexistent", "XDG_CONFIG_HOME": "/nonexistent"])
        failing.askPassphrase = { _ in throw TerminalPassphrase.Failure.noTerminal("No such device or address") }
        do {
            _ = try AgeKeyring(environment: failing).unwrap(enc)
            Issue.record("no passphrase, yet no error")
        } catch let error as KSecretError {
            #expect(error.code == .couldNotRetrieveKey)
            #expect(error.message == "cannot ask for the passphrase of the age identities in SOPS_AGE_KEY: no terminal to ask on (/dev/tty: No such device or address)")
            #expect(error.hints.contains { $0.contains("SOPS_AGE_KEY_CMD") })
        }
    }

    @Test("detection is sops's: the first 14 bytes are `age-encryption` or `-----BEGIN AGE`, nothing else")
    func detection() {
        #expect(EncryptedAgeIdentities.isEncrypted(Array("age-encryption.org/v1\n".utf8)))
        #expect(EncryptedAgeIdentities.isEncrypted(Array("-----BEGIN AGE ENCRYPTED FILE-----\n".utf8)))
        #expect(!EncryptedAgeIdentities.isEncrypted(Array(" -----BEGIN AGE ENCRYPTED FILE-----\n".utf8)))
        #expect(!EncryptedAgeIdentities.isEncrypted(Array("# created: 2026\nAGE-SECRET-KEY-1ABC\n".utf8)))
        #expect(!EncryptedAgeIdentities.isEncrypted(Array("age-encrypt".utf8)))
    }
}
