import KSecretSystem
import KSecret

/// Progress of a bulk re-key on stderr: on a terminal a bar (files done / total, the file being
/// worked on) with failures printed above it; otherwise one plain line per finished file.
final class BulkProgress: @unchecked Sendable {
    private let terminal: Bool
    private let verb: String
    private var drawn = false
    /// The file started last: the one the bar names.
    private var current = ""

    /// `verb` names the work in the bar ("rotating").
    init(verb: String, terminal: Bool = isatty(STDERR_FILENO) == 1) {
        self.verb = verb
        self.terminal = terminal
    }

    /// Called serially by `BulkRekey.run`.
    func handle(_ event: BulkRekey.Event) {
        if terminal {
            if event.result == nil { current = event.file }
            if let result = event.result, result.status == .failed {
                write("\r\u{1B}[2Kksecret: failed \(result.file): \(result.reason ?? "error")\n")
            }
            let width = 30
            let filled = event.total == 0 ? width : width * event.done / event.total
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            var name = event.done == event.total ? "" : current
            if name.count > 50 { name = "..." + name.suffix(47) }
            write("\r\u{1B}[2K[\(bar)] \(event.done)/\(event.total) \(event.done == event.total ? "done" : verb) \(name)")
            drawn = true
        } else if let result = event.result {
            var line = "ksecret: [\(event.done)/\(event.total)] \(result.status.rawValue) \(result.file)"
            if let reason = result.reason { line += ": \(reason)" }
            write(line + "\n")
        }
    }

    /// Clears the bar.
    func finish() {
        if terminal && drawn { write("\r\u{1B}[2K") }
    }

    private func write(_ text: String) { StandardStreams.writeError(text) }

    /// The summary on stdout: counts, then the files by what happened to them. Throws (exit 1)
    /// when a file failed, after printing everything.
    static func summarize(_ results: [BulkRekey.FileResult], command: String, extra: [String] = []) throws {
        var counts: [BulkRekey.Status: Int] = [:]
        for r in results { counts[r.status, default: 0] += 1 }
        let order: [BulkRekey.Status] = [.rotated, .updated, .unchanged, .skipped, .failed]
        let parts = order.compactMap { s in counts[s].map { "\($0) \(s.rawValue)" } }
        var out = "ksecret \(command): \(results.count) encrypted file(s): \(parts.isEmpty ? "nothing to do" : parts.joined(separator: ", "))\n"
        for status in order where status != .unchanged {
            let files = results.filter { $0.status == status }
            guard !files.isEmpty else { continue }
            out += "\(status.rawValue)\(status == .rotated ? " in this run" : ""):\n"
            for r in files {
                out += "  \(r.file)\(r.reason.map { ": \($0)" } ?? "")\n"
                for line in r.added { out += "    + \(line)\n" }
                for line in r.removed { out += "    - \(line)\n" }
            }
        }
        out += extra.map { $0 + "\n" }.joined()
        StandardStreams.writeOutput(out.utf8)
        let failed = counts[.failed] ?? 0
        if failed > 0 {
            throw KSecretError(.generic, "\(failed) of \(results.count) file(s) failed and were left as they were",
                               hints: ["the failures are listed above; fix them (a missing identity: set SOPS_AGE_KEY_FILE) and run the command again"])
        }
    }
}
