import Foundation
import Testing

/// Kills ksecret with SIGKILL at random moments of in-place writes (`set`, `encrypt -i`, `rotate -i`,
/// `updatekeys -y`, `replace`, edit's save): the file must always be the complete old version or
/// the complete new one, readable, with its mode kept, and temp files of killed runs must not
/// accumulate (the next write removes them). Counts scale with `KSECRET_HARNESS_SCALE` (`make crash`
/// runs the full 1,000 kills for `set` and 250 for each other command).
@Suite("crash safety of in-place writes", .enabled(if: Peers.ksecret != nil, "needs a built ksecret (swift build)"))
struct CrashSafetyTests {
    let dir: URL
    let keyFile: String
    let recipient: String
    let second: String
    let plain: String
    let path: String

    init() throws {
        dir = try Peers.temporaryDirectory()
        keyFile = dir.appendingPathComponent("keys.txt").path
        recipient = try Self.keygen(keyFile)
        second = try Self.keygen(dir.appendingPathComponent("keys2.txt").path)
        // A file large enough that the write takes a moment.
        var text = "# crash test\n"
        for i in 0..<400 { text += "key\(i): value-\(i)-" + String(repeating: "x", count: 40) + "\n" }
        plain = text
        path = dir.appendingPathComponent("s.yaml").path
    }

    static func keygen(_ file: String) throws -> String {
        let gen = try Peers.run(Peers.ksecret!, ["keygen", "-o", file])
        return gen.stderr.replacingOccurrences(of: "Public key: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    var env: [String: String] { ["SOPS_AGE_KEY_FILE": keyFile] }

    func bytes() throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }

    func writePlain() throws {
        try Data(plain.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o640)
    }

    func encryptFile() throws {
        try writePlain()
        let r = try Peers.run(Peers.ksecret!, ["encrypt", "-i", "--age", recipient, path], environment: env)
        try #require(r.status == 0, "\(r.stderr)")
    }

    func value(_ key: String) throws -> String? {
        let r = try Peers.run(Peers.ksecret!, ["decrypt", "--extract", "[\"\(key)\"]", path], environment: env)
        return r.status == 0 ? r.text : nil
    }

    func decrypts(to expected: String) throws -> Bool {
        let r = try Peers.run(Peers.ksecret!, ["decrypt", path], environment: env)
        return r.status == 0 && r.text == expected
    }

    struct Outcome { var kills = 0, old = 0, new = 0 }

    /// Runs `arguments(run)` `runs` times, each killed with SIGKILL at a random moment within about
    /// the command's own duration (measured once, uninterrupted), and checks the file after each kill.
    /// `window` turns the measured duration into the range of kill times (default: the whole run and
    /// 30 % more); `afterKill` checks more than the file (and may reset state) after each kill.
    func killLoop(_ name: String, runs: Int, extraEnv: [String: String] = [:], prepare: (Int) throws -> Void = { _ in },
                  window: (Double) -> Range<Double> = { 0..<$0 * 1.3 },
                  arguments: (Int) -> [String], isNew: (Int, [UInt8]) throws -> Bool,
                  afterKill: (Int, _ new: Bool) throws -> Void = { _, _ in }) throws -> Outcome {
        var environment = ProcessInfo.processInfo.environment
        for key in ["SOPS_AGE_KEY", "SOPS_AGE_KEY_CMD", "SOPS_AGE_RECIPIENTS", "SOPS_CONFIG"] { environment[key] = nil }
        environment["SOPS_AGE_KEY_FILE"] = keyFile
        for (k, v) in extraEnv { environment[k] = v }
        func start(_ run: Int) throws -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Peers.ksecret!)
            process.arguments = arguments(run)
            var e = environment
            e["KSECRET_TEST_RUN"] = String(run)
            process.environment = e
            process.currentDirectoryURL = dir
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            process.standardInput = FileHandle.nullDevice
            try process.run()
            return process
        }
        // One uninterrupted run gives the duration to aim the kills at; it must succeed.
        try prepare(-1)
        let began = Date()
        let probe = try start(-1)
        probe.waitUntilExit()
        try #require(probe.terminationStatus == 0, "\(name): the uninterrupted run failed")
        let duration = max(Date().timeIntervalSince(began), 0.005)
        let aim = window(duration)

