import Foundation
import Testing
@testable import KSecret

/// Inputs the libFuzzer targets (Fuzz/, `make fuzz`) found to break a property, kept as regression
/// tests in the normal suite. Each test names the target and the property (Documentation/Robustness.md).
@Suite("fuzz regressions")
struct FuzzRegressionTests {
    static var fixtures: URL {
        if let dir = ProcessInfo.processInfo.environment["KSECRET_SHARED_DIR"] { return URL(fileURLWithPath: dir).appendingPathComponent("fixtures/sops") }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/fixtures/sops")
    }

    static func engine() -> SecretsEngine {
        SecretsEngine(environment: KSecretEnvironment(variables: ["SOPS_AGE_KEY_FILE": fixtures.appendingPathComponent("key.txt").path, "HOME": "/nonexistent"]))
    }

    static func encrypt(_ text: String) throws -> [UInt8] {
        let recipient = try String(contentsOf: fixtures.appendingPathComponent("recipient.txt"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return try engine().encrypt(Array(text.utf8), options: EncryptOptions(path: "f.yaml", inputFormat: .yaml, outputFormat: .yaml,
                                                                              keys: KeyPlan(groups: [KeyGroupRule(age: [recipient])])))
    }

    static func values(_ d: Document) -> [String] {
        var out: [String] = []
        func walk(_ n: Node) {
            switch n {
            case .scalar(let s): out.append("\(s.value)")
            case .mapping(let e): for case .pair(let k, let v) in e { out.append(k); walk(v) }
            case .sequence(let items): items.forEach(walk)
            case .comment(let c): out.append("#" + c.text)
            }
        }
        d.branches.forEach(walk)
        return out
    }

    @Test("FuzzEncryptDecrypt: an alias in clear text to an anchor whose value is encrypted decrypts (was a MAC mismatch)",
          arguments: [
              // a merge key under a _unencrypted key, its anchor encrypted
              "base: &defaults\n  adapter: postgres\n  pool: 5\ndevelopment_unencrypted:\n  <<: *defaults\n  database: dev\n",
              // a scalar alias in clear text to an encrypted scalar
              "region: &region eu-west-1\nclear_unencrypted:\n  backup: *region\n",
              // a sequence alias in clear text to an encrypted sequence
              "hosts: &hosts\n  - a\n  - b\nmirror_unencrypted: *hosts\n",
          ])
    func aliasToEncryptedAnchor(plain: String) throws {
        let encrypted = try Self.encrypt(plain)
        let opened = try Self.engine().open(encrypted, path: "f.yaml", format: .yaml)
        let parsed = try YAMLStore().parse(Array(plain.utf8), path: "f.yaml")
        #expect(Self.values(opened.document) == Self.values(parsed.document))
        // No clear-text copy of the anchored values is left behind an alias that now reads ciphertext.
        #expect(!String(decoding: encrypted, as: UTF8.self).contains("*"), "an alias to encrypted content was kept")
    }

    @Test("FuzzEncryptDecrypt: a YAML file of only comments is refused, not written back in clear without a sops block")
    func commentOnlyFileIsRefused() throws {
        #expect(throws: KSecretError.self) { try Self.encrypt("# only a comment\n") }
        #expect(throws: KSecretError.self) { try YAMLStore().parse(Array("# a\n\n# b\n".utf8), path: "f.yaml") }
        do {
            _ = try YAMLStore().parse(Array("# only a comment\n".utf8), path: "f.yaml")
        } catch let error as KSecretError {
            #expect(error.code == .couldNotReadInputFile)
        }
    }

    @Test("FuzzEncryptDecrypt: metadata appended to an indented root mapping stands at its column (was invalid YAML)",
          arguments: ["# key groups\n\n  n: 73\n", "   a: 1\n   b:\n     c: x\n"])
    func indentedRootMapping(plain: String) throws {
        let encrypted = try Self.encrypt(plain)
        let opened = try Self.engine().open(encrypted, path: "f.yaml", format: .yaml)
        let parsed = try YAMLStore().parse(Array(plain.utf8), path: "f.yaml")
        #expect(Self.values(opened.document) == Self.values(parsed.document))
        // Written back (a value changed, or unchanged) the file stays readable.
        let resealed = try Self.engine().reseal(opened, document: opened.document)
        #expect(Self.values(try Self.engine().open(resealed, path: "f.yaml", format: .yaml).document) == Self.values(parsed.document))
    }

    @Test("FuzzINIStore, FuzzDotenvStore: a huge list index in flattened sops metadata is refused, not a crash",
          arguments: ["9223372036854775807", "4000000000"])
    func hugeMetadataListIndex(index: String) throws {
        let dotenv = "a=1\nsops_age__list_\(index)__map_recipient=age1x\nsops_version=3.11.0\n"
        #expect(throws: KSecretError.self) { try DotenvStore().parse(Array(dotenv.utf8), path: "f.env") }
        let ini = "[x]\na = 1\n\n[sops]\nage__list_\(index)__map_recipient = age1x\nversion = 3.11.0\n"
        #expect(throws: KSecretError.self) { try INIStore().parse(Array(ini.utf8), path: "f.ini") }
        // The same files with index 0 read (so the refusal above is the index's).
        let age = { (m: Node?) -> Bool in if case .mapping(let e)? = m { return e.contains { $0.key == "age" } } else { return false } }
        #expect(age(try DotenvStore().parse(Array(dotenv.replacingOccurrences(of: index, with: "0").utf8), path: "f.env").metadata))
        #expect(age(try INIStore().parse(Array(ini.replacingOccurrences(of: index, with: "0").utf8), path: "f.ini").metadata))
    }
}
