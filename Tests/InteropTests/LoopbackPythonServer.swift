import Foundation
import Testing

/// A python3 script serving HTTP on 127.0.0.1 for a test: it binds port 0 and prints the port it
/// got on its first line. The test's stand-ins and file servers are built on it.
final class LoopbackPythonServer {
    let process = Process()
    let port: Int

    /// Writes `script` as `name` into `dir` and runs it with `arguments`.
    init(script: String, name: String, arguments: [String], in dir: URL) throws {
        let scriptURL = dir.appendingPathComponent(name)
        try Data(script.utf8).write(to: scriptURL)
        process.executableURL = URL(fileURLWithPath: try #require(Peers.find("python3")))
        process.arguments = [scriptURL.path] + arguments
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        port = try #require(Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)), "\(name) did not start")
    }

    deinit { stop() }

    /// SIGKILL, not `terminate()`: the servers have nothing to clean up, and a SIGTERM could arrive
    /// blocked (the mask of the test thread that spawned it is inherited), which left servers
    /// running after the test run.
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
