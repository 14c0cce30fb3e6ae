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
        let result = Result(status: out.status, stdout: out.stdout, stderr: out.stderr)
        if executable == ksecret { LeakCheck.inspect(arguments, result) }
        return result
    }

    /// `encryptor encrypt --age recipient plain`, its output saved as `dir/saved`, then
    /// `decryptor decrypt` of that file: the decrypted bytes. Either step failing fails the test
    /// with its standard error and `context`.
    static func encryptThenDecrypt(_ plain: URL, recipient: String, with encryptor: String, then decryptor: String,
                                   saved: String, environment: [String: String], in dir: URL, context: String,
                                   sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> [UInt8] {
        let enc = try run(encryptor, ["encrypt", "--age", recipient, plain.path], environment: environment, directory: dir)
        try #require(enc.status == 0, "\(context): \(name(encryptor)) encrypt: \(enc.stderr)", sourceLocation: sourceLocation)
        let path = dir.appendingPathComponent(saved)
        try Data(enc.stdout).write(to: path)
        let dec = try run(decryptor, ["decrypt", path.path], environment: environment, directory: dir)
        try #require(dec.status == 0, "\(context): \(name(decryptor)) decrypt of \(name(encryptor))'s file: \(dec.stderr)",
                     sourceLocation: sourceLocation)
        return dec.stdout
    }

    private static func name(_ executable: String) -> String { executable == ksecret ? "ksecret" : "sops" }

    /// Two scratch directories of `ksecret-<kind>-<pid>-…` in `tmp`, each holding `file` with
    /// `content`: one named after a pid no process has (a ksecret killed with SIGKILL), one after
    /// this test process (a ksecret still running).
    static func abandonedAndLiveScratch(kind: String, in tmp: URL, file: String, content: String) throws -> (abandoned: URL, live: URL) {
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        var dead: pid_t = 4_000_000
        while kill(dead, 0) == 0 || errno != ESRCH { dead -= 1 }
        let abandoned = tmp.appendingPathComponent("ksecret-\(kind)-\(dead)-AbCdEf"), live = tmp.appendingPathComponent("ksecret-\(kind)-\(getpid())-GhIjKl")
        for d in [abandoned, live] {
            try FileManager.default.createDirectory(at: d, withIntermediateDirectories: true)
            try Data(content.utf8).write(to: d.appendingPathComponent(file))
        }
        return (abandoned, live)
    }

    /// A fresh directory, removed by the caller.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ksecret-interop-" + UUID().uuidString)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}

/// Watches everything ksecret prints across the suites' CLI runs (every `Peers.run` of the built
/// binary) for the secret values the tests use: none may appear in standard error (errors, hints,
/// warnings) of any run, nor in standard output of a command that never prints plaintext. A hit is
/// recorded as an issue of the test that made the run, naming the command, not the value.
enum LeakCheck {
    /// The suites' secret values: the demo chart's passwords, and the plaintexts tests write
    /// (`hunter2`, anything containing `s3cr3t`, ...). A test adds its own with `mark`.
    nonisolated(unsafe) private static var marked: Set<String> = [
        "hunter2", "hunter3", "s3cr3t", "listsecret-value", "p@ss:w/rd?#[]%+ &= ", "0123456789abcdef0123456789abcdef",
    ]
    private static let lock = NSLock()

    /// Subcommands whose standard output never holds plaintext.
    static let ciphertextOnly: Set<String> = ["encrypt", "set", "unset", "replace", "rotate", "updatekeys", "filestatus", "keygen", "audit"]

    static func mark(_ secret: String) { lock.withLock { _ = marked.insert(secret) } }

    /// The marked secrets found where they must not be, as "stderr"/"stdout" (the value is not repeated).
    static func leaks(_ arguments: [String], _ result: Peers.Result) -> [String] {
        let secrets = lock.withLock { marked }
        var found: [String] = []
        if secrets.contains(where: result.stderr.contains) { found.append("stderr") }
        if let command = arguments.first, ciphertextOnly.contains(command), secrets.contains(where: result.text.contains) {
            // `encrypt` may print values the rules leave in clear: only the marked ones count, and
            // none of them is ever under a clear-text key in these suites.
            found.append("stdout")
        }
        return found
    }

    static func inspect(_ arguments: [String], _ result: Peers.Result) {
        for stream in leaks(arguments, result) {
            Issue.record("ksecret \(arguments.prefix(2).joined(separator: " ")) printed a marked secret value on \(stream)")
        }
    }
}
