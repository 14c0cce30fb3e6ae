import Foundation
import Testing
import KSecretTestSupport
@testable import KSecret

/// Random single-byte and structural mutations of encrypted files, written by ksecret and by the
/// real sops (the fixtures): ksecret must refuse each mutated file, or give back exactly the
/// original data (a mutation of bytes nothing protects, such as whitespace). A mutated file that
/// decrypts to different data is a silent wrong plaintext, and the test fails on the first one.
///
/// "The original data" is what the format authenticates (see `data`).
@Suite("tamper mutations")
struct TamperMutationTests {
    typealias Generator = SplitMix64

    static var fixtures: URL {
        if let dir = ProcessInfo.processInfo.environment["KSECRET_SHARED_DIR"] { return URL(fileURLWithPath: dir).appendingPathComponent("fixtures/sops") }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/fixtures/sops")
    }

    struct Outcome { var refused = 0, identical = 0, wrong = 0 }

    /// `KSECRET_HARNESS_SCALE` (default 0.1 in `make test`; 1 in `make tamper`) times `full`.
    static func count(_ full: Int) -> Int {
        let text = ProcessInfo.processInfo.environment["KSECRET_HARNESS_SCALE"] ?? ""
        let scale = text == "full" ? 1 : (Double(text).map { max($0, 0.001) } ?? 0.1)
        return max(40, Int((Double(full) * scale).rounded()))
    }

    static func recipient(ofKeyFile path: URL) throws -> String {
        let text = try String(contentsOf: path, encoding: .utf8)
        return try #require(text.split(separator: "\n").first { $0.hasPrefix("# public key: ") }).dropFirst("# public key: ".count).trimmingCharacters(in: .whitespaces)
    }

    /// What the format protects: every value the MAC covers, in walk order (Format.md §3). Outside it,
    /// by sops's design and so also here: comments (a hit one comes back still encrypted, as in sops),
    /// nulls and empty strings (they add nothing to the MAC), and the names of keys whose values are
    /// stored in clear text (renaming one of those is not detected; renaming a key of an encrypted
    /// value is, through the AAD).
    static func data(_ d: Document) -> [String] {
        var out: [String] = []
        func walk(_ n: Node) {
            switch n {
            case .comment: break
            case .scalar(let s):
                switch s.value {
                case .null: break
                case .string(let v) where v.isEmpty: break
                case .float(let f) where f.isNaN: out.append("NaN")
                default: out.append("\(s.value)")
                }
            case .mapping(let e): for case .pair(_, let v) in e { walk(v) }
            case .sequence(let items): items.forEach(walk)
            }
        }
        d.branches.forEach(walk)
        return out
    }

