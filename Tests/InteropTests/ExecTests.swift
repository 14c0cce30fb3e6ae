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

    @Test("exec-file and exec-env start the command with SIGPIPE at its default; a command that stops reading the FIFO early does not kill ksecret; a value too large for an environment is named")
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
            let r = try Peers.run(Peers.ksecret!, command, environment: env)
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
}
