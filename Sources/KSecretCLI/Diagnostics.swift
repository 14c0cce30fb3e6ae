import ArgumentParser
import KSecretSystem
import KSecret

/// Message policy: `ksecret: error: <where>: <what>` then `ksecret: hint: <how>` lines, on stderr,
/// lowercase, never a secret value; the exit code is sops's code for that failure (Documentation/ExitCodes.md).
public enum Diagnostics {
    public static func report(_ error: KSecretError) -> ExitCode {
        var lines = ["ksecret: error: \(error.description)"]
        if let snippet = error.location?.snippet {
            lines.append(contentsOf: snippet.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 })
        }
        lines.append(contentsOf: error.hints.map { "ksecret: hint: \($0)" })
        if ProcessInfo.processInfo.environment["KSECRET_VERBOSE"] != nil, let cause = error.cause {
            lines.append("ksecret: cause: \(cause)")
        }
        StandardStreams.writeError((lines.joined(separator: "\n") + "\n"))
        return ExitCode(error.code.rawValue)
    }

    /// The exit status of a command run outside swift-argument-parser (the fast paths): a
    /// KSecretError as `report` gives it, any other error printed as swift-argument-parser would, status 1.
    public static func status(of error: any Error) -> Int32 {
        if let error = error as? KSecretError { return report(error).rawValue }
        if let code = error as? ExitCode { return code.rawValue }
        StandardStreams.writeError("ksecret: error: \(error)\n")
        return 1
    }

    public static func warn(_ message: String) {
        StandardStreams.writeError("ksecret: warning: \(message)\n")
    }

    /// Runs a command body, turning a KSecretError into its message and exit code.
    public static func run(_ body: () throws -> Void) throws {
        do {
            try body()
        } catch let error as KSecretError {
            throw report(error)
        }
    }
}
