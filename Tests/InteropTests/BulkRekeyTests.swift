import Foundation
import Testing

/// `rotate --all`, `updatekeys --all` and `offboard` over temporary git repositories holding files
/// written by ksecret and by the real sops; every result is checked by decrypting with sops.
@Suite("bulk re-keying", .enabled(if: Peers.ksecret != nil && Peers.sops != nil && Peers.find("git") != nil, "needs a built ksecret, sops and git"))
struct BulkRekeyTests {
    /// A temporary repository with three age keys, and helpers to fill and inspect it.
    struct Repo {
        let dir: URL
        let root: URL
        var keys: [String] = []
        var recipients: [String] = []

        init() throws {
            dir = try Peers.temporaryDirectory()
            root = dir.appendingPathComponent("repo")
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            for i in 1...3 {
                let path = dir.appendingPathComponent("k\(i).txt").path
                let r = try Peers.run(Peers.ksecret!, ["keygen", "-o", path])
                keys.append(path)
                recipients.append(r.stderr.replacingOccurrences(of: "Public key: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines))
            }
            #expect(try git(["init", "-q"]).status == 0)
        }

        func remove() { try? FileManager.default.removeItem(at: dir) }

        @discardableResult
        func git(_ args: [String]) throws -> Peers.Result { try Peers.run(Peers.find("git")!, args, directory: root) }

        func write(_ name: String, _ text: String) throws {
            let url = root.appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }

        func read(_ name: String) throws -> String { try String(contentsOf: root.appendingPathComponent(name), encoding: .utf8) }

        func ksecret(_ args: [String], key: Int = 0) throws -> Peers.Result {
            try Peers.run(Peers.ksecret!, args, environment: ["SOPS_AGE_KEY_FILE": keys[key]], directory: root)
        }

        func sops(_ args: [String], keyFile: String) throws -> Peers.Result {
            try Peers.run(Peers.sops!, args, environment: ["SOPS_AGE_KEY_FILE": keyFile], directory: root)
        }

        /// `name` encrypted to `recipients` by ksecret, or by the real sops.
        func encrypt(_ name: String, _ plain: String, to recipients: [String], bySops: Bool = false) throws {
            try write(name, plain)
            let r = bySops
                ? try sops(["encrypt", "-i", "--age", recipients.joined(separator: ","), name], keyFile: keys[0])
                : try ksecret(["encrypt", "-i", "--age", recipients.joined(separator: ","), name])
            try #require(r.status == 0, "\(r.stderr)")
        }

        /// A file combining several key files (to open Shamir groups).
        func keyFile(_ paths: [String], name: String) throws -> String {
            let path = dir.appendingPathComponent(name).path
            try Data(try paths.map { try String(contentsOfFile: $0, encoding: .utf8) }.joined().utf8).write(to: URL(fileURLWithPath: path))
            return path
        }
    }

    static func field(_ text: String, _ name: String) -> String? {
        text.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(name + ":") }.map(String.init)
    }

    static func datas(_ text: String) -> [String] { text.split(separator: ",").filter { $0.hasPrefix("data:") }.map(String.init) }
    /// The IVs of the values (not of the MAC, which is encrypted anew at every write).
    static func ivs(_ text: String) -> [String] {
        text.split(separator: "\n").filter { !$0.contains("mac:") }.flatMap { $0.split(separator: ",") }.filter { $0.hasPrefix("iv:") }.map(String.init)
    }

    /// Indented as sops writes YAML, so that its decryption compares byte for byte.
    static func plain(_ i: Int) -> String { "db:\n    password: pw-\(i)\n    port: \(5000 + i)\napi_token: tok-\(i)\nnote_unencrypted: n\(i)\n" }

