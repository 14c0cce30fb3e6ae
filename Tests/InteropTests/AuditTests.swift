import Foundation
import Testing

/// `ksecret audit` over a temporary repository with every kind of finding: files from ksecret and
/// from the real sops, a plaintext secrets file, a committed key, a stale recipient, a tampered
/// file, a 3-group Shamir file; JSON and SARIF parsed and checked; exit codes for CI gating.
@Suite("audit", .enabled(if: Peers.ksecret != nil && Peers.sops != nil && Peers.find("git") != nil, "needs a built ksecret, sops and git"))
struct AuditTests {
    @Test("findings, JSON and SARIF, and --fail-on")
    func audit() throws {
        let dir = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let k = Peers.ksecret!
        func keygen(_ name: String) throws -> (String, String) {
            let path = dir.appendingPathComponent(name).path
            let r = try Peers.run(k, ["keygen", "-o", path])
            return (path, r.stderr.replacingOccurrences(of: "Public key: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let (key1, r1) = try keygen("k1.txt")
        let (_, r2) = try keygen("k2.txt")
        let repo = dir.appendingPathComponent("repo")
        try FileManager.default.createDirectory(at: repo.appendingPathComponent("shamir"), withIntermediateDirectories: true)
        let env = ["SOPS_AGE_KEY_FILE": key1]
        func write(_ name: String, _ text: String) throws { try Data(text.utf8).write(to: repo.appendingPathComponent(name)) }
        func run(_ args: [String]) throws -> Peers.Result { try Peers.run(k, args, environment: env, directory: repo) }
        #expect(try Peers.run(Peers.find("git")!, ["init", "-q"], directory: repo).status == 0)
        try write(".sops.yaml", "creation_rules:\n  - path_regex: secrets.*\\.yaml$\n    age: \(r1)\n")
        let plain = "db:\n  password: hunter2\nnote_unencrypted: visible\n"
        try write("secrets-stale.yaml", plain)
        #expect(try run(["encrypt", "-i", "--age", "\(r1),\(r2)", "secrets-stale.yaml"]).status == 0)
        try write("secrets-sops.yaml", plain)
        let bySops = try Peers.run(Peers.sops!, ["encrypt", "-i", "secrets-sops.yaml"], environment: env, directory: repo)
        #expect(bySops.status == 0, "\(bySops.stderr)")
        try write("secrets-tampered.yaml", plain)
        #expect(try run(["encrypt", "-i", "secrets-tampered.yaml"]).status == 0)
        let tampered = try String(contentsOf: repo.appendingPathComponent("secrets-tampered.yaml"), encoding: .utf8)
        try write("secrets-tampered.yaml", tampered.replacingOccurrences(of: "note_unencrypted: visible", with: "note_unencrypted: changed"))
        try write("secrets-plain.yaml", plain)
        try write("leaked.txt", try String(contentsOfFile: key1, encoding: .utf8))
        let shamir = Peers.shared.appendingPathComponent("fixtures/sops/keygroups/enc-shamir.yaml")
        try FileManager.default.copyItem(at: shamir, to: repo.appendingPathComponent("shamir/enc.yaml"))

        let json = try run(["audit", "--json", "--verify", "--max-age", "0"])
        #expect(json.status == 1)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: Any])
        #expect(report["schema"] as? String == "ksecret-audit/1")
        let files = try #require(report["files"] as? [[String: Any]])
        let findings = try #require(report["findings"] as? [[String: Any]])
        func has(_ rule: String, _ file: String) -> Bool { findings.contains { $0["rule"] as? String == rule && $0["file"] as? String == file } }
        #expect(has("plaintextSecretsFile", "secrets-plain.yaml"))
        #expect(has("privateKeyMaterial", "leaked.txt"))
        #expect(has("stale-recipient", "secrets-stale.yaml"))
        #expect(has("single-recipient", "secrets-sops.yaml"))
        #expect(has("mac-mismatch", "secrets-tampered.yaml"))
        #expect(has("old-data-key", "secrets-sops.yaml"))
        #expect(!has("stale-recipient", "secrets-sops.yaml"))
        let shamirFile = try #require(files.first { $0["file"] as? String == "shamir/enc.yaml" })
        #expect(shamirFile["groups"] as? Int == 3 && shamirFile["threshold"] as? Int == 2)
        #expect(files.first { $0["file"] as? String == "secrets-stale.yaml" }?["verified"] as? String == "ok")
        #expect(!json.text.contains("hunter2"))

        let sarif = try run(["audit", "--sarif", "--verify"])
        let log = try #require(try JSONSerialization.jsonObject(with: Data(sarif.stdout)) as? [String: Any])
        #expect(log["version"] as? String == "2.1.0")
        let runs = try #require(log["runs"] as? [[String: Any]])
        let results = try #require(runs.first?["results"] as? [[String: Any]])
        #expect(results.contains { $0["ruleId"] as? String == "mac-mismatch" && $0["level"] as? String == "error" })
        #expect(results.contains { $0["ruleId"] as? String == "single-recipient" && $0["level"] as? String == "warning" })

        let table = try run(["audit"])
        #expect(table.status == 1 && table.text.contains("HIGH") && !table.text.contains("hunter2"))
        #expect(try run(["audit", "--fail-on", "none"]).status == 0)
    }
}
