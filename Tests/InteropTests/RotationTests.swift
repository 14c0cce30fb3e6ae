import Foundation
import Testing

/// `rotate` and `updatekeys` against the real sops: who can open the file afterwards, what changed
/// in it and what did not (Format.md §1.5: rotate keeps IVs; updatekeys keeps values and MAC).
@Suite("rotate and updatekeys", .enabled(if: Peers.ksecret != nil && Peers.sops != nil, "needs a built ksecret and sops (make peers)"))
struct RotationTests {
    struct Keys { let dir: URL; let k1: String; let r1: String; let k2: String; let r2: String }

    func setUp() throws -> Keys {
        let dir = try Peers.temporaryDirectory()
        func gen(_ n: String) throws -> (String, String) {
            let path = dir.appendingPathComponent(n).path
            let r = try Peers.run(Peers.ksecret!, ["keygen", "-o", path])
            return (path, r.stderr.replacingOccurrences(of: "Public key: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines))
        }
        let (k1, r1) = try gen("k1.txt"), (k2, r2) = try gen("k2.txt")
        return Keys(dir: dir, k1: k1, r1: r1, k2: k2, r2: r2)
    }

    func lines(_ path: String, matching marker: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map(String.init).filter { $0.contains(marker) }
    }

    @Test("rotate: a new data key, the same IVs, an added recipient that sops can use")
    func rotate() throws {
        let keys = try setUp()
        defer { try? FileManager.default.removeItem(at: keys.dir) }
        let file = keys.dir.appendingPathComponent("s.yaml").path
        try Data("db:\n  password: hunter2\n  port: 5432\n".utf8).write(to: URL(fileURLWithPath: file))
        let env = ["SOPS_AGE_KEY_FILE": keys.k1]
        #expect(try Peers.run(Peers.ksecret!, ["encrypt", "-i", "--age", keys.r1, file], environment: env, directory: keys.dir).status == 0)
        let before = try String(contentsOfFile: file, encoding: .utf8)
        let r = try Peers.run(Peers.ksecret!, ["rotate", "-i", "--add-age", keys.r2, file], environment: env, directory: keys.dir)
        try #require(r.status == 0, "\(r.stderr)")
        let after = try String(contentsOfFile: file, encoding: .utf8)
        // The values' IVs; the MAC's is reused only when lastmodified (its AAD) is the same second.
        func ivs(_ t: String) -> [String] {
            t.split(separator: "\n").filter { !$0.contains("mac: ENC[") }.joined(separator: "\n")
                .split(separator: ",").filter { $0.hasPrefix("iv:") }.map(String.init)
        }
        func datas(_ t: String) -> [String] { t.split(separator: ",").filter { $0.hasPrefix("data:") }.map(String.init) }
        #expect(ivs(before) == ivs(after))
        #expect(Set(datas(before)).isDisjoint(with: datas(after)))
        let bySops = try Peers.run(Peers.sops!, ["decrypt", file], environment: ["SOPS_AGE_KEY_FILE": keys.k2], directory: keys.dir)
        #expect(bySops.status == 0 && bySops.text.contains("password: hunter2"))
        let removed = try Peers.run(Peers.ksecret!, ["rotate", "-i", "--rm-age", keys.r1, file], environment: env, directory: keys.dir)
        #expect(removed.status == 0)
        #expect(try Peers.run(Peers.ksecret!, ["decrypt", file], environment: env).status == 128)
        let missing = try Peers.run(Peers.ksecret!, ["rotate", "--add-age", keys.r2, keys.dir.appendingPathComponent("none.yaml").path], environment: env)
        #expect(missing.status == 49)
    }

    @Test("updatekeys: the rule's recipients, the same values and MAC; a second run changes nothing")
    func updatekeys() throws {
        let keys = try setUp()
        defer { try? FileManager.default.removeItem(at: keys.dir) }
        let file = keys.dir.appendingPathComponent("secrets.yaml").path
        try Data("token: abc\nport: 8080\n".utf8).write(to: URL(fileURLWithPath: file))
        let env = ["SOPS_AGE_KEY_FILE": keys.k1]
        // Encrypted by the real sops, to key 1.
        let enc = try Peers.run(Peers.sops!, ["encrypt", "-i", "--age", keys.r1, file], environment: env, directory: keys.dir)
        try #require(enc.status == 0, "\(enc.stderr)")
        try Data("creation_rules:\n  - path_regex: secrets\\.yaml$\n    age: \(keys.r2)\n".utf8)
            .write(to: keys.dir.appendingPathComponent(".sops.yaml"))
        let valuesBefore = try lines(file, matching: "ENC[AES256_GCM")
        let noTTY = try Peers.run(Peers.ksecret!, ["updatekeys", "secrets.yaml"], environment: env, directory: keys.dir)
        #expect(noTTY.status == 1 && noTTY.stderr.contains("-y"))
        let r = try Peers.run(Peers.ksecret!, ["updatekeys", "-y", "secrets.yaml"], environment: env, directory: keys.dir)
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("+ group 1: age \(keys.r2)") && r.stderr.contains("- group 1: age \(keys.r1)"))
        #expect(try lines(file, matching: "ENC[AES256_GCM") == valuesBefore)
        let bySops = try Peers.run(Peers.sops!, ["decrypt", file], environment: ["SOPS_AGE_KEY_FILE": keys.k2], directory: keys.dir)
        #expect(bySops.status == 0 && bySops.text.contains("token: abc"))
        #expect(try Peers.run(Peers.sops!, ["decrypt", file], environment: env, directory: keys.dir).status != 0)
        let again = try Peers.run(Peers.ksecret!, ["updatekeys", "-y", "secrets.yaml"], environment: ["SOPS_AGE_KEY_FILE": keys.k2], directory: keys.dir)
        #expect(again.status == 0 && again.stderr.contains("already up to date"))
    }

    @Test("key groups with a Shamir threshold: ksecret's file opens with sops given 2 of 3 groups, not with 1")
    func shamirGroups() throws {
        let keys = try setUp()
        defer { try? FileManager.default.removeItem(at: keys.dir) }
        let k3 = keys.dir.appendingPathComponent("k3.txt").path
        let r3 = try Peers.run(Peers.ksecret!, ["keygen", "-o", k3]).stderr
            .replacingOccurrences(of: "Public key: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        try Data("""
            creation_rules:
              - path_regex: \\.yaml$
                shamir_threshold: 2
                key_groups:
                  - age: [\(keys.r1)]
                  - age: [\(keys.r2)]
                  - age: [\(r3)]

            """.utf8).write(to: keys.dir.appendingPathComponent(".sops.yaml"))
        let file = keys.dir.appendingPathComponent("s.yaml").path
        try Data("password: hunter2\n".utf8).write(to: URL(fileURLWithPath: file))
        let enc = try Peers.run(Peers.ksecret!, ["encrypt", "-i", "s.yaml"], directory: keys.dir)
        try #require(enc.status == 0, "\(enc.stderr)")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("shamir_threshold: 2") && text.contains("key_groups:"))
        let two = keys.dir.appendingPathComponent("k13.txt").path
        try Data((try String(contentsOfFile: keys.k1, encoding: .utf8) + (try String(contentsOfFile: k3, encoding: .utf8))).utf8)
            .write(to: URL(fileURLWithPath: two))
        let bySops = try Peers.run(Peers.sops!, ["decrypt", file], environment: ["SOPS_AGE_KEY_FILE": two], directory: keys.dir)
        #expect(bySops.status == 0 && bySops.text == "password: hunter2\n", "\(bySops.stderr)")
        let byKsecret = try Peers.run(Peers.ksecret!, ["decrypt", file], environment: ["SOPS_AGE_KEY_FILE": two], directory: keys.dir)
        #expect(byKsecret.text == "password: hunter2\n")
        let one = try Peers.run(Peers.ksecret!, ["decrypt", file], environment: ["SOPS_AGE_KEY_FILE": keys.k2], directory: keys.dir)
        #expect(one.status == 128 && one.stderr.contains("1 of 3 key groups opened, 2 needed"))
        #expect(try Peers.run(Peers.sops!, ["decrypt", file], environment: ["SOPS_AGE_KEY_FILE": keys.k2], directory: keys.dir).status == 128)
    }
}