    @Test("rotate --all over 200 files, one unreadable in the middle and a 3-group Shamir file: reported, the rest re-keyed for sops")
    func rotateAll() throws {
        var repo = try Repo()
        defer { repo.remove() }
        let (r1, r2) = (repo.recipients[0], repo.recipients[1])
        // Ten distinct files, half by ksecret and half by sops, each copied to 20 places: 200 files.
        var names: [String] = []
        for i in 0..<10 { try repo.encrypt("seed/s\(i).yaml", Self.plain(i), to: [r1], bySops: i % 2 == 1) }
        for i in 0..<200 {
            let name = "apps/app\(i / 20)/secrets-\(i).yaml"
            try repo.write(name, try repo.read("seed/s\(i % 10).yaml"))
            names.append(name)
        }
        try FileManager.default.removeItem(at: repo.root.appendingPathComponent("seed"))
        // File 100: encrypted to key 2 only, which this run does not have.
        try repo.encrypt(names[100], Self.plain(100), to: [r2])
        let shamirFixture = Peers.shared.appendingPathComponent("fixtures/sops/keygroups")
        try repo.write("shamir/enc.yaml", try String(contentsOf: shamirFixture.appendingPathComponent("enc-shamir.yaml"), encoding: .utf8))
        // Ignored by git: not part of the repository, so not touched.
        try repo.write(".gitignore", "scratch/\n")
        try repo.write("scratch/local.yaml", try repo.read(names[0]))
        repo.keys.append(try repo.keyFile([repo.keys[0], shamirFixture.appendingPathComponent("keys13.txt").path], name: "k1-and-13.txt"))
        var before: [String: String] = [:]
        for name in names + ["shamir/enc.yaml", "scratch/local.yaml"] { before[name] = try repo.read(name) }

        let run = try repo.ksecret(["rotate", "--all"], key: 3)
        #expect(run.status == 1)
        #expect(run.text.contains("ksecret rotate --all: 201 encrypted file(s): 200 rotated, 1 failed"), "\(run.text)")
        #expect(run.text.contains("failed:\n  \(names[100]): cannot decrypt the data key"))
        #expect(run.stderr.contains("1 of 201 file(s) failed"))
        #expect(try repo.read(names[100]) == before[names[100]])
        #expect(try repo.read("scratch/local.yaml") == before["scratch/local.yaml"])

        for (i, name) in names.enumerated() where i != 100 {
            let after = try repo.read(name)
            #expect(run.text.contains("  \(name)\n"))
            // A new data key: every value and the MAC are new ciphertext; the IVs are kept.
            #expect(Self.field(after, "mac") != Self.field(before[name]!, "mac"))
            #expect(Set(Self.datas(after)).isDisjoint(with: Self.datas(before[name]!)))
            #expect(Self.ivs(after) == Self.ivs(before[name]!))
            let bySops = try repo.sops(["decrypt", name], keyFile: repo.keys[0])
            #expect(bySops.status == 0 && bySops.text == Self.plain(i % 10), "\(name): \(bySops.stderr)")
        }
        let shamir = try repo.read("shamir/enc.yaml")
        #expect(Self.field(shamir, "mac") != Self.field(before["shamir/enc.yaml"]!, "mac"))
        #expect(shamir.contains("shamir_threshold: 2"))
        let shamirBySops = try repo.sops(["decrypt", "shamir/enc.yaml"], keyFile: shamirFixture.appendingPathComponent("keys13.txt").path)
        let expected = try String(contentsOf: Peers.shared.appendingPathComponent("fixtures/sops/decrypted/keygroups_enc-shamir.yaml"), encoding: .utf8)
        #expect(shamirBySops.status == 0 && shamirBySops.text == expected)
        #expect(try repo.sops(["decrypt", "shamir/enc.yaml"], keyFile: shamirFixture.appendingPathComponent("key2.txt").path).status != 0)

        // The journal stays (a file failed): 0600, paths and MACs only.
        let gitDir = repo.root.appendingPathComponent(".git/ksecret/rotate-all.journal").path
        let attributes = try FileManager.default.attributesOfItem(atPath: gitDir)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let journal = try String(contentsOfFile: gitDir, encoding: .utf8)
        #expect(journal.split(separator: "\n").count == 200)
        #expect(!journal.contains("pw-") && !journal.contains("tok-"))
        #expect(run.text.contains("journal: \(gitDir)"))
    }

