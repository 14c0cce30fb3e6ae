import Testing
import KSecretSystem

@Suite("running a child process")
struct ChildProcessTests {
    @Test("standard output and error come back apart, with the exit status")
    func captures() throws {
        let result = try ChildProcess.run("/bin/sh", ["-c", "printf out; printf err >&2; exit 3"])
        #expect(result.stdoutText == "out")
        #expect(result.stderrText == "err")
        #expect(result.status == 3)
        #expect(!result.succeeded)
    }

    @Test("a child that fills both pipes (1 MB each) does not deadlock")
    func bothPipesFull() throws {
        let result = try ChildProcess.run("/bin/sh", ["-c", "head -c 1000000 /dev/zero; head -c 1000000 /dev/zero >&2; head -c 5 /dev/zero"])
        #expect(result.stdout.count == 1_000_005)
        #expect(result.stderr.count == 1_000_000)
        #expect(result.succeeded)
    }

    @Test("standard input bytes (2 MB) reach the child while its output is read")
    func input() throws {
        var bytes = [UInt8](repeating: 0, count: 2_000_000)
        for i in bytes.indices { bytes[i] = UInt8(truncatingIfNeeded: i &* 31) }
        let result = try ChildProcess.run("/bin/cat", [], stdin: .bytes(bytes))
        #expect(result.stdout == bytes)
    }

    @Test("a child that exits without reading its input does not kill the parent with SIGPIPE")
    func unreadInput() throws {
        let result = try ChildProcess.run("/bin/sh", ["-c", "exit 7"], stdin: .bytes([UInt8](repeating: 65, count: 1_000_000)))
        #expect(result.status == 7)
    }

    @Test("a child ended by a signal reports 128 plus the signal, as a shell does")
    func signalled() throws {
        let result = try ChildProcess.run("/bin/sh", ["-c", "kill -TERM $$"])
        #expect(result.status == 128 + SIGTERM)
    }

    @Test("a program that does not exist is an error naming it, not a status")
    func missing() {
        #expect {
            try ChildProcess.run("/nonexistent/program", [])
        } throws: { error in
            let failure = error as? SystemCallError
            return failure?.code == ENOENT && failure!.description.contains("/nonexistent/program")
        }
    }

    @Test("the environment given replaces ksecret's own")
    func environment() throws {
        let result = try ChildProcess.run("/usr/bin/env", [], environment: ["ONLY": "this"])
        #expect(result.stdoutText == "ONLY=this\n")
    }

    @Test("output sent to /dev/null is not captured; stdin from /dev/null reads empty")
    func nullStreams() throws {
        let result = try ChildProcess.run("/bin/sh", ["-c", "cat; echo gone; echo kept >&2"], stdout: .null)
        #expect(result.stdout.isEmpty)
        #expect(result.stderrText == "kept\n")
    }

    @Test("the child starts with SIGPIPE at its default and nothing blocked, even when the parent ignores it")
    func signalsReset() throws {
        let previous = signal(SIGPIPE, SIG_IGN)
        defer { signal(SIGPIPE, previous) }
        let status = try ChildProcess.run("/bin/cat", ["/proc/self/status"]).stdoutText
        func mask(_ field: String) -> UInt64? {
            status.split(separator: "\n").first { $0.hasPrefix(field + ":") }
                .flatMap { UInt64($0.dropFirst(field.count + 1).trimmingWhitespace(), radix: 16) }
        }
        let pipeBit: UInt64 = 1 << (UInt64(SIGPIPE) - 1)
        #expect(mask("SigIgn").map { $0 & pipeBit } == 0)
        #expect(mask("SigBlk") == 0)
    }
}
