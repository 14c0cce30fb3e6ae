import ArgumentParser
import KSecretSystem
import KSecret

struct HelmSecrets: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "The `helm secrets` command line (what the secrets plugin runs).",
        discussion: HelmSecrets.usage,
        shouldDisplay: false)

    static let usage = """
    helm secrets [-b sops] [-q] [--ignore-missing-values] COMMAND ARGS...

      decrypt [-i] [--terraform] FILE   print the plaintext (-i: decrypt in place); extra arguments are ignored
      view FILE                         the same as decrypt
      encrypt [-i] FILE                 encrypt with the .sops.yaml rules of FILE's directory (-i: in place)
      edit FILE                         edit in $SOPS_EDITOR / $EDITOR
      dir                               print the plugin directory
      template|install|upgrade|lint|diff|... ARGS
                                        run helm with every encrypted -f/--values FILE read through
                                        secrets://FILE (decrypted in memory, never written to disk);
                                        -f ?FILE may be missing (it gives no values), -f sops!FILE
                                        names the backend; --ignore-missing-values (or
                                        HELM_SECRETS_IGNORE_MISSING_VALUES=true) allows every
                                        -f/--set-file file to be missing
    """

    @Argument(parsing: .captureForPassthrough, help: "The helm-secrets command and its arguments.")
    var arguments: [String] = []

    func run() throws {
        try Diagnostics.run {
            var rest = arguments[...]
            let environment = KSecretEnvironment()
            var ignoreMissing = environment["HELM_SECRETS_IGNORE_MISSING_VALUES"] == "true"
            var backendGiven = false
            // Global options, up to the first word that is not one (helm-pipeline.md §2.3).
            while let first = rest.first, first.hasPrefix("-") {
                rest = rest.dropFirst()
                switch first {
                case "-b", "--backend", "-a", "--backend-args":
                    guard let value = rest.popFirst() else { throw KSecretError(.generic, "\(first) needs a value") }
                    if first == "-b" || first == "--backend" {
                        try Self.checkBackend(value)
                        backendGiven = true
                    }
                case _ where first.hasPrefix("--backend="):
                    try Self.checkBackend(String(first.dropFirst("--backend=".count)))
                    backendGiven = true
                case _ where first.hasPrefix("--backend-args="):
                    break
                case "--ignore-missing-values":
                    ignoreMissing = true
                    if let value = rest.first, value == "true" || value == "false" { ignoreMissing = value == "true"; rest = rest.dropFirst() }
                case "-q", "--quiet", "--evaluate-templates", "--evaluate-templates-decode-secrets",
                     "--decrypt-secrets-in-tmp-dir":
                    if let value = rest.first, value == "true" || value == "false" { rest = rest.dropFirst() }
                case "-h", "--help":
                    print(Self.usage)
                    return
                case "-v", "--version":
                    print(HelmPluginLayout.version)
                    return
                default:
                    throw KSecretError(.generic, "unknown option \(first) for helm secrets", hints: ["run `helm secrets --help`"])
                }
            }
            guard let command = rest.popFirst() else {
                throw KSecretError(.generic, "helm secrets needs a command", hints: Self.usage.split(separator: "\n").map(String.init))
            }
            let words = Array(rest)
            // -b sops on the command line wins over the variable, as in helm-secrets.
            if !backendGiven, !["help", "dir"].contains(command) { try Self.checkBackendVariable(environment) }
            switch command {
            case "decrypt", "view": try Self.decrypt(words)
            case "encrypt": try Self.encrypt(words)
            case "edit": try Self.edit(words)
            case "help": print(Self.usage)
            case "dir": StandardStreams.writeOutput((ProcessInfo.processInfo.environment["HELM_PLUGIN_DIR"] ?? "").utf8)
            case "downloader":
                var downloader = HelmDownloader()
                downloader.arguments = words
                try downloader.run()
            default: try Self.wrap([command] + words, ignoringMissing: ignoreMissing, environment: environment)
            }
        }
    }

    static func checkBackend(_ name: String) throws {
        guard name == "sops" else {
            throw KSecretError(.generic, "backend \(name) is not supported; ksecret is the sops backend")
        }
    }

    /// helm-secrets' `HELM_SECRETS_BACKEND`: another backend would read the files differently
    /// (vals resolves `ref+` references), so it is refused rather than ignored.
    static func checkBackendVariable(_ environment: KSecretEnvironment) throws {
        guard let name = environment["HELM_SECRETS_BACKEND"], name != "sops" else { return }
        throw KSecretError(.generic, "HELM_SECRETS_BACKEND=\(name) is not supported; ksecret is the sops backend",
                           hints: ["unset HELM_SECRETS_BACKEND, or set it to sops"])
    }

    /// Splits `[-i] [--terraform] FILE [ignored...]` the way helm-secrets does: the first
    /// positional word is the file, later ones and unknown flags are ignored (helmfile appends its
    /// --args to every helm call, this one included).
    static func fileAndFlags(_ words: [String], command: String) throws -> (file: String, inPlace: Bool, terraform: Bool) {
        var inPlace = false, terraform = false, file: String?
        for word in words {
            switch word {
            case "-i", "--in-place": inPlace = true
            case "--terraform": terraform = true
            default: if !word.hasPrefix("-"), file == nil { file = word }
            }
        }
        guard let file else {
            throw KSecretError(.noFileSpecified, "helm secrets \(command) needs a file", hints: ["helm secrets \(command) [-i] FILE"])
        }
        guard FileManager.default.fileExists(atPath: file) else {
            throw KSecretError(.noFileSpecified, "\(file) does not exist")
        }
        return (file, inPlace, terraform)
    }

    static func decrypt(_ words: [String]) throws {
        let (file, inPlace, terraform) = try fileAndFlags(words, command: "decrypt")
        if terraform {
            let format = FileFormat.forPath(file)
            let plaintext = try SecretsEngine(environment: KSecretEnvironment())
                .open(try AtomicFile.read(file), path: file, format: format, forRewrite: false).plaintext(format: format)
            Output.write(Array("{\"content_base64\":\"\(Data(plaintext).base64EncodedString())\"}".utf8))
            return
        }
        try Decrypt.parse((inPlace ? ["-i"] : []) + ["--", file]).run()
    }

    /// helm-secrets runs sops in the file's directory, so the .sops.yaml there applies.
    static func encrypt(_ words: [String]) throws {
        let (file, inPlace, _) = try fileAndFlags(words, command: "encrypt")
        let name = try enterDirectory(of: file)
        try Encrypt.parse((inPlace ? ["-i"] : []) + ["--", name]).run()
    }

    static func edit(_ words: [String]) throws {
        let (file, _, _) = try fileAndFlags(words, command: "edit")
        let name = try enterDirectory(of: file)
        try Edit.parse(["--", name]).run()
    }

    /// Changes to the file's directory and returns its name there.
    static func enterDirectory(of file: String) throws -> String {
        let url = URL(fileURLWithPath: file)
        let dir = url.deletingLastPathComponent().path
        guard FileManager.default.changeCurrentDirectoryPath(dir) else {
            throw KSecretError(.noFileSpecified, "cannot enter the directory of \(file)")
        }
        return url.lastPathComponent
    }

    /// Wrapper mode: encrypted values files become `secrets://` URLs, then helm runs in our place.
    static func wrap(_ helmArguments: [String], ignoringMissing: Bool, environment: KSecretEnvironment) throws {
        // With helm-secrets' path restrictions on, every values file goes through the downloader,
        // which applies them (to plain files too, as helm-secrets does).
        if let (option, key) = ValuesArgumentRewriter.encryptedSetValue(in: helmArguments) {
            throw KSecretError(.generic, "the value of \(option) \(key) is a sops-encrypted document; ksecret does not put "
                               + "decrypted values on helm's command line, where the process list shows them",
                               hints: ["put the value in an encrypted values file and pass that with -f: it is decrypted in memory"])
        }
        let restricted = ValuesPathPolicy(environment: environment).restricts
        let rewritten = ValuesArgumentRewriter.rewrite(helmArguments, ignoringMissing: ignoringMissing,
                                                       allThroughDownloader: restricted) { path in
            guard let bytes = try? AtomicFile.read(path) else { return false }
            return HelmDownloader.encryptedFile(bytes, path: path) != nil
        }
        let helm = environment["HELM_SECRETS_HELM_PATH"] ?? environment["HELM_BIN"] ?? "helm"
        // The backend is sops by now (checked, or `-b sops` given): the downloader helm runs must
        // not refuse the files over a HELM_SECRETS_BACKEND that `-b` overrode. exec passes on
        // this process's environment.
        unsetenv("HELM_SECRETS_BACKEND")
        fflush(nil)
        throw Executables.exec([helm] + rewritten, environment: environment)
    }
}