        var outcome = Outcome()
        for run in 0..<runs {
            try prepare(run)
            let before = try bytes()
            let process = try start(run)
            usleep(UInt32.random(in: UInt32(aim.lowerBound * 1_000_000)..<UInt32(aim.upperBound * 1_000_000)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            outcome.kills += 1
            let now = try bytes()
            var st = stat()
            stat(path, &st)
            #expect(st.st_mode & 0o777 == 0o640, "\(name) run \(run): mode changed to \(String(st.st_mode & 0o777, radix: 8))")
            if now == before { outcome.old += 1; try afterKill(run, false) } else if try isNew(run, now) { outcome.new += 1; try afterKill(run, true) } else {
                Issue.record("\(name) run \(run): the file is neither the old nor the new version")
            }
        }
        // The next write removes what killed runs left next to the file.
        try prepare(runs)
        let last = try start(runs)
        last.waitUntilExit()
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".ksecret-") }
        #expect(leftovers.isEmpty, "\(name): temp files left: \(leftovers)")
        print("crash safety \(name): \(outcome.kills) kills, \(outcome.old) left the old file, \(outcome.new) the new one")
        // At full size the kill times must straddle the write, or the harness proved nothing.
        if runs >= 100 { #expect(outcome.old > 0 && outcome.new > 0, "\(name): the kills missed the write") }
        return outcome
    }

    @Test("SIGKILLs during set: the old or the new file, never a torn one")
    func killDuringSet() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        try encryptFile()
        _ = try killLoop("set", runs: Harness.count(1_000), arguments: { ["set", path, #"["key7"]"#, "\"changed-\($0)\""] },
                         isNew: { run, _ in try value("key7") == "changed-\(run)" })
    }

    @Test("SIGKILLs during encrypt -i: the plain file or the whole encrypted one")
    func killDuringEncrypt() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try killLoop("encrypt -i", runs: Harness.count(250), prepare: { _ in try writePlain() },
                         arguments: { _ in ["encrypt", "-i", "--age", recipient, path] },
                         isNew: { _, _ in try decrypts(to: plain) })
    }

