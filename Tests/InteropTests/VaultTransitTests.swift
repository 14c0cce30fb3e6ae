import Foundation
import Testing

/// Vault/OpenBao transit master keys against a real OpenBao server and the real sops 3.11
/// (Format.md §8b): both directions, rules, mixed groups, each failure's message, and a 3-node
/// raft cluster that loses its leader.
@Suite("Vault/OpenBao transit keys", .serialized,
       .enabled(if: OpenBao.binary != nil && Peers.sops != nil && Peers.ksecret != nil,
                "needs bao and sops (make peers) and a built ksecret"))
struct VaultTransitTests {
    let dir: URL
    init() throws { dir = try Peers.temporaryDirectory() }

    func write(_ name: String, _ text: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// A new age identity file in the test directory and its recipient.
    func ageKey() throws -> (file: String, recipient: String) {
        let keyFile = dir.appendingPathComponent("age.txt").path
        let recipient = try Peers.run(Peers.ksecret!, ["keygen", "-o", keyFile]).stderr
            .replacingOccurrences(of: "Public key: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        return (keyFile, recipient)
    }

    static let plain = "database:\n    password: vault-wrapped-secret\n    port: 5432\n"

    @Test("sops wraps with transit, ksecret opens it; ksecret wraps, sops opens it; hc_vault entries alike")
    func bothDirections() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let bao = try OpenBao.dev()
        let uri = "\(bao.address)/v1/transit/keys/sops"
        let env = ["VAULT_TOKEN": bao.rootToken]
        let plain = try write("p.yaml", Self.plain)

        let bySops = try Peers.run(Peers.sops!, ["encrypt", "--hc-vault-transit", uri, plain], environment: env, directory: dir)
        #expect(bySops.status == 0, "\(bySops.stderr)")
        let sopsFile = try write("sops.yaml", bySops.text)
        let opened = try Peers.run(Peers.ksecret!, ["decrypt", sopsFile], environment: env, directory: dir)
        #expect(opened.status == 0, "\(opened.stderr)")
        #expect(opened.text.contains("password: vault-wrapped-secret"))

        let byKsecret = try Peers.run(Peers.ksecret!, ["encrypt", "--hc-vault-transit", uri, plain], environment: env, directory: dir)
        #expect(byKsecret.status == 0, "\(byKsecret.stderr)")
        let ksecretFile = try write("ksecret.yaml", byKsecret.text)
        let back = try Peers.run(Peers.sops!, ["decrypt", ksecretFile], environment: env, directory: dir)
        #expect(back.status == 0, "\(back.stderr)")
        #expect(back.text.contains("password: vault-wrapped-secret"))

        // The entries carry the same fields in the same order as sops's.
        func fields(_ text: String) -> [String] {
            text.split(separator: "\n").map(String.init).filter { $0.contains("vault_address:") || $0.contains("engine_path:")
                || $0.contains("key_name:") || $0.contains("created_at:") || $0.contains("enc: vault:v1:") }
                .map { String($0.trimmingCharacters(in: .whitespaces).prefix { $0 != ":" }) }
        }
        #expect(fields(byKsecret.text) == fields(bySops.text))
        #expect(fields(byKsecret.text) == ["- vault_address", "engine_path", "key_name", "created_at", "enc"])
        #expect(!byKsecret.text.contains("vault-wrapped-secret"))
    }

    @Test("a .sops.yaml rule with hc_vault_transit_uri, and a Shamir file of an age group and a transit group")
    func rulesAndGroups() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let bao = try OpenBao.dev()
        let uri = "\(bao.address)/v1/transit/keys/sops"
        let (keyFile, recipient) = try ageKey()
        _ = try write(".sops.yaml", """
            creation_rules:
              - path_regex: transit\\.yaml$
                hc_vault_transit_uri: \(uri)
              - path_regex: both\\.yaml$
                shamir_threshold: 2
                key_groups:
                  - age: [\(recipient)]
                  - hc_vault: [\(uri)]
            """)
        _ = try write("transit.yaml", Self.plain)
        _ = try write("both.yaml", Self.plain)
        let env = ["VAULT_TOKEN": bao.rootToken, "SOPS_AGE_KEY_FILE": keyFile]
        for name in ["transit.yaml", "both.yaml"] {
            let enc = try Peers.run(Peers.ksecret!, ["encrypt", "-i", name], environment: env, directory: dir)
            #expect(enc.status == 0, "\(name): \(enc.stderr)")
            let dec = try Peers.run(Peers.sops!, ["decrypt", name], environment: env, directory: dir)
            #expect(dec.status == 0 && dec.text.contains("vault-wrapped-secret"), "\(name): \(dec.stderr)")
        }
        let both = try String(contentsOfFile: dir.appendingPathComponent("both.yaml").path, encoding: .utf8)
        #expect(both.contains("shamir_threshold: 2") && both.contains("hc_vault:") && both.contains(recipient))
        // Without the token, the transit group cannot open: 1 of 2 groups, and the message says why.
        let noToken = try Peers.run(Peers.ksecret!, ["decrypt", "both.yaml"], environment: ["SOPS_AGE_KEY_FILE": keyFile, "HOME": dir.path], directory: dir)
        #expect(noToken.status == 128)
        #expect(noToken.stderr.contains("1 of 2 key groups opened, 2 needed"), "\(noToken.stderr)")
        #expect(noToken.stderr.contains("permission denied") || noToken.stderr.contains("no token"), "\(noToken.stderr)")
    }

