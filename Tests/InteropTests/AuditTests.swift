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

    @Test("secrets left in clear, an old sops version and data key, key kinds and allowed paths, --fail-on levels, several directories, colour on a terminal")
    func findingKinds() throws {
        let dir = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let k = Peers.ksecret!
        var recipients: [String] = []
        for i in 1...2 {
            let r = try Peers.run(k, ["keygen", "-o", dir.appendingPathComponent("k\(i).txt").path])
            recipients.append(r.stderr.replacingOccurrences(of: "Public key: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let repo = dir.appendingPathComponent("repo")
        for sub in ["low", "medium", "ok", "fixtures"] {
            try FileManager.default.createDirectory(at: repo.appendingPathComponent(sub), withIntermediateDirectories: true)
        }
        let env = ["SOPS_AGE_KEY_FILE": dir.appendingPathComponent("k1.txt").path]
        func write(_ name: String, _ text: String) throws { try Data(text.utf8).write(to: repo.appendingPathComponent(name)) }
        func read(_ name: String) throws -> String { try String(contentsOf: repo.appendingPathComponent(name), encoding: .utf8) }
        func run(_ args: [String]) throws -> Peers.Result { try Peers.run(k, args, environment: env, directory: repo) }
        #expect(try Peers.run(Peers.find("git")!, ["init", "-q"], directory: repo).status == 0)
        try write(".sops.yaml", "creation_rules:\n  - path_regex: \\.yaml$\n    age: \(recipients.joined(separator: ","))\n")
        let plain = "db:\n  password: hunter2\napi_token: tok\n"
        for name in ["low/old.yaml", "medium/clear.yaml", "ok/fresh.yaml"] { try write(name, plain) }
        #expect(try run(["encrypt", "-i", "low/old.yaml"]).status == 0)
        #expect(try run(["encrypt", "-i", "--unencrypted-regex", "^api_token$", "medium/clear.yaml"]).status == 0)
        #expect(try run(["encrypt", "-i", "ok/fresh.yaml"]).status == 0)
        // An old file: lastmodified and version as sops 3.5 wrote them in 2020 (no --verify, so the MAC is not checked).
        let old = try read("low/old.yaml")
        let stamp = try #require(BulkRekeyTests.field(old, "lastmodified"))
        let oldStamp = stamp.replacingOccurrences(of: #"\d{4}-\d\d-\d\dT[0-9:]+Z"#, with: "2020-01-02T03:04:05Z", options: .regularExpression)
        #expect(oldStamp != stamp)
        try write("low/old.yaml", old.replacingOccurrences(of: stamp, with: oldStamp)
            .replacingOccurrences(of: "version: 3.11.0", with: "version: 3.5.0"))
        try FileManager.default.copyItem(at: Peers.shared.appendingPathComponent("fixtures/sops/pgp/secret-key.asc"),
                                         to: repo.appendingPathComponent("fixtures/test.asc"))
        try write("id_ed25519", "-----BEGIN OPENSSH PRIVATE KEY-----\n" + String(repeating: "b3BlbnNzaC1rZXktdjEAAAAA", count: 3) + "\n-----END OPENSSH PRIVATE KEY-----\n")

        let json = try run(["audit", "--json"])
        #expect(json.status == 1)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout)) as? [String: Any])
        let findings = try #require(report["findings"] as? [[String: Any]])
        func rules(_ file: String) -> Set<String> { Set(findings.filter { $0["file"] as? String == file }.compactMap { $0["rule"] as? String }) }
        #expect(rules("low/old.yaml") == ["old-data-key", "old-sops-version"])
        #expect(rules("medium/clear.yaml") == ["secret-in-clear"])
        #expect(findings.contains { $0["file"] as? String == "medium/clear.yaml" && ($0["message"] as? String)?.contains("[\"api_token\"]") == true })
        #expect(rules("ok/fresh.yaml").isEmpty)
        #expect(rules("id_ed25519") == ["privateKeyMaterial"] && rules("fixtures/test.asc") == ["privateKeyMaterial"])
        #expect(findings.contains { $0["file"] as? String == "id_ed25519" && ($0["message"] as? String)?.contains("OpenSSH") == true })
        let files = try #require(report["files"] as? [[String: Any]])
        let oldFile = try #require(files.first { $0["file"] as? String == "low/old.yaml" })
        #expect((oldFile["dataKeyAgeDays"] as? Int ?? 0) > 1_000 && oldFile["version"] as? String == "3.5.0")
        #expect(files.first { $0["file"] as? String == "ok/fresh.yaml" }?["dataKeyAgeDays"] as? Int == 0)
        #expect(!json.text.contains("hunter2"))

        // Allowed key paths; then only medium and low findings are left.
        try FileManager.default.removeItem(at: repo.appendingPathComponent("id_ed25519"))
        let allowed = try run(["audit", "--json", "--allow-keys", "fixtures/"])
        #expect(allowed.status == 0 && !allowed.text.contains("privateKeyMaterial"))
        #expect(try run(["audit", "--allow-keys", "fixtures/", "--fail-on", "medium"]).status == 1)
        #expect(try run(["audit", "low", "--fail-on", "medium"]).status == 0)
        #expect(try run(["audit", "low", "--fail-on", "low"]).status == 1)
        #expect(try run(["audit", "low", "--max-age", "100000", "--json"]).text.contains("old-data-key") == false)
        #expect(try run(["audit", "--fail-on", "severe"]).status == 1)

        // Two directories in one report.
        let two = try run(["audit", "low", "ok", "--json"])
        let both = try #require(try JSONSerialization.jsonObject(with: Data(two.stdout)) as? [String: Any])
        #expect(Set((both["files"] as? [[String: Any]] ?? []).compactMap { $0["file"] as? String }) == ["low/old.yaml", "ok/fresh.yaml"])

        // SARIF rules carry a description; the table is coloured only on a terminal.
        let sarif = try run(["audit", "medium", "--sarif"])
        #expect(sarif.text.contains("\"shortDescription\"") && sarif.text.contains("secret-looking keys left in clear text"))
        let plainTable = try run(["audit", "medium"])
        #expect(plainTable.text.contains("  MEDIUM secret-looking keys") && !plainTable.text.contains("\u{1B}["))
        if let script = Peers.find("script") {
            let tty = try Peers.run(script, ["-qec", "'\(k)' audit medium", "/dev/null"], environment: env, directory: repo)
            #expect(tty.text.contains("\u{1B}[33mMEDIUM\u{1B}[0m") && tty.text.contains("\u{1B}[1mmedium/clear.yaml\u{1B}[0m"), "\(tty.text)")
        } else {
            Issue.record("script(1) is missing (Debian bsdutils)")
        }
    }
}
