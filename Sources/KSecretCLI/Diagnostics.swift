import ArgumentParser
import Foundation
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
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        return ExitCode(error.code.rawValue)
    }

    public static func warn(_ message: String) {
        FileHandle.standardError.write(Data("ksecret: warning: \(message)\n".utf8))
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
