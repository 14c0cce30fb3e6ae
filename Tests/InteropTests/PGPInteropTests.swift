import Foundation
import KSecretTestSupport
import Testing

/// PGP master keys against the real sops and gpg (Format.md §5.1): files each writes open with the
/// other, in one group with age, in Shamir key groups, after rotate --add-pgp/--rm-pgp and
/// updatekeys. Every run gets a throwaway GNUPGHOME; sops uses the gpg binary with it.
@Suite("PGP interop with the real sops",
       .enabled(if: Peers.sops != nil && Peers.ksecret != nil && TestGnuPGHome.available,
                "needs sops (make peers), a built ksecret (swift build) and gpg (make deps)"))
struct PGPInteropTests {
    /// A scratch directory with a PGP key (in `home`) and an age key, and an empty keyring to
    /// stand for "no PGP key at hand".
    final class Setup {
        let dir: URL
        let home: TestGnuPGHome
        let empty: TestGnuPGHome
        let fp: String
        let ageKey: String
        let ageRecipient: String

        init() throws {
            dir = try Peers.temporaryDirectory()
            home = try TestGnuPGHome()
            empty = try TestGnuPGHome()
            fp = try home.generateKey("Interop <interop@example.invalid>")
            ageKey = dir.appendingPathComponent("age.txt").path
            ageRecipient = try Peers.run(Peers.ksecret!, ["keygen", "-o", ageKey]).stderr
                .replacingOccurrences(of: "Public key: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        }

        deinit {
            home.close()
            empty.close()
            try? FileManager.default.removeItem(at: dir)
        }

        /// Only the PGP key at hand.
        var pgpOnly: [String: String] { ["GNUPGHOME": home.path] }
        /// Only the age key at hand.
        var ageOnly: [String: String] { ["GNUPGHOME": empty.path, "SOPS_AGE_KEY_FILE": ageKey] }
        /// Both keys at hand.
        var both: [String: String] { ["GNUPGHOME": home.path, "SOPS_AGE_KEY_FILE": ageKey] }

        func write(_ name: String, _ text: String) throws -> String {
            let path = dir.appendingPathComponent(name).path
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            return path
        }

        func ksecret(_ args: [String], _ env: [String: String]) throws -> Peers.Result {
            try Peers.run(Peers.ksecret!, args, environment: env, directory: dir)
        }

        func sops(_ args: [String], _ env: [String: String]) throws -> Peers.Result {
            try Peers.run(Peers.sops!, args, environment: env, directory: dir)
        }
    }

    static let plain = "db_password: hunter2\nport: 5432\nlist:\n    - a\n    - b\n"

    /// The `sops:` block of a YAML file with the values taken out: indentation, keys, a `"` for a
    /// quoted value and the block indicator (`|-`) of multi-line ones. Armor lines are dropped.
    static func shape(_ yaml: String) -> [String] {
        guard let start = yaml.range(of: "\nsops:\n") else { return [] }
        return yaml[start.upperBound...].split(separator: "\n").compactMap { line -> String? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            let key = line[..<colon]
            guard key.allSatisfy({ $0 == " " || $0 == "-" || $0 == "_" || $0.isLetter }) else { return nil }
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            let marker = value.hasPrefix("|") ? " " + value : value.hasPrefix("\"") ? " \"" : value.isEmpty ? "" : " v"
            return String(key) + ":" + marker
        }
    }

    @Test("ksecret encrypts with --pgp; sops decrypts it, and the metadata has sops's layout")
    func ksecretToSops() throws {
        let s = try Setup()
        let file = try s.write("s.yaml", Self.plain)
        let enc = try s.ksecret(["encrypt", "--pgp", s.fp, "--output", "k.yaml", file], s.pgpOnly)
        try #require(enc.status == 0, "\(enc.stderr)")
        let bySops = try s.sops(["decrypt", "k.yaml"], s.pgpOnly)
        #expect(bySops.status == 0, "\(bySops.stderr)")
        #expect(bySops.text == Self.plain)
        let reference = try s.sops(["encrypt", "--pgp", s.fp, file], s.pgpOnly)
        try #require(reference.status == 0, "\(reference.stderr)")
        let ours = try String(contentsOfFile: s.dir.appendingPathComponent("k.yaml").path, encoding: .utf8)
        #expect(Self.shape(ours) == Self.shape(reference.text))
        #expect(Self.shape(ours).contains("          enc: |-"))
        #expect(ours.contains("          fp: \(s.fp)\n"))
    }

    @Test("sops encrypts with --pgp; ksecret decrypts it to what sops does")
    func sopsToKsecret() throws {
        let s = try Setup()
        let file = try s.write("s.yaml", Self.plain)
        let enc = try s.sops(["encrypt", "--pgp", s.fp, "--output", "e.yaml", file], s.pgpOnly)
        try #require(enc.status == 0, "\(enc.stderr)")
        let ours = try s.ksecret(["decrypt", "e.yaml"], s.pgpOnly)
        #expect(ours.status == 0, "\(ours.stderr)")
        #expect(ours.text == (try s.sops(["decrypt", "e.yaml"], s.pgpOnly)).text)
        // Without the key: exit 128, as sops, naming the fingerprint.
        let without = try s.ksecret(["decrypt", "e.yaml"], ["GNUPGHOME": s.empty.path])
        #expect(without.status == 128)
        #expect(without.stderr.contains("no secret key for any of its PGP keys (\(s.fp))"))
        #expect(try s.sops(["decrypt", "e.yaml"], ["GNUPGHOME": s.empty.path]).status == 128)
    }

    @Test("SOPS_PGP_FP and a .sops.yaml rule's pgp: name the keys for encrypt")
    func environmentAndRule() throws {
        let s = try Setup()
        let file = try s.write("a.yaml", Self.plain)
        let byEnv = try s.ksecret(["encrypt", "--output", "env.yaml", file], s.pgpOnly.merging(["SOPS_PGP_FP": s.fp]) { $1 })
        try #require(byEnv.status == 0, "\(byEnv.stderr)")
        #expect(try s.sops(["decrypt", "env.yaml"], s.pgpOnly).text == Self.plain)
        _ = try s.write(".sops.yaml", "creation_rules:\n  - path_regex: rule\\.yaml$\n    pgp: '\(s.fp.lowercased())'\n")
        _ = try s.write("rule.yaml", Self.plain)
        let byRule = try s.ksecret(["encrypt", "-i", "rule.yaml"], s.pgpOnly)
        try #require(byRule.status == 0, "\(byRule.stderr)")
        #expect(try s.sops(["decrypt", "rule.yaml"], s.pgpOnly).text == Self.plain)
    }

    @Test("age and pgp in one group: either key alone opens the file, in both tools")
    func mixedGroup() throws {
        let s = try Setup()
        let file = try s.write("s.yaml", Self.plain)
        let ours = try s.ksecret(["encrypt", "--age", s.ageRecipient, "--pgp", s.fp, "--output", "k.yaml", file], s.pgpOnly)
        try #require(ours.status == 0, "\(ours.stderr)")
        let theirs = try s.sops(["encrypt", "--age", s.ageRecipient, "--pgp", s.fp, "--output", "e.yaml", file], s.pgpOnly)
        try #require(theirs.status == 0, "\(theirs.stderr)")
        let ourText = try String(contentsOfFile: s.dir.appendingPathComponent("k.yaml").path, encoding: .utf8)
        let theirText = try String(contentsOfFile: s.dir.appendingPathComponent("e.yaml").path, encoding: .utf8)
        #expect(Self.shape(ourText) == Self.shape(theirText))
        #expect(Self.shape(ourText).contains("    pgp:") && Self.shape(ourText).contains("    age:"))
        for name in ["k.yaml", "e.yaml"] {
            for env in [s.pgpOnly, s.ageOnly] {
                #expect(try s.sops(["decrypt", name], env).text == Self.plain, "sops \(name) \(env)")
                #expect(try s.ksecret(["decrypt", name], env).text == Self.plain, "ksecret \(name) \(env)")
            }
        }
    }

    @Test("a mixed group with neither key at hand: exit 128, each key's reason")
    func mixedGroupNoKey() throws {
        let s = try Setup()
        let file = try s.write("s.yaml", Self.plain)
        try #require(try s.ksecret(["encrypt", "-i", "--age", s.ageRecipient, "--pgp", s.fp, file], s.pgpOnly).status == 0)
        let r = try s.ksecret(["decrypt", file], ["GNUPGHOME": s.empty.path])
        #expect(r.status == 128)
        #expect(r.stderr.contains("group 1: no age identity for \(s.ageRecipient); no secret key for PGP key \(s.fp)"), "\(r.stderr)")
    }

    @Test("pgp in a Shamir key group: 2 of 3 groups, one of them PGP, open the file in both tools")
    func shamirWithPGP() throws {
        let s = try Setup()
        let k2 = s.dir.appendingPathComponent("age2.txt").path
        let r2 = try Peers.run(Peers.ksecret!, ["keygen", "-o", k2]).stderr
            .replacingOccurrences(of: "Public key: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try s.write(".sops.yaml", """
            creation_rules:
              - path_regex: \\.yaml$
                shamir_threshold: 2
                key_groups:
                  - pgp: [\(s.fp)]
                  - age: [\(s.ageRecipient)]
                  - age: [\(r2)]

            """)
        _ = try s.write("k.yaml", Self.plain)
        _ = try s.write("e.yaml", Self.plain)
        let ours = try s.ksecret(["encrypt", "-i", "k.yaml"], s.pgpOnly)
        try #require(ours.status == 0, "\(ours.stderr)")
        let theirs = try s.sops(["encrypt", "-i", "e.yaml"], s.pgpOnly)
        try #require(theirs.status == 0, "\(theirs.stderr)")
        let ourText = try String(contentsOfFile: s.dir.appendingPathComponent("k.yaml").path, encoding: .utf8)
        #expect(ourText.contains("key_groups:\n        - pgp:\n"))
        #expect(Self.shape(ourText) == Self.shape(try String(contentsOfFile: s.dir.appendingPathComponent("e.yaml").path, encoding: .utf8)))
        for name in ["k.yaml", "e.yaml"] {
            #expect(try s.sops(["decrypt", name], s.both).text == Self.plain, "sops \(name)")
            let byKsecret = try s.ksecret(["decrypt", name], s.both)
            #expect(byKsecret.text == Self.plain, "ksecret \(name): \(byKsecret.stderr)")
            let pgpAlone = try s.ksecret(["decrypt", name], s.pgpOnly)
            #expect(pgpAlone.status == 128 && pgpAlone.stderr.contains("1 of 3 key groups opened, 2 needed"), "\(pgpAlone.stderr)")
        }
    }

    @Test("rotate --add-pgp and --rm-pgp (any case, with spaces): sops agrees who can open the file")
    func rotate() throws {
        let s = try Setup()
        let file = try s.write("s.yaml", Self.plain)
        try #require(try s.ksecret(["encrypt", "-i", "--age", s.ageRecipient, file], s.ageOnly).status == 0)
        #expect(try s.sops(["decrypt", file], s.pgpOnly).status == 128)
        let added = try s.ksecret(["rotate", "-i", "--add-pgp", s.fp, file], s.both)
        try #require(added.status == 0, "\(added.stderr)")
        #expect(try s.sops(["decrypt", file], s.pgpOnly).text == Self.plain)
        #expect(try s.sops(["decrypt", file], s.ageOnly).text == Self.plain)
        // Adding it again in lower case changes nothing: one entry.
        #expect(try s.ksecret(["rotate", "-i", "--add-pgp", s.fp.lowercased(), file], s.both).status == 0)
        #expect(try String(contentsOfFile: file, encoding: .utf8).components(separatedBy: "fp: ").count == 2)
        var spaced = ""
        for (i, c) in s.fp.lowercased().enumerated() { spaced += (i > 0 && i % 4 == 0 ? " " : "") + String(c) }
        let removed = try s.ksecret(["rotate", "-i", "--rm-pgp", spaced, file], s.ageOnly)
        try #require(removed.status == 0, "\(removed.stderr)")
        #expect(!(try String(contentsOfFile: file, encoding: .utf8)).contains("pgp:"))
        #expect(try s.sops(["decrypt", file], s.pgpOnly).status == 128)
        #expect(try s.sops(["decrypt", file], s.ageOnly).text == Self.plain)
    }

    @Test("updatekeys wraps the data key for a pgp key the rule now names; values and MAC stay")
    func updatekeys() throws {
        let s = try Setup()
        let file = try s.write("secrets.yaml", Self.plain)
        try #require(try s.sops(["encrypt", "-i", "--age", s.ageRecipient, file], s.ageOnly).status == 0)
        let before = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").filter { $0.contains("ENC[") }
        _ = try s.write(".sops.yaml", "creation_rules:\n  - path_regex: secrets\\.yaml$\n    age: \(s.ageRecipient)\n    pgp: \(s.fp)\n")
        let r = try s.ksecret(["updatekeys", "-y", "secrets.yaml"], s.both)
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("+ group 1: pgp \(s.fp)"))
        #expect(try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").filter { $0.contains("ENC[") } == before)
        #expect(try s.sops(["decrypt", file], s.pgpOnly).text == Self.plain)
        // The rule naming the key in lower case is no change.
        _ = try s.write(".sops.yaml", "creation_rules:\n  - path_regex: secrets\\.yaml$\n    age: \(s.ageRecipient)\n    pgp: \(s.fp.lowercased())\n")
        let again = try s.ksecret(["updatekeys", "-y", "secrets.yaml"], s.ageOnly)
        #expect(again.status == 0 && again.stderr.contains("already up to date"), "\(again.stderr)")
    }

    @Test("SOPS_DECRYPTION_ORDER: pgp first asks gpg-agent for the passphrase, the default does not; a repeated kind is 112 as in sops")
    func decryptionOrder() throws {
        let s = try Setup()
        let locked = try TestGnuPGHome()
        defer { locked.close() }
        let fp = try locked.generateKey("Locked <locked@example.invalid>", passphrase: "correct horse")
        try locked.configure("gpg-agent.conf", ["pinentry-program \(try locked.fakePinentry(answering: "correct horse"))"])
        let file = try s.write("s.yaml", Self.plain)
        let env = ["GNUPGHOME": locked.path, "SOPS_AGE_KEY_FILE": s.ageKey]
        try #require(try s.ksecret(["encrypt", "-i", "--age", s.ageRecipient, "--pgp", fp, file], env).status == 0)
        #expect(try s.ksecret(["decrypt", file], env).text == Self.plain)
        #expect(locked.pinentryRequests() == 0)
        #expect(try s.ksecret(["decrypt", file], env.merging(["SOPS_DECRYPTION_ORDER": "pgp,age"]) { $1 }).text == Self.plain)
        #expect(locked.pinentryRequests() == 1)
        // --decryption-order overrides the variable, as in sops.
        let flag = try s.ksecret(["decrypt", "--decryption-order", "age,age", file], env.merging(["SOPS_DECRYPTION_ORDER": "pgp"]) { $1 })
        #expect(flag.status == 112)
        let duplicate = env.merging(["SOPS_DECRYPTION_ORDER": "age,pgp,age"]) { $1 }
        let ours = try s.ksecret(["decrypt", file], duplicate)
        #expect(ours.status == 112)
        #expect(try s.sops(["decrypt", file], duplicate).status == ours.status)
    }

    @Test("encrypting to an expired or unknown key fails with exit 1 as in sops, naming the fingerprint")
    func refusedKeys() throws {
        let s = try Setup()
        let expired = try s.home.generateKey("Expired <expired@example.invalid>", expire: "1d", fakedTime: "20200101T000000")
        let file = try s.write("s.yaml", Self.plain)
        let ours = try s.ksecret(["encrypt", "--pgp", expired, file], s.pgpOnly)
        #expect(ours.status == 1)
        #expect(ours.stderr.contains("refusing to encrypt the data key to PGP key \(expired): the key is expired"))
        #expect(try s.sops(["encrypt", "--pgp", expired, file], s.pgpOnly).status == 1)
        let unknown = "0123456789ABCDEF0123456789ABCDEF01234567"
        let none = try s.ksecret(["encrypt", "--pgp", unknown, file], s.pgpOnly)
        #expect(none.status == 1 && none.stderr.contains(unknown))
        #expect(ours.stdout.isEmpty && none.stdout.isEmpty)
    }

    @Test("helm's secrets+gpg-import://KEY?FILE decrypts sops's PGP fixture with only that key, leaving no keyring or agent behind")
    func helmGPGImport() throws {
        let s = try Setup()
        let fixture = Peers.shared.appendingPathComponent("fixtures/sops/pgp")
        let scratch = s.dir.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: false)
        let url = "secrets+gpg-import://\(fixture.appendingPathComponent("secret-key.asc").path)?\(fixture.appendingPathComponent("enc-pgp.yaml").path)"
        // GNUPGHOME names a keyring without the key: only the imported one can open the file.
        let r = try s.ksecret(["helm", "downloader", "", "", "", url], ["GNUPGHOME": s.empty.path, "TMPDIR": scratch.path])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout == [UInt8](try Data(contentsOf: fixture.appendingPathComponent("plain.yaml"))))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path).isEmpty)
        let agents = try Peers.run("/bin/sh", ["-c", "ps -eo args | grep '[g]pg-agent' | grep -c '\(scratch.path)' || true"])
        #expect(agents.text.trimmingCharacters(in: .whitespacesAndNewlines) == "0")
        let disabled = try s.ksecret(["helm", "downloader", "", "", "", url], ["HELM_SECRETS_ALLOW_GPG_IMPORT": "false"])
        #expect(disabled.status != 0 && disabled.stderr.contains("disabled"))
    }
}
