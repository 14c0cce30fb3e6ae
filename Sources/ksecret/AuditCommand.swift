import ArgumentParser
import Foundation
import KSecret

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Report a repository's secrets files, who can open them, and what is wrong; no value is printed.",
        discussion: HelpText.reflow("""
        Exit status 1 when a finding at or above --fail-on exists, so CI can gate on it.
        Example:
          ksecret audit                       # the repository around the current directory
          ksecret audit --json > audit.json   # stable schema "ksecret-audit/1"
          ksecret audit --sarif > audit.sarif # for code-scanning tools
          ksecret audit --verify --fail-on medium
        """))

    @Argument(help: "Directories to audit (default: the current one).") var paths: [String] = []
    @Flag(help: "Print the report as JSON.") var json = false
    @Flag(help: "Print the report as SARIF 2.1.0.") var sarif = false
    @Flag(help: "Decrypt each file whose key is at hand and check its MAC (no value is printed).") var verify = false
    @Option(name: .customLong("max-age"), help: "Days after which a data key is old (default 90).") var maxAge = 90
    @Option(name: .customLong("fail-on"), help: "high, medium, low or none (default high).") var failOn = "high"
    @Option(name: .customLong("allow-keys"), help: "A path prefix where private keys may be committed (repeatable; also git config ksecret.allowedKeyPath).")
    var allowKeys: [String] = []

    func run() throws {
        try Diagnostics.run {
            let threshold: Audit.Severity?
            switch failOn.lowercased() {
            case "none": threshold = nil
            case let s: guard let sev = Audit.Severity(rawValue: s) else {
                throw KSecretError(.generic, "unknown --fail-on \(failOn)", hints: ["use high, medium, low or none"])
            }
            threshold = sev
            }
            var report: Audit.Report?
            for path in paths.isEmpty ? [FileManager.default.currentDirectoryPath] : paths {
                let root = URL(fileURLWithPath: path).standardizedFileURL.path
                var isDir: ObjCBool = false
                guard FileManager.default.fileExists(atPath: root, isDirectory: &isDir), isDir.boolValue else {
                    throw KSecretError(.noFileSpecified, "\(path) is not a directory", hints: ["audit takes directories: ksecret audit [DIR...]"])
                }
                var audit = Audit(root: root, environment: KSecretEnvironment())
                audit.verify = verify
                audit.maxAgeDays = maxAge
                var allowed = allowKeys
                if let repo = GitRepository.containing(root), let out = try? repo.run(["config", "--get-all", "ksecret.allowedKeyPath"]) {
                    allowed += String(decoding: out.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
                }
                audit.allowedKeyPaths = allowed
                let one = try audit.run()
                report = report?.merged(with: one) ?? one
            }
            guard let report else { return }
            if json { Output.write(try AuditOutput.json(report)) }
            else if sarif { Output.write(try AuditOutput.sarif(report)) }
            else { Output.write(Array(AuditOutput.table(report, color: isatty(STDOUT_FILENO) == 1).utf8)) }
            if let threshold, report.findings.contains(where: { $0.severity >= threshold }) { throw ExitCode(1) }
        }
    }
}

enum AuditOutput {
    static func json(_ report: Audit.Report) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try encoder.encode(report)) + [0x0A]
    }

    static func sarif(_ report: Audit.Report) throws -> [UInt8] {
        let rules = Set(report.findings.map(\.rule)).sorted().map { id -> [String: Any] in
            var rule: [String: Any] = ["id": id]
            if let text = Audit.ruleDescriptions[id] { rule["shortDescription"] = ["text": text] }
            return rule
        }
        let results: [[String: Any]] = report.findings.map { f in
            ["ruleId": f.rule,
             "level": f.severity == .high ? "error" : f.severity == .medium ? "warning" : "note",
             "message": ["text": "\(f.message). Fix: \(f.fix)"],
             "locations": [["physicalLocation": ["artifactLocation": ["uri": f.file]]]]]
        }
        let document: [String: Any] = [
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [["tool": ["driver": ["name": "ksecret", "version": KSecretVersion.current, "rules": rules]],
                      "results": results]],
        ]
        return [UInt8](try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys])) + [0x0A]
    }

    static func table(_ report: Audit.Report, color: Bool) -> String {
        func paint(_ text: String, _ code: String) -> String { color ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
        var out = "ksecret audit of \(report.root): \(report.files.count) encrypted file(s), \(report.findings.count) finding(s)\n"
        let byFile = Dictionary(grouping: report.findings, by: \.file)
        let files = Set(report.files.map(\.file)).union(byFile.keys).sorted()
        for name in files {
            out += "\n" + paint(name, "1") + "\n"
            if let f = report.files.first(where: { $0.file == name }) {
                var keys: [String] = []
                if !f.age.isEmpty { keys.append("age: " + f.age.joined(separator: ", ")) }
                if !f.pgp.isEmpty { keys.append("pgp: " + f.pgp.joined(separator: ", ")) }
                if !f.vault.isEmpty { keys.append("vault: " + f.vault.joined(separator: ", ")) }
                if f.otherKeys > 0 { keys.append("\(f.otherKeys) cloud key(s)") }
                out += "  \(f.format), \(f.groups) group(s)\(f.threshold > 0 ? ", threshold \(f.threshold)" : ""), version \(f.version), last modified \(f.lastModified)\n"
                out += "  keys: \(keys.joined(separator: "; "))\n"
                if let s = f.selection { out += "  selection: \(s)\(f.macOnlyEncrypted ? ", mac_only_encrypted" : "")\n" }
                if let v = f.verified { out += "  verified: \(v)\n" }
            }
            for finding in byFile[name] ?? [] {
                let label = finding.severity == .high ? paint("HIGH", "31") : finding.severity == .medium ? paint("MEDIUM", "33") : paint("LOW", "36")
                out += "  \(label) \(finding.message)\n    fix: \(finding.fix)\n"
            }
        }
        return out
    }
}