    @Test("SIGKILLs during rotate -i: the old data key or the new one, same plaintext")
    func killDuringRotate() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        try encryptFile()
        _ = try killLoop("rotate -i", runs: Harness.count(250), arguments: { _ in ["rotate", "-i", path] },
                         isNew: { _, _ in try decrypts(to: plain) })
    }

    @Test("SIGKILLs during updatekeys -y: the old recipients or the new ones, same plaintext")
    func killDuringUpdatekeys() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        try encryptFile()
        let one = dir.appendingPathComponent("one.sops.yaml").path, two = dir.appendingPathComponent("two.sops.yaml").path
        try Data("creation_rules:\n  - age: \(recipient)\n".utf8).write(to: URL(fileURLWithPath: one))
        try Data("creation_rules:\n  - age: \(recipient),\(second)\n".utf8).write(to: URL(fileURLWithPath: two))
        // Odd runs (and the timing probe, run -1) ask for two recipients, even runs for one: each
        // run changes the file unless the run before it was killed before its write.
        let config = { (run: Int) in abs(run) % 2 == 1 ? two : one }
        let runs = Harness.count(250)
        let recipients = { (bytes: [UInt8]) in String(decoding: bytes, as: UTF8.self).components(separatedBy: "recipient: age1").count - 1 }
        // The last run is the write that must sweep the killed runs' temp files: it asks for the
        // recipients the file does not have (by parity alone it asks for what it has when the run
        // before it was killed before its write, and then writes nothing).
        _ = try killLoop("updatekeys -y", runs: runs, arguments: { run in
                             let file = run == runs ? ((try? recipients(bytes())) == 2 ? one : two) : config(run)
                             return ["updatekeys", "-y", "--config", file, path]
                         },
                         isNew: { run, now in
                             try recipients(now) == (abs(run) % 2 == 1 ? 2 : 1) && decrypts(to: plain)
                         })
    }

    @Test("SIGKILLs during replace: the old values or the new ones")
    func killDuringReplace() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        try encryptFile()
        let source = dir.appendingPathComponent("new-plain.yaml").path
        _ = try killLoop("replace", runs: Harness.count(250),
                         prepare: { run in
                             try Data(plain.replacingOccurrences(of: "key7: value-7-", with: "key7: replaced-\(run)-").utf8)
                                 .write(to: URL(fileURLWithPath: source))
                         },
                         arguments: { _ in ["replace", path, "--from", source] },
                         isNew: { run, _ in try value("key7")?.hasPrefix("replaced-\(run)-") == true })
    }

    @Test("SIGKILLs during edit's save: the old file or the edited one")
    func killDuringEdit() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        try encryptFile()
        let editor = dir.appendingPathComponent("editor.sh").path
        try Data("#!/bin/sh\nsed -i \"s/^key7: .*/key7: edited-$KSECRET_TEST_RUN/\" \"$1\"\n".utf8).write(to: URL(fileURLWithPath: editor))
        chmod(editor, 0o755)
        let tmp = dir.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        _ = try killLoop("edit", runs: Harness.count(250), extraEnv: ["EDITOR": editor, "TMPDIR": tmp.path],
                         arguments: { _ in ["edit", path] },
                         isNew: { run, _ in try value("key7") == "edited-\(run)" })
        // A SIGKILL cannot be caught: the plaintext copy of a killed edit stays in its 0700 directory
        // until the next edit removes it (Edit.swift); after the last, uninterrupted edit none is left.
        let left = try FileManager.default.contentsOfDirectory(atPath: tmp.path)
        #expect(left.isEmpty, "edit directories left by killed runs: \(left.count)")
    }
    /// The password `ksecret decrypt` reads at db.password in `file`, nil when it does not decrypt.
    func dbPassword(_ file: String) throws -> String? {
        let r = try Peers.run(Peers.ksecret!, ["decrypt", "--extract", #"["db"]["password"]"#, file], environment: env)
        return r.status == 0 ? r.text : nil
    }

    /// `db rotate` (PasswordRotation) writes the new file beside the old as `s.pending.yaml`, runs
    /// ALTER ROLE, checks a fresh login, then replaces `s.yaml`. Invariant after a SIGKILL at any
    /// moment: `s.yaml` is the complete old file or the complete new one (it decrypts; only the
    /// password differs; mode kept), and the password the server holds for the role is on disk:
    /// either `s.yaml`'s logs in, or `s.pending.yaml` exists, decrypts, and its password logs in.
    /// A new `s.yaml` always logs in (the ALTER precedes the file step). Between kills the harness
    /// sets the server back to the file's password (as `ksecret db check s.pending.yaml` and a move
    /// would) and removes the pending file, so that each run starts from a consistent state.
    @Test("SIGKILLs during db rotate: the old or the new file; the server's password is in the file or in the pending file",
          .enabled(if: PostgresCluster.available, "needs PostgreSQL's initdb and psql (make deps)"))
    func killDuringDBRotate() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let pg = try PostgresCluster.start()
        defer { pg.stop() }
        let first = "crash-\(UUID().uuidString)"
        try pg.createRole("app", password: first, database: "app")
        let source = plain + "db:\n" + FlowsWorkspace.dbYAML(port: pg.port, name: "app", user: "app", password: first)
        try Data(source.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o640)
        let encrypted = try Peers.run(Peers.ksecret!, ["encrypt", "-i", "--age", recipient, path], environment: env)
        try #require(encrypted.status == 0, "\(encrypted.stderr)")
        let pending = dir.appendingPathComponent("s.pending.yaml").path
        // The probe run marks the moment of its ALTER ROLE (ksecret-net's test pause, told to go on
        // at once); the kills aim from a little before it to a little after the run's end.
        let pause = dir.appendingPathComponent("pause")
        try FileManager.default.createDirectory(at: pause, withIntermediateDirectories: true)
        for name in ["altered", "restoring"] {
            _ = FileManager.default.createFile(atPath: pause.appendingPathComponent("\(name).continue").path, contents: Data())
        }
        let altered = pause.appendingPathComponent("altered.reached").path
        var probeStart = Date()
        var current = first
        func withoutPassword(_ text: String) -> [Substring] { text.split(separator: "\n").filter { !$0.hasPrefix("  password: ") } }
        let oldPlain = withoutPassword(try Peers.run(Peers.ksecret!, ["decrypt", path], environment: env).text)
        var serverAhead = 0, pendingLeft = 0

        let outcome = try killLoop(
            "db rotate", runs: Harness.count(250), extraEnv: ["KSECRET_NET_TEST_PAUSE_DIR": pause.path],
            prepare: { run in
                unlink(altered)
                if run == -1 { probeStart = Date() } else { current = try #require(try dbPassword(path), "run \(run): s.yaml does not decrypt") }
            },
            window: { duration in
                let alter = ((try? FileManager.default.attributesOfItem(atPath: altered)[.modificationDate]) as? Date)
                    .map { $0.timeIntervalSince(probeStart) } ?? 0
                return max(0, alter * 0.8)..<max(alter * 0.8 + 0.005, duration * 1.15)
            },
            arguments: { _ in ["db", "rotate", path] },
            isNew: { run, _ in
                // Complete and new: it decrypts (MAC checked), the password is a new 40-character
                // one, and nothing else changed.
                guard let password = try dbPassword(path), password != current, password.count == 40 else { return false }
                return withoutPassword(try Peers.run(Peers.ksecret!, ["decrypt", path], environment: env).text) == oldPlain
            },
            afterKill: { run, new in
                let filePassword = try #require(try dbPassword(path), "db rotate run \(run): s.yaml does not decrypt")
                let pendingExists = FileManager.default.fileExists(atPath: pending)
                let pendingPassword = pendingExists ? try dbPassword(pending) : nil
                if pendingExists {
                    pendingLeft += 1
                    var st = stat()
                    #expect(stat(pending, &st) == 0 && st.st_mode & 0o777 == 0o600, "db rotate run \(run): s.pending.yaml is not 0600")
                }
                if try pg.canLogIn(user: "app", password: filePassword, database: "app") {
                    // fine: the file holds the server's password
                } else {
                    #expect(!new, "db rotate run \(run): the new s.yaml holds a password the server refuses")
                    let held = try pendingPassword.map { try pg.canLogIn(user: "app", password: $0, database: "app") } ?? false
                    let why = pendingExists && pendingPassword == nil ? " (s.pending.yaml does not decrypt)" : ""
                    #expect(held, "db rotate run \(run): the server's password is neither in s.yaml nor in s.pending.yaml\(why)")
                    serverAhead += 1
                    let literal = "'" + filePassword.replacingOccurrences(of: "'", with: "''") + "'"
                    try #require(try pg.psql("ALTER ROLE app PASSWORD \(literal)").status == 0)
                }
                unlink(pending)
            })
        #expect(!FileManager.default.fileExists(atPath: pending), "the last, uninterrupted db rotate left s.pending.yaml")
        print("crash safety db rotate: \(outcome.kills) kills: \(outcome.old - serverAhead) old file and old password on the server, "
              + "\(serverAhead) old file with the new password on the server and in s.pending.yaml, \(outcome.new) new file; "
              + "s.pending.yaml left by \(pendingLeft)")
        if outcome.kills >= 100 { #expect(serverAhead > 0, "db rotate: no kill landed between the ALTER ROLE and the file step") }
    }
}
