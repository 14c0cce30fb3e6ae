import ArgumentParser
import KSecretSystem
import KSecret

/// Options shared by the `--all` modes of `rotate` and `updatekeys`.
struct BulkOptions: ParsableArguments {
    @Flag(help: "Every encrypted file under PATH (default .): git's files inside a repository, else the whole tree.")
    var all = false
    @Option(name: .customLong("jobs"), help: "With --all: files worked on at once (default: the core count).")
    var jobs: Int?

    /// The directory to work under, absolute.
    func root(_ arguments: [String]) throws -> String {
        guard arguments.count <= 1 else {
            throw KSecretError(.conflictingParameters, "--all takes one directory, got \(arguments.count) paths")
        }
        let path = arguments.first ?? "."
        guard PathName.isDirectory(path) else {
            throw KSecretError(.noFileSpecified, "\(path) is not a directory", hints: ["--all works on a directory: ksecret rotate --all [DIR]"])
        }
        return URL(fileURLWithPath: path).standardizedFileURL.path
    }

    func bulk(root: String, config: SopsConfig?, environment: KSecretEnvironment) -> BulkRekey {
        var bulk = BulkRekey(root: root, config: config, environment: environment)
        if let jobs, jobs > 0 { bulk.jobs = jobs }
        return bulk
    }

    /// `--config`, else `$SOPS_CONFIG`, else the `.sops.yaml` found from `root` upward.
    static func config(explicit: String?, root: String, environment: KSecretEnvironment) throws -> SopsConfig? {
        if let path = explicit ?? environment["SOPS_CONFIG"] { return try SopsConfig.load(path: path) }
        return try SopsConfig.find(from: root).map { try SopsConfig.load(path: $0) }
    }
}

/// The bodies of `rotate --all` and `updatekeys --all`.
enum BulkRekeyCommand {
    static func rotateAll(root: String, options: BulkOptions, resume: Bool, state: String?) throws {
        let environment = KSecretEnvironment()
        let bulk = options.bulk(root: root, config: nil, environment: environment)
        let journal = RotationJournal(path: state ?? RotationJournal.defaultPath(root: root))
        let earlier = try journal.entries()
        var targets = try bulk.targets()
        var done: [BulkRekey.FileResult] = []
        if resume {
            // Done in the interrupted run: the file still holds what that run wrote.
            let journaled = Dictionary(earlier.map { ($0.file, $0.mac) }, uniquingKeysWith: { $1 })
            targets.removeAll { target in
                guard let mac = journaled[target.file],
                      RepositoryFiles.encrypted(path: target.path, relative: target.file)?.metadata.mac == mac else { return false }
                done.append(BulkRekey.FileResult(file: target.file, status: .skipped, reason: "rotated by the interrupted run"))
                return true
            }
        } else if !earlier.isEmpty {
            Diagnostics.warn("\(journal.path) lists \(earlier.count) file(s) of an unfinished rotate --all; rotating everything again (pass --resume to skip them)")
        }
        try journal.open(resume: resume)
        let progress = BulkProgress(verb: "rotating")
        let results = bulk.run(targets, operation: .rotate, progress: progress.handle) { result in
            guard result.status == .rotated, let mac = result.mac else { return }
            do { try journal.record(RotationJournal.Entry(file: result.file, mac: mac)) } catch {
                Diagnostics.warn("\(error)")
            }
        }
        progress.finish()
        var extra: [String] = []
        if results.contains(where: { $0.status == .failed }) {
            extra.append("journal: \(journal.path) (run `ksecret rotate --all --resume` to finish without rotating these files again)")
        } else {
            journal.remove()
        }
        try BulkProgress.summarize(done + results, command: "rotate --all", extra: extra)
    }

    static func updateKeysAll(root: String, options: BulkOptions, yes: Bool, config explicit: String?) throws {
        let environment = KSecretEnvironment()
        guard let config = try BulkOptions.config(explicit: explicit, root: root, environment: environment) else {
            throw KSecretError(.generic, "no .sops.yaml found from \(root) upward", hints: ["updatekeys takes the keys from the creation rules; pass --config"])
        }
        let bulk = options.bulk(root: root, config: config, environment: environment)
        let targets = try bulk.targets()
        if !yes {
            // The whole plan first, from the metadata alone, and one question.
            var lines: [String] = []
            for target in targets {
                guard let rule = config.rule(for: target.path),
                      let encrypted = RepositoryFiles.encrypted(path: target.path, relative: target.file) else { continue }
                let changes = SecretsEngine.changes(from: encrypted.metadata, to: rule.keyPlan)
                guard !changes.isEmpty else { continue }
                lines.append("  \(target.file)")
                lines += changes.added.map { "    + \($0)" } + changes.removed.map { "    - \($0)" }
                if let t = changes.threshold { lines.append("    shamir threshold \(t.from) -> \(t.to)") }
            }
            if lines.isEmpty {
                StandardStreams.writeError("ksecret: all \(targets.count) encrypted file(s) already match their creation rules\n")
                return
            }
            StandardStreams.writeError((["ksecret: the following key changes will be made:"] + lines).joined(separator: "\n") + "\n")
            guard isatty(STDIN_FILENO) == 1 else {
                throw KSecretError(.generic, "not confirmed: standard input is not a terminal", hints: ["pass -y to apply without asking"])
            }
            StandardStreams.writeError("Is this okay? (y/n): ")
            guard readLine()?.lowercased().hasPrefix("y") == true else { return }
        }
        let progress = BulkProgress(verb: "updating")
        let results = bulk.run(targets, operation: .updateKeys, progress: progress.handle)
        progress.finish()
        try BulkProgress.summarize(results, command: "updatekeys --all")
    }
}
