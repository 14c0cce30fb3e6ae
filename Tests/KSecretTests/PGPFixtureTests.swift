import Foundation
import KSecretTestSupport
import Testing
@testable import KSecret

/// The PGP file the real sops wrote (shared/fixtures/sops/pgp, a throwaway key) opens through the
/// whole engine with that key imported into a fresh GNUPGHOME; without it, the error names the
/// fingerprint (Format.md §5.1).
@Suite("sops's PGP fixture", .enabled(if: TestGnuPGHome.available, Comment(rawValue: TestGnuPGHome.reasonUnavailable)))
struct PGPFixtureTests {
    static var dir: URL { FixtureDecryptTests.root.appendingPathComponent("pgp") }
    static let fingerprint = "1199BDC0DA314FC9EF0D82A97D60449006AE874E"

    func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: Self.dir.appendingPathComponent(name))) }

    func environment(_ home: TestGnuPGHome, _ extra: [String: String] = [:]) -> KSecretEnvironment {
        KSecretEnvironment(variables: ["GNUPGHOME": home.path, "HOME": "/nonexistent"].merging(extra) { $1 })
    }

    @Test("enc-pgp.yaml decrypts to the bytes sops encrypted")
    func decrypts() throws {
        let home = try TestGnuPGHome()
        defer { home.close() }
        try home.importKey(String(decoding: try bytes("secret-key.asc"), as: UTF8.self))
        #expect(try String(decoding: bytes("fingerprint.txt"), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) == Self.fingerprint)
        let opened = try SecretsEngine(environment: environment(home)).open(try bytes("enc-pgp.yaml"), path: "enc-pgp.yaml", format: .yaml)
        #expect(try opened.plaintext(format: .yaml) == (try bytes("plain.yaml")))
    }

    @Test("without the secret key: exit 128, naming the fingerprint and the GnuPG home")
    func noSecretKey() throws {
        let home = try TestGnuPGHome()
        defer { home.close() }
        try home.importKey(String(decoding: try bytes("public-key.asc"), as: UTF8.self))
        do {
            _ = try SecretsEngine(environment: environment(home)).open(try bytes("enc-pgp.yaml"), path: "enc-pgp.yaml", format: .yaml)
            Issue.record("opened without the secret key")
        } catch let error as KSecretError {
            #expect(error.code == .couldNotRetrieveKey)
            let text = ([error.message] + error.hints).joined(separator: "\n")
            #expect(error.message.hasSuffix("no secret key for any of its PGP keys (\(Self.fingerprint))"))
            #expect(text.contains(home.path))
        }
    }

    @Test("re-wrapping for the fixture key writes created_at, enc as gpg's armor without its final newline, fp")
    func wrapFormat() throws {
        let home = try TestGnuPGHome()
        defer { home.close() }
        try home.importKey(String(decoding: try bytes("secret-key.asc"), as: UTF8.self))
        let env = KSecretEnvironment(variables: ["GNUPGHOME": home.path, "HOME": "/nonexistent"], now: { Date(timeIntervalSince1970: 1_800_000_000) })
        // Given in lower case with spaces, as people paste it; stored without the spaces.
        let given = "1199 bdc0 da31 4fc9 ef0d  82a9 7d60 4490 06ae 874e"
        let groups = try MasterKeys.wrap(Array(repeating: 7, count: 32), plan: KeyPlan(groups: [KeyGroupRule(pgp: [given])]), environment: env)
        let entry = try #require(groups.first?.pgp.first)
        #expect(entry.fp == "1199bdc0da314fc9ef0d82a97d60449006ae874e")
        #expect(entry.createdAt == "2027-01-15T08:00:00Z")
        #expect(entry.enc.hasPrefix("-----BEGIN PGP MESSAGE-----\n"))
        #expect(entry.enc.hasSuffix("-----END PGP MESSAGE-----"))
        let metadata = Metadata(keyGroups: groups, lastModified: entry.createdAt)
        #expect(try MasterKeys.unwrap(metadata, path: "x", environment: env).bytes == Array(repeating: 7, count: 32))
    }
}
