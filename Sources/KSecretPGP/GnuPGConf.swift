import CGPGME
import Foundation

/// Runs GnuPG's gpgconf (the one GPGME found, `gpgme_get_dirinfo("gpgconf-name")`) for a home.
struct GnuPGConf {
    var homeDirectory: String?

    /// Its standard output, or nil when it cannot be run or fails.
    func run(_ arguments: [String]) -> String? {
        guard (try? GPGMELibrary.ready()) != nil,
              let gpgconf = gpgme_get_dirinfo("gpgconf-name").map({ String(cString: $0) }) else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: gpgconf)
        process.arguments = (homeDirectory.map { ["--homedir", $0] } ?? []) + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return process.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }

    /// The gpg-agent socket of the home (`gpgconf --list-dirs agent-socket`), or nil.
    func agentSocket() -> String? {
        guard let output = run(["--list-dirs", "agent-socket"]) else { return nil }
        // gpgconf percent-escapes special characters in paths (":" as %3a).
        let line = output.trimmingCharacters(in: .whitespacesAndNewlines)
        return line.isEmpty ? nil : (line.removingPercentEncoding ?? line)
    }
}
