import ArgumentParser
import KSecretSystem
import KSecret

struct Offboard: ParsableCommand {
    /// Key paths that look like a database password, for the hint to rotate it with `db rotate`.
    static let databasePassword = try! RegularExpression("(?i)(db|database|postgres|pg|mysql).*pass|pass.*(db|database|postgres)")

    static let configuration = CommandConfiguration(
        abstract: "Remove someone's key from the creation rules and re-key every file they could open.",
        discussion: HelpText.reflow("""
        The sequence after someone leaves: their key goes from .sops.yaml (its layout kept), every
        encrypted file under PATH gets its rule's keys, and every file their key could open gets a
        new data key (they knew the old one). The report lists, per file, the secrets they could read:
        change those at their source too. Running it again finishes an interrupted run.
        Example:
          ksecret offboard --age age1alice... --dry-run
          ksecret offboard --age age1alice...
          ksecret offboard --pgp 85D77543B3D624B63CEA9E6DBC17301B491B3F21 charts/
        """))

    @Argument(help: "Directory whose files to re-key (default .).") var path: String?
    @Option(name: .customLong("age"), help: "The age recipient to remove.") var age: String?
    @Option(name: .customLong("pgp"), help: "The PGP fingerprint to remove.") var pgp: String?
    @Option(name: .customLong("config"), help: "Path of the .sops.yaml to edit (default: found from PATH upward).") var config: String?
    @Flag(name: .customLong("dry-run"), help: "Show what would change; write nothing.") var dryRun = false
    @Option(name: .customLong("jobs"), help: "Files worked on at once (default: the core count).") var jobs: Int?

    func run() throws {
        try Diagnostics.run {
            let recipient: Recipient
            switch (age, pgp) {
            case (let a?, nil): recipient = .age(a.trimmingWhitespace())
            case (nil, let p?): recipient = .pgp(p.replacingBytes(of: " ", with: ""))
            default: throw KSecretError(.conflictingParameters, "give exactly one of --age and --pgp")
            }
            let root = try BulkOptions().root(path.map { [$0] } ?? [])
            let environment = KSecretEnvironment()
            let configFile = try BulkOptions.config(explicit: config, root: root, environment: environment)
            var bulk = BulkRekey(root: root, config: configFile, environment: environment)
            if let jobs, jobs > 0 { bulk.jobs = jobs }
            let offboarding = Offboarding(recipient: recipient, bulk: bulk)
            let plan = try offboarding.plan()
            if dryRun {
                Output.write(Array(Self.describe(plan, recipient: recipient).utf8))
                return
            }
            let progress = BulkProgress(verb: "re-keying")
            let results = try offboarding.run(plan, progress: progress.handle)
            progress.finish()
            var extra: [String] = []
            if let edit = plan.configEdit, let path = plan.config?.path {
                extra.append("\(path): removed the \(recipient) from the rule(s) at line \(edit.ruleLines.map(String.init).joined(separator: ", "))")
            } else {
                extra.append("the creation rules do not name the \(recipient)")
            }
            let rotated = results.filter { $0.status == .rotated }
            if !rotated.isEmpty {
                extra.append("\nthe \(recipient) could read these secrets; change them at their source too:")
                for r in rotated { extra += Self.secretLines(r.file, r.secrets) }
            }
            try BulkProgress.summarize(results, command: "offboard", extra: extra)
        }
    }

    static func secretLines(_ file: String, _ secrets: [[String]]) -> [String] {
        var lines = ["  \(file)"]
        for path in secrets {
            let name = path.joined(separator: ".")
            lines.append("    \(TreePath.render(path))")
            if Self.databasePassword.matches(name) {
                lines.append("      a database password: ksecret db rotate \(file)")
            }
        }
        return lines
    }

    static func describe(_ plan: Offboarding.Plan, recipient: Recipient) -> String {
        var out = "ksecret offboard --dry-run: nothing is written\n"
        if let edit = plan.configEdit, let path = plan.config?.path {
            out += "\(path): remove the \(recipient) from the rule(s) at line \(edit.ruleLines.map(String.init).joined(separator: ", "))\n"
        } else {
            out += "the creation rules do not name the \(recipient)\n"
        }
        out += "\(plan.rotate.count) file(s) the \(recipient) can open: new data key, their rule's keys\n"
        for (file, secrets) in plan.rotate { out += secretLines(file, secrets).joined(separator: "\n") + "\n" }
        out += "\(plan.update.count) other file(s) whose keys change (updatekeys)\n"
        for (file, changes) in plan.update {
            out += "  \(file)\n" + (changes.added.map { "    + \($0)\n" } + changes.removed.map { "    - \($0)\n" }).joined()
        }
        out += "\(plan.targets.count - plan.rotate.count - plan.update.count) file(s) unchanged\n"
        return out
    }
}
