import Foundation
import Testing
@testable import KSecret

/// Every file the real sops wrote in shared/fixtures/sops decrypts to the bytes sops itself
/// decrypts it to (`decrypted/`), through the whole engine: store, metadata, age, envelope, MAC.
@Suite("sops fixtures decrypt to sops's own output")
struct FixtureDecryptTests {
    static var root: URL {
        if let dir = ProcessInfo.processInfo.environment["KSECRET_SHARED_DIR"] { return URL(fileURLWithPath: dir).appendingPathComponent("fixtures/sops") }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/fixtures/sops")
    }

    struct Case: CustomTestStringConvertible, Sendable {
        var file: String
        var expected: String
        var key: String
        var testDescription: String { file }
    }

    static let cases: [Case] = [
        Case(file: "enc.yaml", expected: "decrypted/enc.yaml", key: "key.txt"),
        Case(file: "enc.json", expected: "decrypted/enc.json", key: "key.txt"),
        Case(file: "enc.env", expected: "decrypted/enc.env", key: "key.txt"),
        Case(file: "enc.ini", expected: "decrypted/enc.ini", key: "key.txt"),
        Case(file: "enc.bin", expected: "decrypted/enc.bin", key: "key.txt"),
        Case(file: "enc-edge.yaml", expected: "decrypted/enc-edge.yaml", key: "key.txt"),
        Case(file: "enc-multidoc.yaml", expected: "decrypted/enc-multidoc.yaml", key: "key.txt"),
        Case(file: "enc-listcomment.yaml", expected: "decrypted/enc-listcomment.yaml", key: "key.txt"),
        Case(file: "enc-encrypted-regex.yaml", expected: "decrypted/enc-encrypted-regex.yaml", key: "key.txt"),
        Case(file: "enc-mac-only-encrypted.yaml", expected: "decrypted/enc-mac-only-encrypted.yaml", key: "key.txt"),
        Case(file: "enc-mac-only-encrypted-suffix.yaml", expected: "decrypted/enc-mac-only-encrypted-suffix.yaml", key: "key.txt"),
        Case(file: "enc-yaml-as.json", expected: "decrypted/enc-yaml-as.json", key: "key.txt"),
        Case(file: "comment-regex/enc-marker.yaml", expected: "decrypted/comment-regex_enc-marker.yaml", key: "key.txt"),
        Case(file: "comment-regex/nocrypt-marker.yaml", expected: "decrypted/comment-regex_nocrypt-marker.yaml", key: "key.txt"),
        Case(file: "keygroups/enc-shamir.yaml", expected: "decrypted/keygroups_enc-shamir.yaml", key: "keygroups/keys13.txt"),
    ]

    @Test("decrypts to the expected bytes", arguments: cases)
    func decrypt(_ c: Case) throws {
        let env = KSecretEnvironment(variables: ["SOPS_AGE_KEY_FILE": Self.root.appendingPathComponent(c.key).path, "HOME": "/nonexistent"])
        let bytes = [UInt8](try Data(contentsOf: Self.root.appendingPathComponent(c.file)))
        let format = FileFormat.forPath(c.file)
        let opened = try SecretsEngine(environment: env).open(bytes, path: c.file, format: format)
        let out = try opened.plaintext(format: format)
        let expected = [UInt8](try Data(contentsOf: Self.root.appendingPathComponent(c.expected)))
        #expect(String(decoding: out, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        #expect(out == expected)
    }

    @Test("a Shamir file opens with 2 of its 3 groups and says how many it got with 1")
    func shamirQuorum() throws {
        let file = Self.root.appendingPathComponent("keygroups/enc-shamir.yaml")
        let bytes = [UInt8](try Data(contentsOf: file))
        let one = KSecretEnvironment(variables: ["SOPS_AGE_KEY_FILE": Self.root.appendingPathComponent("keygroups/key2.txt").path, "HOME": "/nonexistent"])
        do {
            _ = try SecretsEngine(environment: one).open(bytes, path: "enc-shamir.yaml", format: .yaml)
            Issue.record("expected a quorum failure")
        } catch let error as KSecretError {
            #expect(error.code == .couldNotRetrieveKey)
            #expect(error.message.contains("1 of 3 key groups opened, 2 needed"))
        }
    }

    @Test("without a matching identity: exit 128, naming the recipients and where ksecret looked")
    func noKey() throws {
        let bytes = [UInt8](try Data(contentsOf: Self.root.appendingPathComponent("enc.yaml")))
        let other = Self.root.appendingPathComponent("keygroups/key1.txt").path
        let env = KSecretEnvironment(variables: ["SOPS_AGE_KEY_FILE": other, "HOME": "/nonexistent"])
        do {
            _ = try SecretsEngine(environment: env).open(bytes, path: "enc.yaml", format: .yaml)
            Issue.record("expected no key")
        } catch let error as KSecretError {
            #expect(error.code == .couldNotRetrieveKey)
            let text = ([error.message] + error.hints).joined(separator: "\n")
            #expect(text.contains("age12nkg87vl2khsrrnrnu8gaxdxzs40xm6c3dtm9900f7v6qjxcjs4s4cnxcp"))
            #expect(text.contains(other))
        }
    }
}
