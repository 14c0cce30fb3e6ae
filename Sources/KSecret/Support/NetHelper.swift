import KSecretSystem

/// Where the `ksecret-net` executable is: ksecret runs it for everything that talks to a server
/// (Vault transit keys, `db`, `ddns`), so that ksecret itself links no HTTP or PostgreSQL client.
public enum NetHelper {
    public static let name = "ksecret-net"

    /// `$KSECRET_NET`, else `ksecret-net` beside the running executable (`/proc/self/exe`), else on PATH.
    public static func path(environment: KSecretEnvironment) -> String? {
        if let explicit = environment["KSECRET_NET"] { return explicit }
        if let exe = ExecutablePath.current() {
            let candidate = PathName.deletingLastComponent(exe) + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        for dir in (environment["PATH"] ?? "").split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
            return "\(dir)/\(name)"
        }
        return nil
    }

    /// What a run of the helper gave back.
    public struct Outcome {
        public var status: Int32
        public var output: [UInt8]
        /// Its standard error: the first line that is not a hint, and the `hint:` lines.
        public var message: String?
        public var hints: [String]
    }

    /// Runs the helper with `input` on its standard input (secrets and URLs with credentials go
    /// there, never into its arguments); nil when the helper is not installed.
    public static func run(_ arguments: [String], input: [UInt8], environment: KSecretEnvironment) throws -> Outcome? {
        guard let helper = path(environment: environment) else { return nil }
        let result: ChildProcess.Result
        do {
            result = try ChildProcess.run(helper, arguments, environment: environment.variables, stdin: .bytes(input))
        } catch {
            throw KSecretError(.generic, "cannot run \(helper)", cause: error)
        }
        let lines = result.stderrText.split(separator: "\n").map(String.init)
        return Outcome(status: result.status, output: result.stdout,
                       message: lines.first { !$0.hasPrefix("hint: ") },
                       hints: lines.filter { $0.hasPrefix("hint: ") }.map { String($0.dropFirst(6)) })
    }
}
