import CGPGME
import KSecretSystem

/// Runs GnuPG's gpgconf (the one GPGME found, `gpgme_get_dirinfo("gpgconf-name")`) for a home.
struct GnuPGConf {
    var homeDirectory: String?

    /// Its standard output, or nil when it cannot be run or fails.
    func run(_ arguments: [String]) -> String? {
        guard (try? GPGMELibrary.ready()) != nil,
              let gpgconf = gpgme_get_dirinfo("gpgconf-name").map({ String(cString: $0) }) else { return nil }
        let arguments = (homeDirectory.map { ["--homedir", $0] } ?? []) + arguments
        guard let result = try? ChildProcess.run(gpgconf, arguments, stderr: .null), result.succeeded else { return nil }
        return result.stdoutText
    }

    /// The gpg-agent socket of the home (`gpgconf --list-dirs agent-socket`), or nil.
    func agentSocket() -> String? {
        guard let output = run(["--list-dirs", "agent-socket"]) else { return nil }
        // gpgconf percent-escapes special characters in paths (":" as %3a).
        let line = output.trimmingWhitespace()
        return line.isEmpty ? nil : (line.removingPercentEscapes() ?? line)
    }
}