    func run(file: [UInt8], format: FileFormat, env: KSecretEnvironment, mutations: Int, seed: UInt64) throws -> Outcome {
        let engine = SecretsEngine(environment: env)
        let original = Self.data(try engine.open(file, path: "f", format: format).document)
        var g = Generator(state: seed)
        var outcome = Outcome()
        let text = String(decoding: file, as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        let clearKeyLines = Set<Int>()
        for n in 0..<mutations {
            var mutated = file
            switch n % 4 {
            case 0, 1: // flip one bit of one byte, anywhere but in a clear-text value's key name
                var at = Int.random(in: 0..<mutated.count, using: &g)
                let lineOf = { (offset: Int) in mutated[..<offset].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) } }
                while clearKeyLines.contains(lineOf(at)) { at = Int.random(in: 0..<mutated.count, using: &g) }
                mutated[at] ^= UInt8(1) << UInt8.random(in: 0..<8, using: &g)
            case 2: // swap two lines that hold encrypted values
                let candidates = lines.indices.filter { lines[$0].contains("ENC[") && !lines[$0].contains("mac:") }
                guard candidates.count >= 2 else { continue }
                let a = candidates.randomElement(using: &g)!, b = candidates.randomElement(using: &g)!
                var l = lines
                let va = l[a].components(separatedBy: "ENC[").last!, vb = l[b].components(separatedBy: "ENC[").last!
                l[a] = l[a].replacingOccurrences(of: va, with: vb)
                l[b] = l[b].replacingOccurrences(of: vb, with: va)
                mutated = Array(l.joined(separator: "\n").utf8)
            default: // delete or duplicate one line
                var l = lines
                let i = Int.random(in: 0..<l.count, using: &g)
                if clearKeyLines.contains(i) { continue }
                if Bool.random(using: &g) { l.remove(at: i) } else { l.insert(l[i], at: i) }
                mutated = Array(l.joined(separator: "\n").utf8)
            }
            if mutated == file { outcome.identical += 1; continue }
            do {
                let opened = try engine.open(mutated, path: "f", format: format)
                if Self.data(opened.document) == original { outcome.identical += 1 } else {
                    outcome.wrong += 1
                    let diff = zip(String(decoding: file, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false),
                                   String(decoding: mutated, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false))
                        .filter { $0 != $1 }.map { "\($0.0.prefix(60)) -> \($0.1.prefix(60))" }.first ?? "(line count changed)"
                    Issue.record("silent wrong plaintext after mutation \(n) (kind \(n % 4), seed \(seed)): \(diff)")
                    return outcome
                }
            } catch {
                outcome.refused += 1
            }
        }
        return outcome
    }

    /// Files written by the real sops 3.11 (the shared fixtures): every format, a file with an
    /// encrypted_regex, a multi-document file, and a Shamir file of three key groups (threshold 2).
    @Test("files written by sops: every mutation is refused or harmless", arguments: [
        "enc.yaml", "enc.json", "enc.env", "enc.ini", "enc.bin", "enc-encrypted-regex.yaml", "enc-multidoc.yaml", "keygroups/enc-shamir.yaml",
    ])
    func sopsFiles(name: String) throws {
        let key = name.hasPrefix("keygroups/") ? "keygroups/keys13.txt" : "key.txt"
        let env = KSecretEnvironment(variables: ["SOPS_AGE_KEY_FILE": Self.fixtures.appendingPathComponent(key).path, "HOME": "/nonexistent"])
        let file = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent(name)))
        let outcome = try run(file: file, format: FileFormat.forPath(name), env: env, mutations: Self.count(1_200), seed: 7)
        print("tamper sops \(name): \(outcome.refused) refused, \(outcome.identical) harmless, \(outcome.wrong) wrong")
        #expect(outcome.wrong == 0)
        #expect(outcome.refused > 0)
    }

    /// Files written by ksecret from the fixtures' plaintexts, one per format, and a Shamir file.
    @Test("files written by ksecret: every mutation is refused or harmless", arguments: [
        "plain.yaml", "plain.json", "plain.env", "plain.ini", "plain.bin", "shamir:keygroups/plain.yaml",
    ])
    func ksecretFiles(name: String) throws {
        let shamir = name.hasPrefix("shamir:")
        let source = shamir ? String(name.dropFirst("shamir:".count)) : name
        let key = Self.fixtures.appendingPathComponent(shamir ? "keygroups/keys13.txt" : "key.txt").path
        let env = KSecretEnvironment(variables: ["SOPS_AGE_KEY_FILE": key, "HOME": "/nonexistent"])
        let plain = [UInt8](try Data(contentsOf: Self.fixtures.appendingPathComponent(source)))
        let keys: KeyPlan
        if shamir {
            let groups = try (1...3).map { KeyGroupRule(age: [try Self.recipient(ofKeyFile: Self.fixtures.appendingPathComponent("keygroups/key\($0).txt"))]) }
            keys = KeyPlan(groups: groups, shamirThreshold: 2)
        } else {
            let recipient = try String(contentsOf: Self.fixtures.appendingPathComponent("recipient.txt"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            keys = KeyPlan(groups: [KeyGroupRule(age: [recipient])])
        }
        let format = FileFormat.forPath(source)
        let encrypted = try SecretsEngine(environment: env).encrypt(plain, options: EncryptOptions(
            path: source, inputFormat: format, outputFormat: format, keys: keys))
        let outcome = try run(file: encrypted, format: format, env: env, mutations: Self.count(name == "plain.yaml" ? 4_000 : 1_200), seed: 11)
        print("tamper ksecret \(name): \(outcome.refused) refused, \(outcome.identical) harmless, \(outcome.wrong) wrong")
        #expect(outcome.wrong == 0)
        #expect(outcome.refused > outcome.identical)
    }
}
