import Foundation
import Testing

/// Kills ksecret with SIGKILL at random moments of in-place writes (`set`, `encrypt -i`): the file
/// must always be the complete old version or the complete new one, readable, with its mode kept,
/// and temp files of killed runs must not accumulate (the next write removes them).
@Suite("crash safety of in-place writes", .enabled(if: Peers.ksecret != nil, "needs a built ksecret (swift build)"))
struct CrashSafetyTests {
    @Test("1,000 SIGKILLs during set -i: the old or the new file, never a torn one")
    func killDuringSet() throws {
        let dir = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let keyFile = dir.appendingPathComponent("keys.txt").path
        let gen = try Peers.run(Peers.ksecret!, ["keygen", "-o", keyFile])
        let recipient = gen.stderr.replacingOccurrences(of: "Public key: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        let env = ["SOPS_AGE_KEY_FILE": keyFile]
        // A file large enough that the write takes a moment.
        var plain = "# crash test\n"
        for i in 0..<400 { plain += "key\(i): value-\(i)-" + String(repeating: "x", count: 40) + "\n" }
        let path = dir.appendingPathComponent("s.yaml").path
        try Data(plain.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o640)
        #expect(try Peers.run(Peers.ksecret!, ["encrypt", "-i", "--age", recipient, path], environment: env).status == 0)

        // Kill within 0 to 1.5x the time a whole `set` takes here (at least 45 ms): on a loaded
        // machine a debug build may need longer than a fixed window, and then no kill lands after
        // the write.
        var longest = 0.045
        for i in 0..<3 {
            let start = Date()
            #expect(try Peers.run(Peers.ksecret!, ["set", path, #"["key9"]"#, "\"timing-\(i)\""], environment: env).status == 0)
            longest = max(longest, Date().timeIntervalSince(start) * 1.5)
        }
        let window = UInt32(longest * 1_000_000)
        var previous = try Data(contentsOf: URL(fileURLWithPath: path))

        var newVersions = 0, oldVersions = 0
        let runs = 1_000
        for run in 0..<runs {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: Peers.ksecret!)
            process.arguments = ["set", path, #"["key7"]"#, "\"changed-\(run)\""]
            var e = ProcessInfo.processInfo.environment
            e["SOPS_AGE_KEY_FILE"] = keyFile
            process.environment = e
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 0..<window))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let now = try Data(contentsOf: URL(fileURLWithPath: path))
            var st = stat()
            stat(path, &st)
            #expect(st.st_mode & 0o777 == 0o640, "run \(run): mode changed")
            let dec = try Peers.run(Peers.ksecret!, ["decrypt", "--extract", #"["key7"]"#, path], environment: env)
            #expect(dec.status == 0, "run \(run): the file is not readable after a kill: \(dec.stderr)")
            if now == previous { oldVersions += 1 } else if dec.text == "changed-\(run)" { newVersions += 1 } else {
                Issue.record("run \(run): neither the old nor the new version")
            }
            previous = now
        }
        // The next write removes what killed runs left.
        #expect(try Peers.run(Peers.ksecret!, ["set", path, #"["key8"]"#, "\"final\""], environment: env).status == 0)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.contains(".ksecret-") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        print("crash safety: \(runs) kills, \(oldVersions) left the old file, \(newVersions) the new one")
        // The kill times must straddle the write, or the test proved nothing.
        #expect(oldVersions > 0 && newVersions > 0)
    }
}