    @Test("rotate --all killed mid-run, then --resume: the files it did are left alone, the rest rotated once")
    func interruptedAndResumed() throws {
        let repo = try Repo()
        defer { repo.remove() }
        // Larger files, one at a time, so that the run is still going when it is killed.
        var big = ""
        for i in 0..<400 { big += "key\(i): value-\(i)\n" }
        try repo.encrypt("seed.yaml", big, to: [repo.recipients[0]])
        let seed = try repo.read("seed.yaml")
        try FileManager.default.removeItem(at: repo.root.appendingPathComponent("seed.yaml"))
        let names = (0..<200).map { "s/f\($0).yaml" }
        for name in names { try repo.write(name, seed) }
        let journalPath = repo.dir.appendingPathComponent("state/journal").path

        let process = Process()
        process.executableURL = URL(fileURLWithPath: Peers.ksecret!)
        process.arguments = ["rotate", "--all", "--jobs", "1", "--state", journalPath]
        process.environment = ProcessInfo.processInfo.environment.merging(["SOPS_AGE_KEY_FILE": repo.keys[0]]) { $1 }
        process.currentDirectoryURL = repo.root
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        func journaled() -> Int {
            (try? String(contentsOfFile: journalPath, encoding: .utf8))?.split(separator: "\n").count ?? 0
        }
        let deadline = Date().addingTimeInterval(60)
        while journaled() < 20 && process.isRunning && Date() < deadline { usleep(2_000) }
        try #require(process.isRunning, "the run finished before it could be interrupted")
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(process.terminationReason == .uncaughtSignal)

        let journal = try String(contentsOfFile: journalPath, encoding: .utf8)
        let entries = journal.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: String] }
        let doneFiles = Set(entries.compactMap { $0["file"] })
        #expect(doneFiles.count >= 20 && doneFiles.count < 200)
        var atKill: [String: String] = [:]
        for name in names { atKill[name] = try repo.read(name) }

