import ArgumentParser
import KSecretSystem
import KSecret

struct Rotate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Give a file a new data key, re-encrypting every value; optionally add or remove age or PGP keys.",
        discussion: HelpText.reflow("""
        Like sops, rotate does not read .sops.yaml keys (use updatekeys for that) and keeps each
        value's IV. It prints to standard output unless -i or --output.
        Example:
          ksecret rotate -i secrets.yaml
          ksecret rotate -i --add-age age1... --rm-age age1old... secrets.yaml
          ksecret rotate -i --add-pgp 1199BDC0DA314FC9EF0D82A97D60449006AE874E secrets.yaml
          ksecret rotate --all              # every encrypted file under . (in place, in parallel)
          ksecret rotate --all --resume     # finish an interrupted run; files it did are left alone
        """))

    @Argument(help: "The file; with --all, the directory (default .).") var file: String?
    @Flag(name: [.customShort("i"), .customLong("in-place")], help: "Write the result back to the file.") var inPlace = false
    @Option(name: .customLong("output"), help: "Write the result to this file.") var output: String?
    @Option(name: .customLong("add-age"), help: "Comma-separated age recipients to add (to the first key group).") var addAge: String?
    @Option(name: .customLong("rm-age"), help: "Comma-separated age recipients to remove.") var rmAge: String?
    @Option(name: .customLong("add-pgp"), help: "Comma-separated PGP fingerprints to add (to the first key group).") var addPGP: String?
    @Option(name: .customLong("rm-pgp"), help: "Comma-separated PGP fingerprints to remove.") var rmPGP: String?
    @Option(name: .customLong("add-hc-vault-transit"), help: "Comma-separated Vault transit key URIs to add (to the first key group).") var addVault: String?
    @Option(name: .customLong("rm-hc-vault-transit"), help: "Comma-separated Vault transit key URIs to remove.") var rmVault: String?
    @Flag(name: .customLong("ignore-mac"), help: "Do not check the file's MAC.") var ignoreMac = false
    @OptionGroup var types: TypeOptions
    @OptionGroup var bulk: BulkOptions
    @Flag(help: "With --all: skip the files the interrupted run's journal lists and that are still as it wrote them.") var resume = false
    @Option(name: .customLong("state"), help: "With --all: the journal file (default: .git/ksecret/rotate-all.journal).") var state: String?

    func run() throws {
        try Diagnostics.run {
            if bulk.all {
                if inPlace || output != nil || addAge != nil || rmAge != nil || addPGP != nil || rmPGP != nil || addVault != nil || rmVault != nil || ignoreMac || types.inputType != nil || types.outputType != nil {
                    throw KSecretError(.conflictingParameters, "--all rotates files in place, in their own format, with their own keys",
                                       hints: ["-i, --output, --add-*, --rm-*, --ignore-mac and the type options apply to one file"])
                }
                return try BulkRekeyCommand.rotateAll(root: try bulk.root(file.map { [$0] } ?? []), options: bulk, resume: resume, state: state)
            }
            if resume || state != nil || bulk.jobs != nil {
                throw KSecretError(.conflictingParameters, "--resume, --state and --jobs go with --all")
            }
            guard let file else { throw KSecretError(.noFileSpecified, "no file given", hints: ["ksecret rotate -i FILE, or --all for every file"]) }
            try WriteTarget.check(inPlace: inPlace, output: output, file: file)
            let changing = addAge != nil || rmAge != nil || addPGP != nil || rmPGP != nil || addVault != nil || rmVault != nil
            if changing && !FileManager.default.fileExists(atPath: file) {
                throw KSecretError(.cannotChangeKeysFromNonExistentFile, "\(file) does not exist, so its keys cannot be changed")
            }
            func list(_ s: String?) -> [String] {
                (s ?? "").split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
            }
            let engine = SecretsEngine(environment: KSecretEnvironment())
            let opened = try engine.open(try AtomicFile.read(file), path: file, format: try types.input(for: file), ignoreMac: ignoreMac)
            let result = try engine.rotate(opened, addAge: list(addAge), removeAge: list(rmAge),
                                           addPGP: list(addPGP), removePGP: list(rmPGP),
                                           addVault: list(addVault), removeVault: list(rmVault))
            try WriteTarget.write(result, inPlace: inPlace, output: output, file: file)
        }
    }
}

