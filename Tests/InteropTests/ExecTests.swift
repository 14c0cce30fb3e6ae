import Foundation
import Testing

/// `exec-env` and `exec-file`: the child sees the plaintext, its exit status is returned, and the
/// plaintext goes through a FIFO (or a 0600 file) in a 0700 directory that is gone afterwards.
@Suite("exec-env and exec-file", .enabled(if: Peers.ksecret != nil, "needs a built ksecret (swift build)"))
struct ExecTests {
    func setUp(_ name: String, _ text: String) throws -> (dir: URL, file: String, env: [String: String]) {
        let dir = try Peers.temporaryDirectory()
        let key = dir.appendingPathComponent("k.txt").path
        let recipient = try Peers.run(Peers.ksecret!, ["keygen", "-o", key]).stderr
            .replacingOccurrences(of: "Public key: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        let file = dir.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: file))
        #expect(try Peers.run(Peers.ksecret!, ["encrypt", "-i", "--age", recipient, file], environment: ["SOPS_AGE_KEY_FILE": key]).status == 0)
        return (dir, file, ["SOPS_AGE_KEY_FILE": key])
    }

    /// The first line `path` gets (without its line break), waiting up to 5 s for the command to write it.
    func firstLine(of path: String) -> String? {
        for _ in 0..<200 {
            if let text = try? String(contentsOfFile: path, encoding: .utf8), text.hasSuffix("\n") {
                return text.trimmingCharacters(in: .whitespacesAndNewlines)
            }
            usleep(25_000)
        }
        return nil
    }

    @Test("exec-env passes top-level values and returns the command's status; nested values are refused")
    func execEnv() throws {
        let (dir, file, env) = try setUp("s.env", "DB_PASSWORD=hunter2\nPORT=5432\n")
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Peers.run(Peers.ksecret!, ["exec-env", file, #"echo "$DB_PASSWORD:$PORT"; exit 7"#], environment: env)
        #expect(r.status == 7)
        #expect(r.text == "hunter2:5432\n")
        let pristine = try Peers.run(Peers.ksecret!, ["exec-env", "--pristine", file, #"echo "[$HOME]""#], environment: env)
        #expect(pristine.text == "[]\n")
        let (dir2, nested, env2) = try setUp("n.yaml", "a:\n  b: c\n")
        defer { try? FileManager.default.removeItem(at: dir2) }
        let refused = try Peers.run(Peers.ksecret!, ["exec-env", nested, "true"], environment: env2)
        #expect(refused.status == 4 && refused.stderr.contains("nested"))
    }

    @Test("exec-file hands the plaintext through a FIFO, or a 0600 file with --no-fifo, and leaves nothing behind")
    func execFile() throws {
        let (dir, file, env) = try setUp("n.yaml", "a:\n  b: secret\n")
        defer { try? FileManager.default.removeItem(at: dir) }
        let fifo = try Peers.run(Peers.ksecret!, ["exec-file", file, #"stat -c '%F %a' {}; stat -c %a "$(dirname {})"; cat {}; echo {} > "#
                                                  + dir.appendingPathComponent("path").path], environment: env)
        #expect(fifo.status == 0)
        #expect(fifo.text == "fifo 600\n700\na:\n  b: secret\n")
        let used = try String(contentsOf: dir.appendingPathComponent("path"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(!FileManager.default.fileExists(atPath: used))
        #expect(!FileManager.default.fileExists(atPath: (used as NSString).deletingLastPathComponent))
        let plain = try Peers.run(Peers.ksecret!, ["exec-file", "--no-fifo", file, "stat -c '%F %a' {}; cat {}; exit 5"], environment: env)
        #expect(plain.status == 5)
        #expect(plain.text == "regular file 600\na:\n  b: secret\n")
        let unread = try Peers.run(Peers.ksecret!, ["exec-file", file, "true"], environment: env)
        #expect(unread.status == 0)
    }

    @Test("exec-file and exec-env start the command with SIGPIPE at its default even when ksecret inherited it ignored; a command that stops reading the FIFO early does not kill ksecret; a value too large for an environment is named")
    func childSignals() throws {
        // Large enough that the writer is still writing when `head` closes its end.
        let big = "a: " + String(repeating: "x", count: 1 << 20) + "\n"
        let (dir, file, env) = try setUp("big.yaml", big)
        defer { try? FileManager.default.removeItem(at: dir) }
        let (smallDir, small, _) = try setUp("small.env", "A=1\n")
        defer { try? FileManager.default.removeItem(at: smallDir) }
        let smallEnv = ["SOPS_AGE_KEY_FILE": smallDir.appendingPathComponent("k.txt").path]
        let ignoredMask = "sed -n 's/^SigIgn:[[:space:]]*//p' /proc/self/status"
        for (command, env) in [(["exec-file", file, "head -c 3 {}; echo; " + ignoredMask], env), (["exec-env", small, ignoredMask], smallEnv)] {
            // ksecret itself starts with SIGPIPE ignored, as under some CI runners and service
            // managers (ignored dispositions survive exec); the command must still get the default.
            let r = try Peers.run("/bin/sh", ["-c", #"trap '' PIPE; exec "$0" "$@""#, Peers.ksecret!] + command, environment: env)
            #expect(r.status == 0, "\(command[0]): \(r.stderr)")
            let mask = try #require(UInt64(r.text.split(separator: "\n").last ?? "", radix: 16), "\(command[0]): \(r.text.suffix(200))")
            #expect(mask & (1 << (UInt64(SIGPIPE) - 1)) == 0, "\(command[0]): the command inherited SIGPIPE ignored (SigIgn \(String(mask, radix: 16)))")
        }
        // A value Linux cannot put in an environment is named, not shown, and exec-file is suggested.
        let tooBig = try Peers.run(Peers.ksecret!, ["exec-env", file, "true"], environment: env)
        #expect(tooBig.status == 1)
        #expect(tooBig.stderr.contains("the variable a is over 128 KiB") && tooBig.stderr.contains("exec-file"), "\(tooBig.stderr)")
        #expect(!tooBig.stderr.contains("xxxx"))
    }

    @Test("exec-file: SIGTERM, SIGINT or SIGHUP to ksecret goes to the command, and the plaintext file and its directory are removed once it ends",
          arguments: [SIGTERM, SIGINT, SIGHUP])
    func execFileSignal(signal: Int32) throws {
        let (dir, file, env) = try setUp("s.yaml", "a: secret\n")
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("log").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Peers.ksecret!)
        // The command records the path and its own pid, then waits; `exec` makes the shell the sleeper.
        process.arguments = ["exec-file", "--no-fifo", file, "echo {} $$ > \(log); exec sleep 30"]
        process.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        try process.run()
        let fields = firstLine(of: log)?.split(separator: " ").map(String.init) ?? []
        try #require(fields.count == 2, "the command did not start")
        let (path, child) = (fields[0], try #require(pid_t(fields[1])))
        #expect(FileManager.default.fileExists(atPath: path))
        kill(process.processIdentifier, signal)
        process.waitUntilExit()
        // The command ended by the same signal, and ksecret reports it as a shell would.
        #expect(process.terminationReason == .exit && process.terminationStatus == 128 + signal, "ksecret ended with \(process.terminationReason == .exit ? "exit" : "signal") \(process.terminationStatus)")
        #expect(kill(child, 0) != 0)
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(!FileManager.default.fileExists(atPath: (path as NSString).deletingLastPathComponent))
    }

    @Test("exec-env: the command takes ksecret's pid, so SIGTERM, SIGINT or SIGHUP sent to ksecret reaches it and its exit status is ksecret's",
          arguments: [SIGTERM, SIGINT, SIGHUP])
    func execEnvSignal(signal: Int32) throws {
        let (dir, file, env) = try setUp("s.env", "A=1\n")
        defer { try? FileManager.default.removeItem(at: dir) }
        let log = dir.appendingPathComponent("log").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Peers.ksecret!)
        // The shell records its pid once its trap is set, then waits in short sleeps (a trap runs
        // between commands); the trap's status tells that the command, not ksecret, got the signal.
        process.arguments = ["exec-env", file, "trap 'exit 42' \(signal); echo $$ > \(log); while :; do sleep 0.05; done"]
        process.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
        try process.run()
        let pid = try #require(firstLine(of: log).flatMap { pid_t($0) }, "the command did not start")
        #expect(pid == process.processIdentifier, "the command runs as pid \(pid), ksecret as \(process.processIdentifier)")
        kill(process.processIdentifier, signal)
        // A ksecret that does not pass the signal on (it may have inherited it blocked) would keep
        // waiting for the shell: give it ten seconds, then end both and say so.
        for _ in 0..<400 where process.isRunning { usleep(25_000) }
        if process.isRunning {
            kill(pid, SIGKILL)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            Issue.record("the command did not end within 10 s of the signal to ksecret")
            return
        }
        #expect(process.terminationReason == .exit && process.terminationStatus == 42,
                "ended with \(process.terminationReason == .exit ? "exit" : "signal") \(process.terminationStatus)")
        // Whatever happened, leave no shell behind.
        if pid != process.processIdentifier { kill(pid, SIGKILL) }
    }

    @Test("exec-file: the directory of an exec-file killed with SIGKILL is removed by the next run, a running one's is kept")
    func execFileRemovesAbandoned() throws {
        let (dir, file, env) = try setUp("s.yaml", "a: secret\n")
        defer { try? FileManager.default.removeItem(at: dir) }
        let tmp = dir.appendingPathComponent("tmp")
        let (abandoned, live) = try Peers.abandonedAndLiveScratch(kind: "exec", in: tmp, file: "s.yaml", content: "a: left-behind\n")
        let r = try Peers.run(Peers.ksecret!, ["exec-file", "--no-fifo", file, "true"], environment: env.merging(["TMPDIR": tmp.path]) { $1 })
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: abandoned.path))
        #expect(FileManager.default.fileExists(atPath: live.appendingPathComponent("s.yaml").path))
        let escape = try Peers.run(Peers.ksecret!, ["exec-file", "--filename", "../x", file, "true"], environment: env)
        #expect(escape.status != 0 && escape.stderr.contains("--filename takes a file name"))
    }
}
