import Foundation
import Testing

/// A temporary directory with an age identity, for the credential-flow suites: writes encrypted
/// secrets files and runs `ksecret` (which hands `db` and `ddns` to ksecret-net) with that identity.
struct FlowsWorkspace {
    let dir: URL
    let keyFile: String
    let recipient: String

    static func make() throws -> FlowsWorkspace {
        let dir = try Peers.temporaryDirectory()
        let keyFile = dir.appendingPathComponent("age.txt").path
        let r = try Peers.run(Peers.ksecret!, ["keygen", "-o", keyFile])
        try #require(r.status == 0, "\(r.stderr)")
        let recipient = r.stderr.replacingOccurrences(of: "Public key: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        return FlowsWorkspace(dir: dir, keyFile: keyFile, recipient: recipient)
    }

    func remove() { try? FileManager.default.removeItem(at: dir) }

    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// Writes `yaml` as `name` and encrypts it in place for this workspace's recipient.
    @discardableResult
    func encrypted(_ name: String, yaml: String) throws -> String {
        let file = path(name)
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: file))
        let r = try ksecret(["encrypt", "-i", "--age", recipient, file])
        try #require(r.status == 0, "\(r.stderr)")
        return file
    }

    /// The `db:` section of a secrets file, every value a YAML double-quoted string.
    static func dbYAML(host: String = "127.0.0.1", port: Int, name: String, user: String, password: String, sslmode: String = "disable",
                       indent: String = "  ") -> String {
        [("host", host), ("port", String(port)), ("name", name), ("user", user), ("password", password), ("sslmode", sslmode)]
            .map { "\(indent)\($0.0): \($0.0 == "port" ? $0.1 : quoted($0.1))\n" }.joined()
    }

    /// A YAML double-quoted scalar.
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }

    @discardableResult
    func ksecret(_ arguments: [String], environment: [String: String] = [:]) throws -> Peers.Result {
        var env = ["SOPS_AGE_KEY_FILE": keyFile]
        for (k, v) in environment { env[k] = v }
        return try Peers.run(Peers.ksecret!, arguments, environment: env, directory: dir)
    }
}

/// A ksecret run in the background (for tests that act while it runs), its output in files.
final class BackgroundRun {
    let process = Process()
    private let out: URL, err: URL

    init(_ workspace: FlowsWorkspace, _ arguments: [String], environment: [String: String] = [:]) throws {
        out = workspace.dir.appendingPathComponent("bg-\(UUID().uuidString).out")
        err = workspace.dir.appendingPathComponent("bg-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: out.path, contents: nil)
        _ = FileManager.default.createFile(atPath: err.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: Peers.ksecret!)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["SOPS_AGE_KEY_FILE"] = workspace.keyFile
        for (k, v) in environment { env[k] = v }
        process.environment = env
        process.currentDirectoryURL = workspace.dir
        process.standardOutput = try FileHandle(forWritingTo: out)
        process.standardError = try FileHandle(forWritingTo: err)
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    /// Waits for the process (at most `timeout` seconds, then kills it) and returns what it printed.
    func finish(timeout: Double = 90) -> Peers.Result {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        let stdout = (try? Data(contentsOf: out)) ?? Data()
        let stderr = (try? Data(contentsOf: err)) ?? Data()
        return Peers.Result(status: process.terminationStatus, stdout: [UInt8](stdout), stderr: String(decoding: stderr, as: UTF8.self))
    }
}

/// The other side of ksecret-net's test pause (KSECRET_NET_TEST_PAUSE_DIR): wait until a
/// checkpoint is reached, act, let the run go on.
struct PausePoints {
    let dir: URL
    var environment: [String: String] { ["KSECRET_NET_TEST_PAUSE_DIR": dir.path] }

    init(in workspace: FlowsWorkspace) throws {
        dir = workspace.dir.appendingPathComponent("pause")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    /// True when `name` was reached within `timeout` seconds (false if the run ended first).
    func waitFor(_ name: String, run: BackgroundRun, timeout: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if FileManager.default.fileExists(atPath: dir.appendingPathComponent("\(name).reached").path) { return true }
            if !run.process.isRunning { return false }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    func resume(_ name: String) {
        _ = FileManager.default.createFile(atPath: dir.appendingPathComponent("\(name).continue").path, contents: Data())
    }
}

/// A loopback port where nothing listens, held for the test's duration: bound but never
/// listening, so connections to it are refused and no other test's server can take it meanwhile.
final class ClosedPort {
    let port: Int
    private let fd: Int32

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        if !bound { close(fd) }
        try #require(bound)
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    deinit { close(fd) }
}
