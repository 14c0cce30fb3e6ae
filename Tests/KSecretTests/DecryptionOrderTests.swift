import Foundation
import KSecretTestSupport
import Testing
@testable import KSecret

/// `SOPS_DECRYPTION_ORDER` (Format.md §5.2): which key of a group is tried first.
@Suite("decryption order")
struct DecryptionOrderTests {
    @Test("default age,pgp; a list is taken in order, unknown kinds ignored, a repeated kind is exit 112")
    func parse() throws {
        #expect(try DecryptionOrder(nil) == DecryptionOrder(kinds: ["age", "pgp"]))
        #expect(try DecryptionOrder(" pgp , age,,kms") == DecryptionOrder(kinds: ["pgp", "age", "kms"]))
        #expect(throws: KSecretError.self) { try DecryptionOrder("age,pgp,age") }
        do { _ = try DecryptionOrder("pgp,pgp") } catch let error as KSecretError {
            #expect(error.code == .duplicateDecryptionKeyType)
            #expect(error.message.contains("pgp"))
        }
    }

    @Test("keys of a group: listed kinds first in the list's order, the rest in sops's group order")
    func sorting() throws {
        let group = KeyGroup(pgp: [PGPKeyEntry(createdAt: "t", enc: "p", fp: "FP1")],
                             hcVault: [VaultKeyEntry(vaultAddress: "http://v", enginePath: "transit", keyName: "k", createdAt: "t", enc: "v")],
                             age: [AgeKeyEntry(recipient: "age1a", enc: "a"), AgeKeyEntry(recipient: "age1b", enc: "b")])
        func names(_ order: DecryptionOrder) -> [String] {
            order.keys(of: group).map { key in
                switch key {
                case .age(let e): return e.recipient
                case .pgp(let e): return e.fp
                case .vault(let e): return "vault:" + e.keyName
                case .other(_, let name): return name
                }
            }
        }
        #expect(names(.default) == ["age1a", "age1b", "FP1", "vault:k"])
        #expect(names(try DecryptionOrder("pgp")) == ["FP1", "vault:k", "age1a", "age1b"])
        #expect(names(try DecryptionOrder("hc_vault,pgp")) == ["vault:k", "FP1", "age1a", "age1b"])
        #expect(names(try DecryptionOrder("")) == ["vault:k", "FP1", "age1a", "age1b"])
    }

    @Test("an age+pgp group: by default the age key opens it and gpg is never asked; with pgp first, pinentry is asked",
          .enabled(if: TestGnuPGHome.available, Comment(rawValue: TestGnuPGHome.reasonUnavailable)))
    func orderDecidesWhichKeyIsUsed() throws {
        let home = try TestGnuPGHome()
        defer { home.close() }
        let fp = try home.generateKey("Locked <l@example.invalid>", passphrase: "correct horse")
        try home.configure("gpg-agent.conf", ["pinentry-program \(try home.fakePinentry(answering: "correct horse"))"])
        let root = FixtureDecryptTests.root
        let recipient = try String(contentsOf: root.appendingPathComponent("recipient.txt"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        var variables = ["GNUPGHOME": home.path, "HOME": "/nonexistent", "SOPS_AGE_KEY_FILE": root.appendingPathComponent("key.txt").path]
        let dataKey = [UInt8](repeating: 42, count: 32)
        let groups = try MasterKeys.wrap(dataKey, plan: KeyPlan(groups: [KeyGroupRule(age: [recipient], pgp: [fp])]),
                                         environment: KSecretEnvironment(variables: variables))
        let metadata = Metadata(keyGroups: groups, lastModified: "2026-01-01T00:00:00Z")

        #expect(try MasterKeys.unwrap(metadata, path: "f", environment: KSecretEnvironment(variables: variables)).bytes == dataKey)
        #expect(home.pinentryRequests() == 0)

        variables["SOPS_DECRYPTION_ORDER"] = "pgp,age"
        #expect(try MasterKeys.unwrap(metadata, path: "f", environment: KSecretEnvironment(variables: variables)).bytes == dataKey)
        #expect(home.pinentryRequests() == 1)
    }
}