        let resumed = try repo.ksecret(["rotate", "--all", "--resume", "--state", journalPath])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.text.contains("200 encrypted file(s): \(200 - doneFiles.count) rotated, \(doneFiles.count) skipped"), "\(resumed.text)")
        for name in names {
            let now = try repo.read(name)
            #expect(Self.field(now, "mac") != Self.field(seed, "mac"), "\(name) was never rotated")
            if doneFiles.contains(name) {
                #expect(now == atKill[name], "\(name) was done before the kill and rotated again")
                #expect(resumed.text.contains("  \(name): rotated by the interrupted run"))
            } else {
                #expect(resumed.text.contains("  \(name)\n"))
            }
        }
        #expect(try repo.sops(["decrypt", names[199]], keyFile: repo.keys[0]).text == big)
        #expect(!FileManager.default.fileExists(atPath: journalPath), "a complete run removes its journal")
    }

    @Test("updatekeys --all: adds then removes a recipient per the rules, values and MAC kept, a second run changes nothing")
    func updateKeysAll() throws {
        let repo = try Repo()
        defer { repo.remove() }
        let (r1, r2) = (repo.recipients[0], repo.recipients[1])
        for i in 0..<6 { try repo.encrypt("secrets/s\(i).yaml", Self.plain(i), to: [r1], bySops: i % 2 == 0) }
        try repo.encrypt("elsewhere/e.yaml", Self.plain(9), to: [r1])
        try repo.write(".sops.yaml", "creation_rules:\n  - path_regex: secrets/\n    age: \(r1),\(r2)\n")
        var before: [String: String] = [:]
        for i in 0..<6 { before["secrets/s\(i).yaml"] = try repo.read("secrets/s\(i).yaml") }

        let unconfirmed = try repo.ksecret(["updatekeys", "--all"])
        #expect(unconfirmed.status == 1 && unconfirmed.stderr.contains("+ group 1: age \(r2)") && unconfirmed.stderr.contains("pass -y"))
        #expect(try repo.read("secrets/s0.yaml") == before["secrets/s0.yaml"])

        let add = try repo.ksecret(["updatekeys", "--all", "-y"])
        #expect(add.status == 0, "\(add.stderr)")
        #expect(add.text.contains("7 encrypted file(s): 6 updated, 1 skipped"), "\(add.text)")
        #expect(add.text.contains("elsewhere/e.yaml: no creation rule"))
        for i in 0..<6 {
            let name = "secrets/s\(i).yaml", now = try repo.read(name)
            #expect(Self.datas(now) == Self.datas(before[name]!) && Self.field(now, "mac") == Self.field(before[name]!, "mac"))
            #expect(try repo.sops(["decrypt", name], keyFile: repo.keys[1]).text == Self.plain(i))
        }
        let afterAdd = try repo.read("secrets/s3.yaml")
        let again = try repo.ksecret(["updatekeys", "--all", "-y"])
        #expect(again.status == 0 && again.text.contains("6 unchanged, 1 skipped"))
        #expect(try repo.read("secrets/s3.yaml") == afterAdd)

        try repo.write(".sops.yaml", "creation_rules:\n  - path_regex: secrets/\n    age: \(r2)\n")
        let rm = try repo.ksecret(["updatekeys", "--all", "-y", "secrets"], key: 1)
        #expect(rm.status == 0 && rm.text.contains("6 encrypted file(s): 6 updated") && rm.text.contains("- group 1: age \(r1)"), "\(rm.text)")
        for i in 0..<6 {
            #expect(try repo.sops(["decrypt", "secrets/s\(i).yaml"], keyFile: repo.keys[0]).status != 0)
            #expect(try repo.sops(["decrypt", "secrets/s\(i).yaml"], keyFile: repo.keys[1]).text == Self.plain(i))
        }
    }

    @Test("offboard: the rules no longer name the key, it opens no file, each file has a new data key, the report names the secrets")
    func offboard() throws {
        let repo = try Repo()
        defer { repo.remove() }
        let (r1, r2, r3) = (repo.recipients[0], repo.recipients[1], repo.recipients[2])
        let config = """
            # who can read what
            creation_rules:
              - path_regex: secrets/.*\\.yaml$
                age: \(r1),\(r2)   # admin, leaver
              - path_regex: team/.*
                age:
                  - \(r1)   # admin
                  - \(r2)   # leaver
                  - \(r3)
              - path_regex: private/.*
                age: \(r1)

            """
        try repo.write(".sops.yaml", config)
        try repo.encrypt("secrets/db.yaml", Self.plain(1), to: [r1, r2], bySops: true)
        try repo.encrypt("secrets/app.yaml", "token: abc\n", to: [r1, r2])
        try repo.encrypt("team/t.yaml", Self.plain(2), to: [r1, r2, r3], bySops: true)
        try repo.encrypt("private/p.yaml", Self.plain(3), to: [r1])
        try repo.encrypt("loose/l.yaml", Self.plain(4), to: [r1, r2, r3])   // no rule: keeps its own keys less r2
        let files = ["secrets/db.yaml", "secrets/app.yaml", "team/t.yaml", "loose/l.yaml"]
        var before: [String: String] = [:]
        for name in files + ["private/p.yaml"] { before[name] = try repo.read(name) }

        let dry = try repo.ksecret(["offboard", "--age", r2, "--dry-run"])
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.text.contains("4 file(s) the age recipient \(r2) can open") && dry.text.contains("1 file(s) unchanged"))
        #expect(try repo.read(".sops.yaml") == config)
        for name in files { #expect(try repo.read(name) == before[name]) }

        let run = try repo.ksecret(["offboard", "--age", r2])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try repo.read(".sops.yaml") == config.replacingOccurrences(of: "\(r1),\(r2)   #", with: "\(r1)   #")
            .replacingOccurrences(of: "      - \(r2)   # leaver\n", with: ""))
        #expect(run.text.contains("5 encrypted file(s): 4 rotated, 1 unchanged"), "\(run.text)")
        #expect(run.text.contains("  secrets/db.yaml\n    [\"db\"][\"password\"]\n      a database password: ksecret db rotate secrets/db.yaml"))
        #expect(run.text.contains("  secrets/app.yaml\n    [\"token\"]"))
        #expect(!run.text.contains("pw-1") && !run.text.contains("abc"))
        for name in files {
            let now = try repo.read(name)
            #expect(!now.contains(r2))
            #expect(Self.field(now, "mac") != Self.field(before[name]!, "mac"))
            #expect(try repo.sops(["decrypt", name], keyFile: repo.keys[1]).status != 0, "\(name) still opens with the removed key")
            #expect(try repo.ksecret(["decrypt", name], key: 1).status == 128)
        }
        #expect(try repo.sops(["decrypt", "team/t.yaml"], keyFile: repo.keys[2]).text == Self.plain(2))
        #expect(try repo.sops(["decrypt", "secrets/db.yaml"], keyFile: repo.keys[0]).text == Self.plain(1))
        #expect(try repo.sops(["decrypt", "loose/l.yaml"], keyFile: repo.keys[2]).text == Self.plain(4))
        #expect(try repo.read("private/p.yaml") == before["private/p.yaml"])

        let audit = try repo.ksecret(["audit", "--json", "--fail-on", "none"])
        #expect(audit.status == 0 && !audit.text.contains("stale-recipient"))
        let again = try repo.ksecret(["offboard", "--age", r2])
        #expect(again.status == 0 && again.text.contains("5 encrypted file(s): 4 unchanged, 1 skipped") && again.text.contains("the creation rules do not name"), "\(again.text)")
    }

    @Test("offboard --pgp: a sops file with a PGP key and an age key keeps only the age key; one whose rule names another PGP key fails clearly")
    func offboardPGP() throws {
        let repo = try Repo()
        defer { repo.remove() }
        guard let gpg = Peers.find("gpg") else { Issue.record("gpg is missing (make deps)"); return }
        let pgpDir = Peers.shared.appendingPathComponent("fixtures/sops/pgp")
        let home = repo.dir.appendingPathComponent("gnupg")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let imported = try Peers.run(gpg, ["--batch", "--import", pgpDir.appendingPathComponent("secret-key.asc").path], environment: ["GNUPGHOME": home.path])
        try #require(imported.status == 0, "\(imported.stderr)")
        let fp = try String(contentsOf: pgpDir.appendingPathComponent("fingerprint.txt"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let r1 = repo.recipients[0]
        // other.yaml's rule also names a second PGP key that is in no keyring here.
        let other = "0123456789ABCDEF0123456789ABCDEF01234567"
        let rules = "creation_rules:\n  - path_regex: other\\.yaml$\n    pgp: \(fp),\(other)\n    age: \(r1)\n  - path_regex: .*\\.yaml$\n    pgp: \(fp)\n    age: \(r1)\n"
        try repo.write(".sops.yaml", rules)
        for name in ["s.yaml", "other.yaml"] {
            try repo.write(name, "password: hunter2\n")
            let enc = try Peers.run(Peers.sops!, ["encrypt", "-i", "--pgp", fp, "--age", r1, name], environment: ["GNUPGHOME": home.path], directory: repo.root)
            try #require(enc.status == 0, "\(enc.stderr)")
        }
        let otherBefore = try repo.read("other.yaml")
        let before = try repo.read("s.yaml")
        #expect(before.contains("fp: \(fp)"))
        let pgpOnly = ["GNUPGHOME": home.path, "SOPS_AGE_KEY_FILE": "/nonexistent"]
        #expect(try Peers.run(Peers.sops!, ["decrypt", "s.yaml"], environment: pgpOnly, directory: repo.root).status == 0)

        let run = try repo.ksecret(["offboard", "--pgp", fp.lowercased()])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.text.contains("2 encrypted file(s): 1 rotated, 1 failed") && run.text.contains("- group 1: pgp \(fp)"), "\(run.text)")
        #expect(run.text.contains("failed:\n  other.yaml: cannot encrypt the data key to PGP key \(other): no such public key"), "\(run.text)")
        #expect(try repo.read("other.yaml") == otherBefore)
        let after = try repo.read("s.yaml")
        #expect(!after.contains(fp) && !after.contains("pgp:") && Self.field(after, "mac") != Self.field(before, "mac"))
        #expect(try repo.read(".sops.yaml") == rules.replacingOccurrences(of: "pgp: \(fp),", with: "pgp: ").replacingOccurrences(of: "pgp: \(fp)\n", with: "pgp: \n"))
        #expect(try Peers.run(Peers.sops!, ["decrypt", "s.yaml"], environment: pgpOnly, directory: repo.root).status != 0)
        #expect(try repo.sops(["decrypt", "s.yaml"], keyFile: repo.keys[0]).text == "password: hunter2\n")
    }

    @Test("progress: a bar on a terminal (through script(1)), one line per file otherwise")
    func progress() throws {
        let repo = try Repo()
        defer { repo.remove() }
        guard let script = Peers.find("script") else { Issue.record("script(1) is missing (Debian bsdutils)"); return }
        for i in 0..<4 { try repo.encrypt("s\(i).yaml", Self.plain(i), to: [repo.recipients[0]]) }
        let plain = try repo.ksecret(["rotate", "--all"])
        #expect(plain.status == 0)
        for i in 1...4 { #expect(plain.stderr.contains("ksecret: [\(i)/4] rotated s")) }
        #expect(!plain.stderr.contains("\u{1B}["))
        let command = "'\(Peers.ksecret!)' rotate --all 2>&1 >/dev/null"
        let tty = try Peers.run(script, ["-qec", command, "/dev/null"], environment: ["SOPS_AGE_KEY_FILE": repo.keys[0]], directory: repo.root)
        #expect(tty.status == 0, "\(tty.text)")
        #expect(tty.text.contains("\r\u{1B}[2K[" + String(repeating: "-", count: 30) + "] 0/4 rotating s"), "\(tty.text)")
        #expect(tty.text.contains("[" + String(repeating: "#", count: 30) + "] 4/4 done"))
        #expect(!tty.text.contains("ksecret: [1/4]"))
    }

    @Test("offboard of a Shamir file with an age group and a Vault transit group: new shares for both, the transit key still opens it",
          .enabled(if: OpenBao.binary != nil, "needs bao (make peers)"))
    func offboardWithTransit() throws {
        let repo = try Repo()
        defer { repo.remove() }
        let bao = try OpenBao.dev()
        let uri = "\(bao.address)/v1/transit/keys/sops"
        let (r1, r2) = (repo.recipients[0], repo.recipients[1])
        try repo.write(".sops.yaml", """
            creation_rules:
              - path_regex: \\.yaml$
                shamir_threshold: 2
                key_groups:
                  - age: [\(r1), \(r2)]
                  - hc_vault: [\(uri)]

            """)
        try repo.write("s.yaml", Self.plain(7))
        let env = ["SOPS_AGE_KEY_FILE": repo.keys[0], "VAULT_TOKEN": bao.rootToken]
        #expect(try Peers.run(Peers.ksecret!, ["encrypt", "-i", "s.yaml"], environment: env, directory: repo.root).status == 0)
        let before = try repo.read("s.yaml")
        let run = try Peers.run(Peers.ksecret!, ["offboard", "--age", r2], environment: env, directory: repo.root)
        #expect(run.status == 0 && run.text.contains("1 rotated"), "\(run.text)\(run.stderr)")
        let after = try repo.read("s.yaml")
        #expect(!after.contains(r2) && after.contains(r1) && after.contains("enc: vault:v1:") && after.contains("shamir_threshold: 2"))
        #expect(Self.field(after, "mac") != Self.field(before, "mac"))
        let bySops = try Peers.run(Peers.sops!, ["decrypt", "s.yaml"], environment: env, directory: repo.root)
        #expect(bySops.status == 0 && bySops.text == Self.plain(7), "\(bySops.stderr)")
        let leaver = try Peers.run(Peers.sops!, ["decrypt", "s.yaml"], environment: ["SOPS_AGE_KEY_FILE": repo.keys[1], "VAULT_TOKEN": bao.rootToken],
                                   directory: repo.root)
        #expect(leaver.status != 0)
    }

    @Test("rotate --all and audit --verify run SOPS_AGE_KEY_CMD once for all the files, not once per file")
    func keyCommandOnce() throws {
        let repo = try Repo()
        defer { repo.remove() }
        try repo.write(".sops.yaml", "creation_rules:\n  - path_regex: \\.yaml$\n    age: \(repo.recipients[0])\n")
        for i in 0..<6 { try repo.encrypt("team/s\(i).yaml", Self.plain(i), to: [repo.recipients[0]]) }
        try repo.git(["add", "-A"])
        // The command counts its runs in a file beside the repository, then prints the key.
        let counter = repo.dir.appendingPathComponent("runs").path
        let script = repo.dir.appendingPathComponent("key-cmd.sh").path
        try Data("#!/bin/sh\necho run >> '\(counter)'\ncat '\(repo.keys[0])'\n".utf8).write(to: URL(fileURLWithPath: script))
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: script)
        let env = ["SOPS_AGE_KEY_CMD": script, "HOME": repo.dir.path]
        func runs() -> Int { ((try? String(contentsOfFile: counter, encoding: .utf8)) ?? "").split(separator: "\n").count }

        let rotate = try Peers.run(Peers.ksecret!, ["rotate", "--all", "--jobs", "2", "."], environment: env, directory: repo.root)
        try #require(rotate.status == 0, "\(rotate.stderr)")
        #expect(runs() == 1, "SOPS_AGE_KEY_CMD ran \(runs()) times for 6 files")
        let audit = try Peers.run(Peers.ksecret!, ["audit", "--verify", "--fail-on", "none", "."], environment: env, directory: repo.root)
        #expect(audit.status == 0, "\(audit.stderr)")
        #expect(runs() == 2, "audit --verify: SOPS_AGE_KEY_CMD ran \(runs() - 1) times for 6 files")
        // Each file was really rotated with the command's key: sops opens them with that key.
        #expect(try repo.sops(["decrypt", "team/s5.yaml"], keyFile: repo.keys[0]).text == Self.plain(5))
    }

    @Test("options for one file are refused with --all, and --all's options without it; --all takes a directory")
    func conflictingOptions() throws {
        let repo = try Repo()
        defer { repo.remove() }
        try repo.encrypt("s.yaml", Self.plain(1), to: [repo.recipients[0]])
        let before = try repo.read("s.yaml")
        for args in [["rotate", "--all", "-i"], ["rotate", "--all", "--add-age", repo.recipients[1]], ["rotate", "--all", "--input-type", "json"],
                     ["rotate", "-i", "--resume", "s.yaml"], ["updatekeys", "-y", "--jobs", "2", "s.yaml"], ["updatekeys", "--all", "--output-type", "json"]] {
            let r = try repo.ksecret(args)
            #expect(r.status == 8, "\(args): \(r.stderr)")
        }
        let notDir = try repo.ksecret(["rotate", "--all", "s.yaml"])
        #expect(notDir.status == 100 && notDir.stderr.contains("s.yaml is not a directory"))
        #expect(try repo.read("s.yaml") == before)
    }
}