    @Test("the token comes from ~/.vault-token when VAULT_TOKEN is unset")
    func tokenFile() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let bao = try OpenBao.dev()
        let uri = "\(bao.address)/v1/transit/keys/sops"
        _ = try write(".vault-token", bao.rootToken + "\n")
        let plain = try write("p.yaml", Self.plain)
        let enc = try Peers.run(Peers.ksecret!, ["encrypt", "--hc-vault-transit", uri, plain], environment: ["HOME": dir.path, "VAULT_TOKEN": ""], directory: dir)
        #expect(enc.status == 0, "\(enc.stderr)")
    }

    @Test("rotate --add-hc-vault-transit / --rm-hc-vault-transit move a file between an age key and a transit key; sops agrees")
    func rotateAddRemove() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let bao = try OpenBao.dev()
        let uri = "\(bao.address)/v1/transit/keys/sops"
        let (keyFile, recipient) = try ageKey()
        let plain = try write("p.yaml", Self.plain)
        let file = try write("s.yaml", try Peers.run(Peers.ksecret!, ["encrypt", "--age", recipient, plain], directory: dir).text)
        let both = ["VAULT_TOKEN": bao.rootToken, "SOPS_AGE_KEY_FILE": keyFile]
        var r = try Peers.run(Peers.ksecret!, ["rotate", "-i", "--add-hc-vault-transit", uri, "--rm-age", recipient, file], environment: both, directory: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("key_name: sops") && !text.contains(recipient))
        r = try Peers.run(Peers.sops!, ["decrypt", file], environment: ["VAULT_TOKEN": bao.rootToken], directory: dir)
        #expect(r.status == 0 && r.text.contains("vault-wrapped-secret"), "\(r.stderr)")
        // Back again: the URI is matched by what it names, so a trailing-slash-free spelling removes it.
        r = try Peers.run(Peers.ksecret!, ["rotate", "-i", "--add-age", recipient, "--rm-hc-vault-transit", uri, file], environment: both, directory: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!(try String(contentsOfFile: file, encoding: .utf8)).contains("hc_vault"))
        r = try Peers.run(Peers.sops!, ["decrypt", file], environment: ["SOPS_AGE_KEY_FILE": keyFile], directory: dir)
        #expect(r.status == 0 && r.text.contains("vault-wrapped-secret"), "\(r.stderr)")
    }

    @Test("VAULT_NAMESPACE selects the namespace the transit key lives in, for ksecret and sops alike")
    func namespace() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let bao = try OpenBao.dev(transitKey: "root-level")
        try bao.bao(["namespace", "create", "team"])
        _ = try Peers.run(OpenBao.binary!, ["secrets", "enable", "transit"],
                          environment: ["BAO_ADDR": bao.address, "BAO_TOKEN": bao.rootToken, "BAO_NAMESPACE": "team"])
        _ = try Peers.run(OpenBao.binary!, ["write", "-f", "transit/keys/k"],
                          environment: ["BAO_ADDR": bao.address, "BAO_TOKEN": bao.rootToken, "BAO_NAMESPACE": "team"])
        let env = ["VAULT_TOKEN": bao.rootToken, "VAULT_NAMESPACE": "team"]
        let plain = try write("p.yaml", Self.plain)
        let enc = try Peers.run(Peers.ksecret!, ["encrypt", "--hc-vault-transit", "\(bao.address)/v1/transit/keys/k", plain], environment: env, directory: dir)
        #expect(enc.status == 0, "\(enc.stderr)")
        let file = try write("s.yaml", enc.text)
        let bySops = try Peers.run(Peers.sops!, ["decrypt", file], environment: env, directory: dir)
        #expect(bySops.status == 0 && bySops.text.contains("vault-wrapped-secret"), "\(bySops.stderr)")
        // Outside the namespace the key does not exist.
        let outside = try Peers.run(Peers.ksecret!, ["decrypt", file], environment: ["VAULT_TOKEN": bao.rootToken], directory: dir)
        #expect(outside.status == 128 && outside.stderr.contains("has no transit key k"), "\(outside.stderr)")
    }

    @Test("failures say what happened: server unreachable, permission denied, key missing")
    func failures() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let bao = try OpenBao.dev()
        let env = ["VAULT_TOKEN": bao.rootToken]
        let plain = try write("p.yaml", Self.plain)
        let enc = try Peers.run(Peers.ksecret!, ["encrypt", "--hc-vault-transit", "\(bao.address)/v1/transit/keys/sops", plain], environment: env, directory: dir)
        let file = try write("s.yaml", enc.text)

        // A token whose policy does not cover transit.
        try Data("path \"secret/*\" { capabilities = [\"read\"] }\n".utf8).write(to: dir.appendingPathComponent("policy.hcl"))
        try bao.bao(["policy", "write", "readonly", dir.appendingPathComponent("policy.hcl").path])
        let limited = try bao.bao(["token", "create", "-policy=readonly", "-field=token"]).text.trimmingCharacters(in: .whitespacesAndNewlines)
        let denied = try Peers.run(Peers.ksecret!, ["decrypt", file], environment: ["VAULT_TOKEN": limited], directory: dir)
        #expect(denied.status == 128)
        #expect(denied.stderr.contains("permission denied") && denied.stderr.contains("transit/decrypt/sops"), "\(denied.stderr)")
        #expect(!denied.stderr.contains(limited) && !denied.stderr.contains("vault-wrapped-secret"))

        // The key deleted on the server.
        try bao.bao(["write", "transit/keys/sops/config", "deletion_allowed=true"])
        try bao.bao(["delete", "transit/keys/sops"])
        let missing = try Peers.run(Peers.ksecret!, ["decrypt", file], environment: env, directory: dir)
        #expect(missing.status == 128)
        #expect(missing.stderr.contains("has no transit key sops"), "\(missing.stderr)")

        // The server gone.
        bao.nodes[0].stop()
        let unreachable = try Peers.run(Peers.ksecret!, ["decrypt", file], environment: env, directory: dir)
        #expect(unreachable.status == 128)
        #expect(unreachable.stderr.contains("cannot reach Vault at \(bao.address)"), "\(unreachable.stderr)")
        let refused = try Peers.run(Peers.ksecret!, ["encrypt", "--hc-vault-transit", "\(bao.address)/v1/transit/keys/sops", plain], environment: env, directory: dir)
        #expect(refused.status != 0 && refused.stdout.isEmpty)
        #expect(refused.stderr.contains("cannot reach Vault"), "\(refused.stderr)")

        let badURI = try Peers.run(Peers.ksecret!, ["encrypt", "--hc-vault-transit", "\(bao.address)/transit/sops", plain], environment: env, directory: dir)
        #expect(badURI.status != 0 && badURI.stderr.contains("/v1/ENGINE/keys/NAME"), "\(badURI.stderr)")
    }

    @Test("a 3-node raft cluster: the leader stops, a new one is elected, and decrypt still works")
    func raftFailover() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let cluster = try OpenBao.raftCluster(transitKey: "team")
        let env = ["VAULT_TOKEN": cluster.rootToken]
        guard let leader = cluster.leader() else { throw OpenBao.Failure("no leader") }
        // The file names a node that is not the leader: that node must survive the leader's loss.
        let standby = cluster.nodes.first { $0.address != leader }!
        let plain = try write("p.yaml", Self.plain)
        let enc = try Peers.run(Peers.ksecret!, ["encrypt", "--hc-vault-transit", "\(standby.address)/v1/transit/keys/team", plain],
                                environment: env, directory: dir)
        #expect(enc.status == 0, "\(enc.stderr)")
        let file = try write("s.yaml", enc.text)
        #expect(try Peers.run(Peers.ksecret!, ["decrypt", file], environment: env, directory: dir).text.contains("vault-wrapped-secret"))

        cluster.nodes.first { $0.address == leader }!.stop()
        let survivors = cluster.nodes.filter { $0.process.isRunning }
        try OpenBao.waitUntil("a new leader", timeout: 60) {
            guard let now = cluster.leader(askingAny: survivors) else { return false }
            return now != leader
        }
        let after = try Peers.run(Peers.ksecret!, ["decrypt", file], environment: env, directory: dir)
        #expect(after.status == 0, "\(after.stderr)")
        #expect(after.text.contains("vault-wrapped-secret"))
        let bySops = try Peers.run(Peers.sops!, ["decrypt", file], environment: env, directory: dir)
        #expect(bySops.status == 0, "sops agrees: \(bySops.stderr)")
    }
}
