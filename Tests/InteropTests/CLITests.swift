import Foundation
import Testing
@testable import KSecret

/// The ksecret binary as users drive it: exit codes (Documentation/ExitCodes.md), tamper refusal,
/// stable ciphertext on set/replace/edit (Format.md §1.5), atomic in-place writes, the edit temp
/// file's life cycle. Every run gets a throwaway key and a scratch directory.
@Suite("ksecret command line", .enabled(if: Peers.ksecret != nil, "needs a built ksecret (swift build)"))
struct CLITests {
    let dir: URL
    let keyFile: String
    let recipient: String
    var env: [String: String] { ["SOPS_AGE_KEY_FILE": keyFile] }

    static let plain = """
        # database settings
        db:
          host: db.internal   # primary
          port: 5432
          user: app
          password: 's3cr3t: with colon'
        token: abcdef
        list:
          - one
          - two

        """

    init() throws {
        dir = try Peers.temporaryDirectory()
        keyFile = dir.appendingPathComponent("keys.txt").path
        let gen = try Peers.run(Peers.ksecret!, ["keygen", "-o", keyFile])
        recipient = gen.stderr.replacingOccurrences(of: "Public key: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func ksecret(_ args: [String], stdin: [UInt8]? = nil, extraEnv: [String: String] = [:]) throws -> Peers.Result {
        try Peers.run(Peers.ksecret!, args, environment: env.merging(extraEnv) { $1 }, stdin: stdin, directory: dir)
    }

    func write(_ name: String, _ text: String) throws -> String {
        let path = dir.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func read(_ path: String) throws -> String { String(decoding: try Data(contentsOf: URL(fileURLWithPath: path)), as: UTF8.self) }

    /// An encrypted copy of `plain` at `name`.
    func encrypted(_ name: String = "secrets.yaml", _ text: String = plain) throws -> String {
        let path = try write(name, text)
        let r = try ksecret(["encrypt", "-i", "--age", recipient, path])
        try #require(r.status == 0, "encrypt: \(r.stderr)")
        return path
    }

    /// Asserts that exactly the line of `key`, the MAC and perhaps `lastmodified` (same second or not) changed.
    func expectOnlyChanged(_ key: String, _ before: String, _ after: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) {
        let changed = changedLines(before, after)
        #expect(changed.contains { $0.contains("\(key):") }, "\(changed)", sourceLocation: sourceLocation)
        #expect(changed.contains { $0.contains("mac:") }, "\(changed)", sourceLocation: sourceLocation)
        #expect(changed.allSatisfy { $0.contains("\(key):") || $0.contains("mac:") || $0.contains("lastmodified:") }, "\(changed)",
                sourceLocation: sourceLocation)
    }

    func changedLines(_ a: String, _ b: String) -> [String] {
        let x = a.split(separator: "\n", omittingEmptySubsequences: false), y = b.split(separator: "\n", omittingEmptySubsequences: false)
        guard x.count == y.count else { return ["line count \(x.count) -> \(y.count)"] }
        return zip(x, y).filter { $0 != $1 }.map { String($0.1.prefix(40)) }
    }

    // MARK: exit codes

    @Test("--help of every command wraps each paragraph once: no short line in the middle of a sentence")
    func helpParagraphs() throws {
        var commands: [[String]] = [[]]
        var index = 0
        while index < commands.count {
            let command = commands[index]
            index += 1
            let r = try ksecret(command + ["--help"], extraEnv: ["COLUMNS": "80"])
            try #require(r.status == 0, "ksecret \(command) --help: \(r.stderr)")
            let lines = r.text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            // Overview and discussion: a prose line cut well short of the width, with the sentence
            // going on in the next line, is a paragraph wrapped twice.
            let text = lines.prefix { !$0.hasPrefix("USAGE:") }
            for (line, next) in zip(text, text.dropFirst()) where !line.isEmpty && !line.hasPrefix(" ") {
                if let first = next.first, first.isLowercase || first == "(", line.count < 60 {
                    Issue.record("ksecret \(command.joined(separator: " ")) --help: '\(line)' is cut short before '\(next)'")
                }
            }
            guard let start = lines.firstIndex(of: "SUBCOMMANDS:") else { continue }
            for line in lines[(start + 1)...].prefix(while: { !$0.isEmpty })
            where line.hasPrefix("  ") && !line.hasPrefix("   ") {
                let name = line.dropFirst(2).prefix { $0 != " " && $0 != "," }
                commands.append(command + [String(name)])
            }
        }
        // The walk reached the nested commands, including those ksecret-net serves.
        #expect(commands.contains(["helm", "install-plugins"]) && commands.contains(["db", "rotate"]), "\(commands)")
    }

    @Test("encrypting an encrypted file exits 203 and writes nothing")
    func alreadyEncrypted() throws {
        let path = try encrypted()
        let before = try read(path)
        let r = try ksecret(["encrypt", "-i", "--age", recipient, path])
        #expect(r.status == 203)
        #expect(r.stderr.contains("already encrypted"))
        #expect(try read(path) == before)
    }

    @Test("an encrypted YAML or dotenv file read as binary (stdin, no extension) gets a hint naming --input-type")
    func formatHintForBinaryReads() throws {
        let path = try encrypted()
        let piped = try ksecret(["decrypt", "-"], stdin: Array(try read(path).utf8))
        #expect(piped.status == 1)
        #expect(piped.stderr.contains("read as a binary file") && piped.stderr.contains("pass --input-type yaml"), "\(piped.stderr)")
        #expect(try ksecret(["decrypt", "--input-type", "yaml", "-"], stdin: Array(try read(path).utf8)).text == Self.plain)

        let env = try write("app.env", "TOKEN=abc\n")
        let sealed = try ksecret(["encrypt", "--age", recipient, env])
        try #require(sealed.status == 0, "\(sealed.stderr)")
        let bare = try write("app-secrets", sealed.text)
        let r = try ksecret(["decrypt", bare])
        #expect(r.status == 1 && r.stderr.contains("pass --input-type dotenv"), "\(r.stderr)")
        // Bytes that hold no sops file keep the plain hint.
        let other = try ksecret(["decrypt", try write("blob", "just text\n")])
        #expect(other.status == 1 && other.stderr.contains("encrypt it with `ksecret encrypt`"), "\(other.stderr)")
    }

    @Test("decrypting a plain file exits 1 with sops's message; a missing file exits 100; an empty one 92")
    func plainMissingEmpty() throws {
        let plain = try write("plain.yaml", "a: 1\n")
        let r1 = try ksecret(["decrypt", plain])
        #expect(r1.status == 1 && r1.stderr.contains("sops metadata not found"))
        let r2 = try ksecret(["decrypt", dir.appendingPathComponent("nope.yaml").path])
        #expect(r2.status == 100)
        let empty = try write("empty.yaml", "")
        let r3 = try ksecret(["encrypt", "--age", recipient, empty])
        #expect(r3.status == 92)
    }

    @Test("without the key: exit 128 naming the recipient and where ksecret looked")
    func wrongKey() throws {
        let path = try encrypted()
        let other = dir.appendingPathComponent("other.txt").path
        _ = try ksecret(["keygen", "-o", other])
        let r = try ksecret(["decrypt", path], extraEnv: ["SOPS_AGE_KEY_FILE": other])
        #expect(r.status == 128)
        #expect(r.stderr.contains(recipient))
        #expect(r.stderr.contains(other))
        #expect(r.stdout.isEmpty)
    }

    @Test("the age key file and --config may be pipes (bash process substitution), as with sops; a missing or directory key file exits 128 naming it")
    func keyFileFromPipe() throws {
        let path = try encrypted()
        let script = #"SOPS_AGE_KEY_FILE=<(cat "$1") "$2" decrypt "$3""#
        let piped = try Peers.run("/bin/bash", ["-c", script, "bash", keyFile, Peers.ksecret!, path], directory: dir)
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(piped.text == Self.plain)

        let plain = try write("plain.yaml", "token: abc\n")
        let rule = #"--config=<(printf 'creation_rules:\n  - age: %s\n' "$1") "#
        let configured = try Peers.run("/bin/bash", ["-c", #"SOPS_AGE_KEY_FILE="$3" "$2" encrypt "# + rule + #""$4""#,
                                                     "bash", recipient, Peers.ksecret!, keyFile, plain], directory: dir)
        #expect(configured.status == 0, "\(configured.stderr)")
        #expect(configured.text.contains(recipient))

        for (keys, reason) in [(dir.appendingPathComponent("absent.txt").path, "cannot open the age key file: No such file or directory"),
                               (dir.path, "the age key file is a directory")] {
            let r = try ksecret(["decrypt", path], extraEnv: ["SOPS_AGE_KEY_FILE": keys])
            #expect(r.status == 128)
            #expect(r.stderr.contains("\(keys): \(reason)"), "\(r.stderr)")
            #expect(r.stdout.isEmpty)
        }
    }

    @Test("malformed YAML: exit 2 with file, line, column and a caret, and the value masked")
    func malformedYAML() throws {
        let path = try write("bad.yaml", "a: 1\nb: [secretvalue, 2\nc: 3\n")
        let r = try ksecret(["encrypt", "--age", recipient, path])
        #expect(r.status == 2)
        #expect(r.stderr.contains("bad.yaml:"))
        #expect(r.stderr.contains("^"))
        #expect(!r.stderr.contains("secretvalue"))
    }

    // MARK: tampering (Format.md §1, §3)

    enum Tamper: String, CaseIterable, Sendable {
        case flipData, flipIV, flipTag, flipMAC, swapValues, editLastModified, editClearValue
    }

    @Test("tampered files are refused with no plaintext printed and nothing written", arguments: Tamper.allCases)
    func tampered(_ kind: Tamper) throws {
        let path = try encrypted("t-\(kind.rawValue).yaml", Self.plain.replacingOccurrences(of: "token: abcdef", with: "token: abcdef\nnote_unencrypted: visible"))
        var text = try read(path)
        func flip(in field: String, of key: String) {
            // Change one base64 character of `field` in the line of `key`.
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let i = lines.firstIndex { $0.contains("\(key): ") }!
            let range = lines[i].range(of: field + ":")!
            let at = lines[i].index(range.upperBound, offsetBy: 2)
            let c = lines[i][at]
            lines[i].replaceSubrange(at...at, with: c == "A" ? "B" : "A")
            text = lines.joined(separator: "\n")
        }
        var expected: Int32 = 25
        switch kind {
        case .flipData: flip(in: "data", of: "password")
        case .flipIV: flip(in: "iv", of: "password")
        case .flipTag: flip(in: "tag", of: "password")
        case .flipMAC: flip(in: "data", of: "mac"); expected = 51
        case .swapValues:
            var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            let u = lines.firstIndex { $0.contains("user: ") }!, p = lines.firstIndex { $0.contains("password: ") }!
            let uv = lines[u].components(separatedBy: ": ")[1], pv = lines[p].components(separatedBy: ": ")[1]
            lines[u] = lines[u].replacingOccurrences(of: uv, with: pv)
            lines[p] = lines[p].replacingOccurrences(of: pv, with: uv)
            text = lines.joined(separator: "\n")
        case .editLastModified:
            let r = text.range(of: #"lastmodified: "[^"]+""#, options: .regularExpression)!
            text.replaceSubrange(r, with: "lastmodified: \"2001-01-01T00:00:00Z\"")
            expected = 51
        case .editClearValue:
            text = text.replacingOccurrences(of: "note_unencrypted: visible", with: "note_unencrypted: changed")
            expected = 51
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        let r = try ksecret(["decrypt", path])
        #expect(r.status == expected, "\(kind): \(r.stderr)")
        #expect(r.stdout.isEmpty)
        for secret in ["s3cr3t", "abcdef", "db.internal"] { #expect(!r.stderr.contains(secret)) }
        let inPlace = try ksecret(["decrypt", "-i", path])
        #expect(inPlace.status == expected)
        #expect(try read(path) == text, "a refused in-place decrypt must not write")
        if expected == 51 {
            #expect(try ksecret(["decrypt", "--ignore-mac", path]).status == 0)
        }
    }

    // MARK: stable ciphertext

    @Test("set changes only the value's line, lastmodified and mac")
    func setKeepsCiphertext() throws {
        let path = try encrypted()
        let before = try read(path)
        let r = try ksecret(["set", path, #"["db"]["password"]"#, #""n3w""#])
        try #require(r.status == 0, "\(r.stderr)")
        expectOnlyChanged("password", before, try read(path))
        let extract = try ksecret(["decrypt", "--extract", #"["db"]["password"]"#, path])
        #expect(extract.text == "n3w")
        let unset = try ksecret(["unset", path, #"["token"]"#])
        #expect(unset.status == 0)
        #expect(!(try ksecret(["decrypt", path]).text.contains("token")))
    }

    @Test("replace keeps the ciphertext of every unchanged value")
    func replaceKeepsCiphertext() throws {
        let path = try encrypted()
        let before = try read(path)
        let newPlain = try write("new.yaml", Self.plain.replacingOccurrences(of: "port: 5432", with: "port: 6543"))
        let r = try ksecret(["replace", path, "--from", newPlain])
        try #require(r.status == 0, "\(r.stderr)")
        expectOnlyChanged("port", before, try read(path))
        #expect(try ksecret(["decrypt", path]).text == Self.plain.replacingOccurrences(of: "port: 5432", with: "port: 6543"))
    }

    @Test("in-place writes keep the file's mode")
    func keepsMode() throws {
        let path = try write("mode.yaml", Self.plain)
        chmod(path, 0o640)
        #expect(try ksecret(["encrypt", "-i", "--age", recipient, path]).status == 0)
        var st = stat()
        stat(path, &st)
        #expect(st.st_mode & 0o777 == 0o640)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("ksecret-") }
        #expect(leftovers.isEmpty)
    }

    @Test("in-place writes keep the file's owner and group (root editing another user's file)",
          .enabled(if: getuid() == 0, "giving a file to another user needs root"))
    func keepsOwner() throws {
        let path = try write("owned.yaml", Self.plain)
        try #require(chown(path, 65534, 65534) == 0)
        #expect(try ksecret(["encrypt", "-i", "--age", recipient, path]).status == 0)
        #expect(try ksecret(["set", path, #"["token"]"#, #""x""#]).status == 0)
        var st = stat()
        stat(path, &st)
        #expect(st.st_uid == 65534 && st.st_gid == 65534)
    }

    @Test("in-place writes keep the file's extended attributes: a user attribute and a POSIX ACL")
    func keepsExtendedAttributes() throws {
        let path = try write("xattr.yaml", Self.plain)
        let setfattr = Peers.find("setfattr"), setfacl = Peers.find("setfacl"), getfacl = Peers.find("getfacl")
        try #require(setfattr != nil && setfacl != nil && getfacl != nil, "setfattr, setfacl, getfacl (make deps: attr, acl)")
        let user = try Peers.run(setfattr!, ["-n", "user.ksecret-test", "-v", "kept", path])
        try #require(user.status == 0, "the file system keeps no user attributes here: \(user.stderr)")
        chmod(path, 0o600)
        try #require(try Peers.run(setfacl!, ["-m", "u:65534:r", path]).status == 0)
        let aclBefore = try Peers.run(getfacl!, ["-c", path]).text
        #expect(aclBefore.contains("user:65534:r--") || aclBefore.contains("user:nobody:r--"), "\(aclBefore)")
        var before = stat()
        stat(path, &before)

        #expect(try ksecret(["encrypt", "-i", "--age", recipient, path]).status == 0)
        var after = stat()
        stat(path, &after)
        // The temp file exists beside the original, so it cannot have the original's inode.
        #expect(after.st_ino != before.st_ino, "the file was replaced, not rewritten")
        #expect(try ksecret(["set", path, #"["token"]"#, #""x""#]).status == 0)
        stat(path, &after)
        #expect(try Peers.run(Peers.find("getfattr") ?? "/usr/bin/getfattr", ["--only-values", "-n", "user.ksecret-test", path]).text == "kept")
        #expect(try Peers.run(getfacl!, ["-c", path]).text == aclBefore)
        #expect(after.st_mode & 0o7777 == before.st_mode & 0o7777)
    }

    @Test("a file with two hard links is refused and left as it was: the other name would keep the plaintext")
    func refusesHardLinks() throws {
        let path = try write("linked-twice.yaml", Self.plain)
        let other = dir.appendingPathComponent("other-name.yaml").path
        try #require(link(path, other) == 0)
        let r = try ksecret(["encrypt", "-i", "--age", recipient, path])
        #expect(r.status != 0)
        #expect(r.stderr.contains("2 hard links"), "\(r.stderr)")
        #expect(r.stderr.contains("hint: make it a file of its own first"), "\(r.stderr)")
        #expect(try read(path) == Self.plain && (try read(other)) == Self.plain)
        // Once it is a file of its own, it encrypts.
        try #require(unlink(other) == 0)
        #expect(try ksecret(["encrypt", "-i", "--age", recipient, path]).status == 0)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains("ksecret-") }
        #expect(leftovers.isEmpty)
    }

    @Test("in-place writes through a symbolic link change its target and keep the link (encrypt -i left the target in clear text)")
    func writesThroughSymlink() throws {
        let targetDirectory = dir.appendingPathComponent("shared")
        try FileManager.default.createDirectory(at: targetDirectory, withIntermediateDirectories: true)
        let target = targetDirectory.appendingPathComponent("secrets.yaml").path
        try Data(Self.plain.utf8).write(to: URL(fileURLWithPath: target))
        chmod(target, 0o640)
        let link = dir.appendingPathComponent("linked.yaml").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: "shared/secrets.yaml")

        #expect(try ksecret(["encrypt", "-i", "--age", recipient, link]).status == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "shared/secrets.yaml")
        #expect(try read(target).contains("ENC[AES256_GCM,") && !(try read(target).contains("abcdef")))
        var st = stat()
        stat(target, &st)
        #expect(st.st_mode & 0o777 == 0o640)
        #expect(try ksecret(["set", link, #"["token"]"#, #""changed""#]).status == 0)
        #expect(try ksecret(["decrypt", "-i", link]).status == 0)
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link) == "shared/secrets.yaml")
        #expect(try read(target) == Self.plain.replacingOccurrences(of: "token: abcdef", with: "token: changed"))
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: targetDirectory.path).filter { $0.contains("ksecret-") }
        #expect(leftovers.isEmpty)
    }

    // MARK: edit

    /// An editor script: records the temp file's path and modes, then runs `action` on it.
    func editor(_ action: String) throws -> (script: String, log: String) {
        let log = dir.appendingPathComponent("editor.log").path
        let script = try write("editor.sh", """
            #!/bin/sh
            f="$1"
            echo "$f" > \(log)
            stat -c '%a' "$f" >> \(log)
            stat -c '%a' "$(dirname "$f")" >> \(log)
            \(action)
            """)
        chmod(script, 0o755)
        return (script, log)
    }

    @Test("edit: 0600 file in a 0700 directory, removed after; only the edited value changes")
    func editChangesOneValue() throws {
        let path = try encrypted()
        let before = try read(path)
        let (script, log) = try editor(#"sed -i 's/port: 5432/port: 9090/' "$f""#)
        let r = try ksecret(["edit", path], extraEnv: ["EDITOR": script])
        try #require(r.status == 0, "\(r.stderr)")
        let lines = try read(log).split(separator: "\n").map(String.init)
        #expect(lines[1] == "600" && lines[2] == "700")
        #expect(!FileManager.default.fileExists(atPath: lines[0]))
        #expect(!FileManager.default.fileExists(atPath: URL(fileURLWithPath: lines[0]).deletingLastPathComponent().path))
        expectOnlyChanged("port", before, try read(path))
        #expect(try ksecret(["decrypt", "--extract", #"["db"]["port"]"#, path]).text.trimmingCharacters(in: .whitespacesAndNewlines) == "9090")
    }

    @Test("edit: no change exits 200; a failing editor leaves the file and no temp file")
    func editNoChangeAndFailure() throws {
        let path = try encrypted()
        let before = try read(path)
        let (same, log) = try editor("true")
        let r = try ksecret(["edit", path], extraEnv: ["EDITOR": same])
        #expect(r.status == 200)
        #expect(try read(path) == before)
        let temp = try read(log).split(separator: "\n").first.map(String.init)!
        #expect(!FileManager.default.fileExists(atPath: temp))
        let (failing, log2) = try editor("echo 'db: {password: leaked}' > \"$f\"; exit 3")
        let r2 = try ksecret(["edit", path], extraEnv: ["EDITOR": failing])
        #expect(r2.status != 0)
        #expect(try read(path) == before)
        let temp2 = try read(log2).split(separator: "\n").first.map(String.init)!
        #expect(!FileManager.default.fileExists(atPath: temp2))
    }

    @Test("edit: SIGTERM, SIGINT or SIGHUP to ksecret while the editor runs removes the plaintext file and its directory",
          arguments: [SIGTERM, SIGINT, SIGHUP])
    func editSignal(signal: Int32) throws {
        let path = try encrypted()
        let before = try read(path)
        let (script, log) = try editor("sleep 5")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Peers.ksecret!)
        process.arguments = ["edit", path]
        var e = ProcessInfo.processInfo.environment
        e["SOPS_AGE_KEY_FILE"] = keyFile
        e["EDITOR"] = script
        process.environment = e
        try process.run()
        var temp: String?
        for _ in 0..<100 {
            if let text = try? read(log), let first = text.split(separator: "\n").first, text.split(separator: "\n").count >= 3 { temp = String(first); break }
            usleep(50_000)
        }
        let tempPath = try #require(temp)
        #expect(FileManager.default.fileExists(atPath: tempPath))
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        #expect(!FileManager.default.fileExists(atPath: tempPath))
        #expect(!FileManager.default.fileExists(atPath: URL(fileURLWithPath: tempPath).deletingLastPathComponent().path))
        #expect(try read(path) == before)
        // The editor (a child) may outlive ksecret; it only held the file that is now gone.
        _ = try? Peers.run("/usr/bin/pkill", ["-f", script])
    }

    @Test("edit: the next edit removes the plaintext directory of an edit killed with SIGKILL, not a running one's")
    func editRemovesAbandonedDirectories() throws {
        let path = try encrypted()
        let tmp = dir.appendingPathComponent("tmp")
        let (abandoned, live) = try Peers.abandonedAndLiveScratch(kind: "edit", in: tmp, file: "s.yaml", content: "db:\n  password: left-behind\n")
        let (script, _) = try editor("true")
        _ = try ksecret(["edit", path], extraEnv: ["EDITOR": script, "TMPDIR": tmp.path])
        #expect(!FileManager.default.fileExists(atPath: abandoned.path))
        #expect(FileManager.default.fileExists(atPath: live.appendingPathComponent("s.yaml").path))
    }

    // MARK: where keys come from (Format.md §7, §8)

    @Test("identities from SOPS_AGE_KEY, SOPS_AGE_KEY_CMD and the default keys.txt under XDG_CONFIG_HOME")
    func identitySources() throws {
        let path = try encrypted()
        let identity = try read(keyFile)
        let noFile = ["SOPS_AGE_KEY_FILE": ""]
        #expect(try ksecret(["decrypt", path], extraEnv: noFile).status == 128)
        #expect(try ksecret(["decrypt", path], extraEnv: noFile.merging(["SOPS_AGE_KEY": identity]) { $1 }).status == 0)
        #expect(try ksecret(["decrypt", path], extraEnv: noFile.merging(["SOPS_AGE_KEY_CMD": "cat \(keyFile)"]) { $1 }).status == 0)
        let config = dir.appendingPathComponent("xdg/sops/age")
        try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
        try Data(identity.utf8).write(to: config.appendingPathComponent("keys.txt"))
        let xdg = noFile.merging(["XDG_CONFIG_HOME": dir.appendingPathComponent("xdg").path]) { $1 }
        #expect(try ksecret(["decrypt", path], extraEnv: xdg).status == 0)
        let failing = try ksecret(["decrypt", path], extraEnv: noFile.merging(["SOPS_AGE_KEY_CMD": "false"]) { $1 })
        #expect(failing.status == 128 && failing.stderr.contains("SOPS_AGE_KEY_CMD"))
    }

    @Test("recipients from SOPS_AGE_RECIPIENTS, and from the first matching .sops.yaml rule with its selection")
    func rules() throws {
        let plainPath = try write("env-recipients.yaml", Self.plain)
        let viaEnv = try ksecret(["encrypt", plainPath], extraEnv: ["SOPS_AGE_RECIPIENTS": recipient])
        #expect(viaEnv.status == 0 && viaEnv.text.contains(recipient))
        try Data("""
            creation_rules:
              - path_regex: only-password.*\\.yaml$
                encrypted_regex: ^password$
                age: \(recipient)
              - path_regex: \\.yaml$
                age: [\(recipient)]
            """.utf8).write(to: dir.appendingPathComponent(".sops.yaml"))
        let partial = try write("only-password.yaml", Self.plain)
        let r = try ksecret(["encrypt", partial])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.text.contains("host: db.internal"))
        #expect(!r.text.contains("s3cr3t"))
        #expect(r.text.contains("encrypted_regex: ^password$"))
        let other = try write("other.json", "{\"a\": \"b\"}")
        let none = try ksecret(["encrypt", other])
        #expect(none.status == 1 && none.stderr.contains("no creation rule"))
        try Data("creation_rules:\n  - path_regex: [unclosed\n".utf8).write(to: dir.appendingPathComponent(".sops.yaml"))
        let bad = try ksecret(["encrypt", partial])
        #expect(bad.status == 1 && bad.stderr.contains(".sops.yaml"))
        try FileManager.default.removeItem(at: dir.appendingPathComponent(".sops.yaml"))
    }

    @Test("filestatus reports encrypted and plain files as sops does")
    func filestatus() throws {
        let path = try encrypted()
        #expect(try ksecret(["filestatus", path]).text == "{\"encrypted\":true}\n")
        let plain = try write("plain-status.yaml", "a: 1\n")
        #expect(try ksecret(["filestatus", plain]).text == "{\"encrypted\":false}\n")
    }

    @Test("replace reads new plaintext from standard input; invalid input writes nothing")
    func replaceFromStdin() throws {
        let path = try encrypted()
        let before = try read(path)
        let bad = try ksecret(["replace", path], stdin: Array("db: [unclosed\n".utf8))
        #expect(bad.status == 2)
        #expect(try read(path) == before)
        let good = try ksecret(["replace", path], stdin: Array(Self.plain.replacingOccurrences(of: "token: abcdef", with: "token: ghijkl").utf8))
        try #require(good.status == 0, "\(good.stderr)")
        expectOnlyChanged("token", before, try read(path))
    }

    @Test("edit without a terminal: invalid YAML from the editor is an error and the file stays")
    func editInvalid() throws {
        let path = try encrypted()
        let before = try read(path)
        let (script, _) = try editor(#"printf 'db: [unclosed\n' > "$f""#)
        let r = try ksecret(["edit", path], extraEnv: ["EDITOR": script])
        #expect(r.status == 2)
        #expect(r.stderr.contains("invalid YAML"))
        #expect(try read(path) == before)
    }

    @Test("edit on a terminal: invalid YAML shows the error and reopens the editor on what was typed",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs script(1) from util-linux for a pseudo-terminal"))
    func editReopens() throws {
        let path = try encrypted()
        let count = dir.appendingPathComponent("count").path
        let (script, _) = try editor("""
            n=$(cat \(count) 2>/dev/null || echo 0); n=$((n+1)); echo $n > \(count)
            if [ $n -eq 1 ]; then printf 'db: [unclosed\\n' > "$f"; else sed -i 's/[[]unclosed/{host: fixed}/' "$f"; fi
            """)
        // script(1) gives ksecret a terminal; the newline on stdin answers "press Enter".
        let r = try Peers.run("/usr/bin/script", ["-qec", "\(Peers.ksecret!) edit \(path)", "/dev/null"],
                              environment: env.merging(["EDITOR": script]) { $1 }, stdin: Array("\n".utf8), directory: dir)
        #expect(r.status == 0, "\(r.text)")
        #expect(r.text.contains("invalid YAML"))
        #expect(try read(count).trimmingCharacters(in: .whitespacesAndNewlines) == "2")
        #expect(try ksecret(["decrypt", path]).text == "db: {host: fixed}\n")
    }

    @Test("--output-type converts between stores and --output writes a file instead of stdout")
    func conversions() throws {
        let path = try encrypted()
        let out = dir.appendingPathComponent("plain.json").path
        let r = try ksecret(["decrypt", "--output-type", "json", "--output", out, path])
        #expect(r.status == 0 && r.stdout.isEmpty)
        let json = try read(out)
        #expect(json.contains("\"password\": \"s3cr3t: with colon\""))
        #expect(json.contains("\"port\": 5432"))
        let env = try ksecret(["decrypt", "--output-type", "dotenv", path])
        #expect(env.status == 4 && env.stderr.contains("nested"))
        let bad = try ksecret(["decrypt", "--output-type", "toml", path])
        #expect(bad.status == 1 && bad.stderr.contains("unknown file type"))
        let inPlaceAndOutput = try ksecret(["decrypt", "-i", "--output", out, path])
        #expect(inPlaceAndOutput.status == 8)
    }

    // MARK: top-level sequences (Format.md §4.5)

    @Test("a top-level sequence round-trips byte for byte, its metadata in a document of its own")
    func topLevelSequence() throws {
        let text = "# a list at the top\n- name: a\n  password: listsecret-value   # first\n- plain item\n- 42\n"
        let path = try write("list.yaml", text)
        let enc = try ksecret(["encrypt", "--age", recipient, path])
        try #require(enc.status == 0, "\(enc.stderr)")
        #expect(enc.text.contains("\n---\nsops:\n"))
        #expect(!enc.text.contains("listsecret-value"))
        let encPath = try write("list.enc.yaml", enc.text)
        let dec = try ksecret(["decrypt", encPath])
        #expect(dec.status == 0)
        #expect(dec.text == text)
    }

    // MARK: keygen

    @Test("keygen writes a 0600 identity that age-keygen -y accepts", .enabled(if: Peers.find("age-keygen") != nil, "needs age-keygen (make deps)"))
    func keygen() throws {
        var st = stat()
        stat(keyFile, &st)
        #expect(st.st_mode & 0o777 == 0o600)
        let y = try Peers.run(Peers.find("age-keygen")!, ["-y", keyFile])
        #expect(y.status == 0)
        #expect(y.text.trimmingCharacters(in: .whitespacesAndNewlines) == recipient)
        let ours = try ksecret(["keygen", "-y", keyFile])
        #expect(ours.text.trimmingCharacters(in: .whitespacesAndNewlines) == recipient)
    }

    // MARK: libcrypto's own failures

    @Test("a broken OpenSSL configuration is reported as libcrypto's failure, not the identity file's")
    func brokenOpenSSLConfiguration() throws {
        let path = try encrypted()
        let config = try write("openssl.cnf", """
            openssl_conf = openssl_init
            [openssl_init]
            providers = provider_sect
            [provider_sect]
            nonesuch = nonesuch_sect
            [nonesuch_sect]
            activate = 1

            """)
        let r = try ksecret(["decrypt", path], extraEnv: ["OPENSSL_CONF": config])
        #expect(r.status != 0)
        #expect(r.text.isEmpty)
        #expect(r.stderr.contains("libcrypto failed while reading the age identities from SOPS_AGE_KEY_FILE"), "\(r.stderr)")
        #expect(r.stderr.contains("OPENSSL_CONF"), "\(r.stderr)")
        #expect(!r.stderr.contains("an identity line starts with"), "\(r.stderr)")
        // The same key file reads again once the configuration is gone.
        #expect(try ksecret(["decrypt", path]).status == 0)
    }

    @Test("the system's openssl.cnf is not read (as sops reads none); a file OPENSSL_CONF names is",
          .enabled(if: Peers.find("strace") != nil, "needs strace (make deps)"))
    func openSSLConfigurationRead() throws {
        let path = try encrypted()
        let config = try write("ksecret-openssl.cnf", "# an empty configuration\n")
        func opened(_ extraEnv: [String: String]) throws -> [Substring] {
            let log = dir.appendingPathComponent("openat.txt").path
            // env -u: OPENSSL_CONF unset, not empty (OpenSSL itself reads no file for an empty one).
            let unset = extraEnv["OPENSSL_CONF"] == nil ? ["-u", "OPENSSL_CONF"] : []
            let r = try Peers.run("/usr/bin/env", unset + [Peers.find("strace")!, "-f", "-qq", "-e", "trace=open,openat", "-o", log, Peers.ksecret!, "decrypt", path],
                                  environment: env.merging(extraEnv) { $1 }, directory: dir)
            #expect(r.status == 0, "\(r.stderr)")
            let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
            #expect(lines.contains { $0.contains(path) }, "the trace shows the files ksecret opens")
            return lines.filter { $0.contains(".cnf") }
        }
        #expect(try opened([:]).isEmpty)
        let named = try opened(["OPENSSL_CONF": config])
        #expect(named.contains { $0.contains("ksecret-openssl.cnf") }, "\(named)")
    }
}
