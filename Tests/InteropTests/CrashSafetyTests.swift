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
    func killLoop(_ name: String, runs: Int, extraEnv: [String: String] = [:], prepare: (Int) throws -> Void = { _ in },
                  arguments: (Int) -> [String], isNew: (Int, [UInt8]) throws -> Bool) throws -> Outcome {
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

        var outcome = Outcome()
        for run in 0..<runs {
            try prepare(run)
            let before = try bytes()
            let process = try start(run)
            usleep(UInt32.random(in: 0..<UInt32(duration * 1.3 * 1_000_000)))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            outcome.kills += 1
            let now = try bytes()
            var st = stat()
            stat(path, &st)
            #expect(st.st_mode & 0o777 == 0o640, "\(name) run \(run): mode changed to \(String(st.st_mode & 0o777, radix: 8))")
            if now == before { outcome.old += 1 } else if try isNew(run, now) { outcome.new += 1 } else {
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
        _ = try killLoop("updatekeys -y", runs: Harness.count(250), arguments: { ["updatekeys", "-y", "--config", config($0), path] },
                         isNew: { run, now in
                             let recipients = String(decoding: now, as: UTF8.self).components(separatedBy: "recipient: age1").count - 1
                             return try recipients == (abs(run) % 2 == 1 ? 2 : 1) && decrypts(to: plain)
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
}
