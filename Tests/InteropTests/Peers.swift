import Foundation
import KSecretTestSupport
import Testing

/// Runs real programs (the built ksecret, sops, age) for the interop suites.
enum Peers {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static var shared: URL {
        if let dir = ProcessInfo.processInfo.environment["KSECRET_SHARED_DIR"] { return URL(fileURLWithPath: dir) }
        return repoRoot.deletingLastPathComponent().appendingPathComponent("shared")
    }

    /// The ksecret binary under test: `$KSECRET_BIN`, else the debug build of this checkout.
    static var ksecret: String? {
        if let bin = ProcessInfo.processInfo.environment["KSECRET_BIN"] { return bin }
        for config in ["debug", "release"] {
            let path = repoRoot.appendingPathComponent(".build/\(config)/ksecret").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    /// A program on PATH or in the project's `.tools/bin`.
    static func find(_ name: String) -> String? {
        var dirs = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        if let tools = ProcessInfo.processInfo.environment["KSECRET_TOOLS"] { dirs.insert(tools + "/bin", at: 0) }
        dirs.append(repoRoot.appendingPathComponent(".tools/bin").path)
        for dir in dirs where FileManager.default.isExecutableFile(atPath: dir + "/" + name) { return dir + "/" + name }
        return nil
    }

    static var sops: String? { find("sops") }
    static var age: String? { find("age") }

    struct Result {
        var status: Int32
        var stdout: [UInt8]
        var stderr: String
        var text: String { String(decoding: stdout, as: UTF8.self) }
    }

    @discardableResult
    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:], stdin: [UInt8]? = nil,
                    directory: URL? = nil) throws -> Result {
        var env = ProcessInfo.processInfo.environment
        // Never the user's keys: every run gets only what the test gives it.
        for key in ["SOPS_AGE_KEY", "SOPS_AGE_KEY_FILE", "SOPS_AGE_KEY_CMD", "SOPS_AGE_SSH_PRIVATE_KEY_FILE", "SOPS_AGE_RECIPIENTS", "SOPS_PGP_FP", "SOPS_CONFIG"] { env[key] = nil }
        env["SOPS_DISABLE_VERSION_CHECK"] = "1"
        env["XDG_CONFIG_HOME"] = "/nonexistent-ksecret-test"
        for (k, v) in environment { env[k] = v }
        let out = try ChildProcess.run(executable, arguments, environment: env, stdin: stdin, directory: directory)
        return Result(status: out.status, stdout: out.stdout, stderr: out.stderr)
    }

    /// A fresh directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ksecret-interop-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