struct UpdateKeys: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "updatekeys",
        abstract: "Re-wrap files' data keys for the keys their .sops.yaml creation rule names now.",
        discussion: HelpText.reflow("""
        Values, lastmodified and the MAC stay as they are. Shows what changes and asks first
        unless -y. Files already matching their rule are left alone.
        Example:
          ksecret updatekeys -y charts/app/secrets.yaml
          ksecret updatekeys --all -y       # every encrypted file under .
        """))

    @Argument(help: "The files to update; with --all, the directory (default .).") var files: [String] = []
    @Flag(name: [.customShort("y"), .customLong("yes")], help: "Do not ask for confirmation.") var yes = false
    @Option(name: .customLong("config"), help: "Path of the .sops.yaml to use.") var config: String?
    @OptionGroup var types: TypeOptions
    @OptionGroup var bulk: BulkOptions

    func run() throws {
        try Diagnostics.run {
            if bulk.all {
                if types.inputType != nil || types.outputType != nil {
                    throw KSecretError(.conflictingParameters, "--all reads each file in the format its name gives; the type options apply to named files")
                }
                return try BulkRekeyCommand.updateKeysAll(root: try bulk.root(files), options: bulk, yes: yes, config: config)
            }
            if bulk.jobs != nil { throw KSecretError(.conflictingParameters, "--jobs goes with --all") }
            guard !files.isEmpty else { throw KSecretError(.noFileSpecified, "no file given", hints: ["ksecret updatekeys FILE..., or --all for every file"]) }
            let environment = KSecretEnvironment()
            guard let configFile = try ConfigLocator.load(explicit: config, environment: environment) else {
                throw KSecretError(.generic, "no .sops.yaml found", hints: ["updatekeys takes the keys from the creation rules; pass --config"])
            }
            let engine = SecretsEngine(environment: environment)
            for file in files {
                guard let rule = configFile.rule(for: file) else {
                    throw KSecretError(.generic, "no creation rule in \(configFile.path) matches \(file)")
                }
                let plan = try KeyResolution.plan(cli: nil, rule: rule, config: configFile, path: file)
                let bytes = try AtomicFile.read(file)
                let format = try types.input(for: file)
                let parsed = try format.store.parse(bytes, path: file)
                guard let node = parsed.metadata else { throw KSecretError(.generic, "sops metadata not found in \(file)") }
                let changes = SecretsEngine.changes(from: try Metadata(node: node), to: plan)
                if changes.isEmpty {
                    StandardStreams.writeError("ksecret: \(file) already up to date\n")
                    continue
                }
                var lines = ["ksecret: the following changes will be made to \(file)'s keys:"]
                lines += changes.added.map { "  + \($0)" } + changes.removed.map { "  - \($0)" }
                if let t = changes.threshold { lines.append("  shamir threshold \(t.from) -> \(t.to)") }
                StandardStreams.writeError((lines.joined(separator: "\n") + "\n"))
                if !yes {
                    guard isatty(STDIN_FILENO) == 1 else {
                        throw KSecretError(.generic, "not confirmed: standard input is not a terminal", hints: ["pass -y to apply without asking"])
                    }
                    StandardStreams.writeError("Is this okay? (y/n): ")
                    guard readLine()?.lowercased().hasPrefix("y") == true else { continue }
                }
                try AtomicFile.write(try engine.updateKeys(bytes, path: file, format: format, plan: plan), to: file)
                StandardStreams.writeError("ksecret: updated \(file)\n")
            }
        }
    }
}
