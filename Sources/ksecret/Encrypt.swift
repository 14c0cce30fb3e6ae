import ArgumentParser
import KSecretSystem
import KSecret

struct Encrypt: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Encrypt a plain file's values.",
        discussion: HelpText.reflow("""
        Example:
          ksecret encrypt --age age1... secrets.yaml > secrets.enc.yaml
          ksecret encrypt -i charts/app/secrets.yaml      # keys from the matching .sops.yaml rule
        """))

    @Argument(help: "The plain file (- for standard input, with --filename-override or --input-type).")
    var file: String

    @Flag(name: [.customShort("i"), .customLong("in-place")], help: "Write the result back to the file.")
    var inPlace = false

    @Option(name: .customLong("output"), help: "Write the result to this file instead of standard output.")
    var output: String?

    @Option(name: .customLong("filename-override"), help: "Use this path to pick the format and the creation rule.")
    var filenameOverride: String?

    @Option(name: .customLong("config"), help: "Path of the .sops.yaml to use.")
    var config: String?

    @OptionGroup var types: TypeOptions
    @OptionGroup var keys: KeyOptions
    @OptionGroup var selection: SelectionOptions

    func run() throws {
        try Diagnostics.run {
            try Self.perform(file: file, inPlace: inPlace, output: output, filenameOverride: filenameOverride, config: config,
                             types: types.choice, keys: { keys.plan(environment: $0) }, selection: try selection.given(),
                             macOnlyEncrypted: selection.macOnlyEncrypted)
        }
    }

    /// The command's work, shared with `EncryptFastPath`. `keys` gives the plan of the key flags
    /// (and their variables) in the command's environment.
    static func perform(file: String, inPlace: Bool = false, output: String? = nil, filenameOverride: String? = nil,
                        config: String? = nil, types: FormatChoice, keys: (KSecretEnvironment) -> KeyPlan?,
                        selection: (key: String, value: String)? = nil, macOnlyEncrypted: Bool = false,
                        exitWhenDone: Bool = false) throws {
        let environment = KSecretEnvironment()
        try WriteTarget.check(inPlace: inPlace, output: output, file: file)
        let path = filenameOverride ?? file
        let input = try types.input(for: path)
        let outputFormat = try types.output(for: path, input: input)
        let options = try KeyResolution.options(path: path, input: input, output: outputFormat, config: config,
                                                keys: keys(environment), selection: selection,
                                                macOnlyEncrypted: macOnlyEncrypted, environment: environment)
        let bytes = try Input.read(file)
        // Written (unbuffered, or renamed into place), the process can end without freeing the
        // trees of a large file one object at a time.
        let keeper = exitWhenDone ? SecretsEngine.Keeper() : nil
        let result = try SecretsEngine(environment: environment).encrypt(bytes, options: options, keeping: keeper)
        try WriteTarget.write(result, inPlace: inPlace, output: output, file: file)
        if exitWhenDone { exitProcess(0) }
    }
}

/// `ksecret encrypt [--age R] [-i | --output F] [--input-type T] [--output-type T]
/// [--filename-override P] [--config C] FILE` without building the whole command tree (as
/// `DecryptFastPath`). Anything else goes through swift-argument-parser as usual.
enum EncryptFastPath {
    static func run(_ arguments: [String]) -> Int32? {
        guard let line = FastArguments(arguments, command: "encrypt", flags: ["-i", "--in-place"],
                                       options: ["--age", "-a", "--output", "--input-type", "--output-type", "--filename-override", "--config"])
        else { return nil }
        return FastArguments.status {
            try Encrypt.perform(file: line.file, inPlace: line.has("-i", "--in-place"), output: line.value("--output"),
                                filenameOverride: line.value("--filename-override"), config: line.value("--config"),
                                types: FormatChoice(inputType: line.value("--input-type"), outputType: line.value("--output-type")),
                                keys: { KeyOptions.plan(age: line.value("--age", "-a"), environment: $0) }, exitWhenDone: true)
        }
    }
}

/// Where a command's result goes: the file itself (`-i`), `--output`, or standard output.
enum WriteTarget {
    static func check(inPlace: Bool, output: String?, file: String) throws {
        if inPlace && output != nil {
            throw KSecretError(.conflictingParameters, "--in-place and --output cannot be used together")
        }
        if inPlace && file == "-" {
            throw KSecretError(.conflictingParameters, "--in-place needs a file, not standard input")
        }
    }

    static func write(_ bytes: [UInt8], inPlace: Bool, output: String?, file: String) throws {
        if inPlace { try AtomicFile.write(bytes, to: file) }
        else if let output { try AtomicFile.write(bytes, to: output) }
        else { Output.write(bytes) }
    }
}

/// Which keys a new file is encrypted to: the command line wins, then the matching creation rule.
enum KeyResolution {
    /// Everything `encrypt` (and `edit` of a new file) needs: keys, selection and store settings
    /// from the flags, else from the creation rule matching `path`.
    static func options(path: String, input: FileFormat, output: FileFormat, config: String?, keys: KeyPlan?,
                        selection: (key: String, value: String)?, macOnlyEncrypted: Bool,
                        environment: KSecretEnvironment) throws -> EncryptOptions {
        let configFile = try ConfigLocator.load(explicit: config, environment: environment)
        let rule = configFile?.rule(for: path)
        let plan = try Self.plan(cli: keys, rule: rule, config: configFile, path: path)
        let selected = selection ?? rule?.selection
        return EncryptOptions(
            path: path, inputFormat: input, outputFormat: output, keys: plan,
            selection: selected.flatMap { SelectionRule(metadataKey: $0.key, value: $0.value) } ?? .default,
            macOnlyEncrypted: macOnlyEncrypted || (rule?.macOnlyEncrypted ?? false),
            storeOptions: configFile?.storeOptions ?? StoreOptions())
    }

    static func plan(cli: KeyPlan?, rule: CreationRule?, config: SopsConfig?, path: String) throws -> KeyPlan {
        if let cli { return cli }
        if let rule {
            let plan = rule.keyPlan
            if !plan.isEmpty { return plan }
            throw KSecretError(.generic, "the creation rule matching \(path) names no keys",
                               hints: ["add age: or pgp: to the rule in \(config?.path ?? ".sops.yaml")"],
                               location: SourceLocation(file: config?.path, line: rule.line))
        }
        if let config, !config.rules.isEmpty {
            throw KSecretError(.generic, "no creation rule in \(config.path) matches \(path)",
                               hints: ["rules are tried in order and path_regex searches the path relative to the config's directory",
                                       "or pass keys on the command line with --age or --pgp"])
        }
        throw KSecretError(.generic, "no keys to encrypt to: no .sops.yaml with creation rules was found and none were given",
                           hints: ["pass --age age1... or --pgp FINGERPRINT (or set SOPS_AGE_RECIPIENTS or SOPS_PGP_FP), or add a .sops.yaml with creation_rules"])
    }
}
