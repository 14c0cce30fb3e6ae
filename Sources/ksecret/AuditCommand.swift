import ArgumentParser
import KSecretSystem
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
                guard PathName.isDirectory(root) else {
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

    /// The parts of a SARIF 2.1.0 log that the audit fills in.
    struct SARIF: Encodable {
        struct Text: Encodable { var text: String }
        struct Rule: Encodable { var id: String; var shortDescription: Text? }
        struct Driver: Encodable { var name: String; var version: String; var rules: [Rule] }
        struct Tool: Encodable { var driver: Driver }
        struct ArtifactLocation: Encodable { var uri: String }
        struct PhysicalLocation: Encodable { var artifactLocation: ArtifactLocation }
        struct Location: Encodable { var physicalLocation: PhysicalLocation }
        struct Result: Encodable { var ruleId: String; var level: String; var message: Text; var locations: [Location] }
        struct Run: Encodable { var tool: Tool; var results: [Result] }
        var schema = "https://json.schemastore.org/sarif-2.1.0.json"
        var version = "2.1.0"
        var runs: [Run]

        enum CodingKeys: String, CodingKey {
            case schema = "$schema", version, runs
        }
    }

    static func sarif(_ report: Audit.Report) throws -> [UInt8] {
        let rules = Set(report.findings.map(\.rule)).sorted().map { id in
            SARIF.Rule(id: id, shortDescription: Audit.ruleDescriptions[id].map { SARIF.Text(text: $0) })
        }
        let results = report.findings.map { f in
            SARIF.Result(ruleId: f.rule,
                         level: f.severity == .high ? "error" : f.severity == .medium ? "warning" : "note",
                         message: SARIF.Text(text: "\(f.message). Fix: \(f.fix)"),
                         locations: [SARIF.Location(physicalLocation: SARIF.PhysicalLocation(artifactLocation: SARIF.ArtifactLocation(uri: f.file)))])
        }
        let document = SARIF(runs: [SARIF.Run(tool: SARIF.Tool(driver: SARIF.Driver(name: "ksecret", version: KSecretVersion.current, rules: rules)),
                                              results: results)])
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try encoder.encode(document)) + [0x0A]
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
