import ArgumentParser
import Foundation
import KSecret
#if canImport(Glibc)
import Glibc
#endif

/// `helm secrets ...`: what helm runs for the `secrets` plugin (helm-secrets 4 commands).
struct HelmPluginEntry: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "helm-plugin", abstract: "helm secrets ... (run by helm).",
                                                    shouldDisplay: false)
    @Argument(parsing: .captureForPassthrough) var arguments: [String] = []

    func run() throws {
        var args = arguments
        // helm-secrets' global options that mean nothing here.
        while let first = args.first, ["-q", "--quiet"].contains(first) { args.removeFirst() }
        if let first = args.first, first == "-b" || first == "--backend" {
            guard args.count > 1, args[1] == "sops" else {
                throw Diagnostics.report(KSecretError(.generic, "only the sops backend exists in ksecret"))
            }
            args.removeFirst(2)
        }
        guard let command = args.first else {
            print("usage: helm secrets decrypt|encrypt|edit|view [-i] FILE | helm secrets <helm command> [args...]")
            return
        }
        let rest = Array(args.dropFirst())
        switch command {
        case "decrypt", "view":
            try plugin(decrypt: rest)
        case "encrypt":
            try plugin(encrypt: rest)
        case "edit":
            guard let file = rest.first(where: { !$0.hasPrefix("-") }) else { throw Diagnostics.report(KSecretError(.noFileSpecified, "edit needs a file")) }
            var edit = try Edit.parse([file])
            try edit.run()
        case "dir":
            print(ProcessInfo.processInfo.environment["HELM_PLUGIN_DIR"] ?? "", terminator: "")
        case "downloader":
            try HelmDownloader.run(Array(rest))
        case "-v", "--version", "version":
            print(HelmPlugins.version)
        case "-h", "--help", "help":
            print(Helm.helpMessage())
        default:
            try HelmWrapper.exec(args)
        }
    }

    /// `decrypt [-i] FILE [ignored...]`: plaintext to stdout (helmfile reads it), or in place.
    func plugin(decrypt args: [String]) throws {
        let inPlace = args.contains("-i") || args.contains("--in-place")
        guard let file = args.first(where: { !$0.hasPrefix("-") }) else {
            throw Diagnostics.report(KSecretError(.noFileSpecified, "decrypt needs a file"))
        }
        try Diagnostics.run {
            guard FileManager.default.fileExists(atPath: file) else {
                throw KSecretError(.noFileSpecified, "File does not exist: \(file)")
            }
            let bytes = try AtomicFile.read(file)
            let format = FileFormat.forPath(file)
            guard SecretsEngine.isEncrypted(bytes, path: file, format: format) else {
                throw KSecretError(.generic, "File is not encrypted: \(file)")
            }
            let opened = try SecretsEngine(environment: KSecretEnvironment()).open(bytes, path: file, format: format, forRewrite: false)
            let plain = try opened.plaintext(format: format)
            if inPlace { try AtomicFile.write(plain, to: file) } else { Output.write(plain) }
        }
    }

    /// `encrypt [-i] FILE`: with the rules of the `.sops.yaml` next to the file (helm-secrets cds there).
    func plugin(encrypt args: [String]) throws {
        let inPlace = args.contains("-i") || args.contains("--in-place")
        guard let file = args.first(where: { !$0.hasPrefix("-") }) else {
            throw Diagnostics.report(KSecretError(.noFileSpecified, "encrypt needs a file"))
        }
        try Diagnostics.run {
            let absolute = URL(fileURLWithPath: file).standardizedFileURL
            var environment = KSecretEnvironment()
            environment.currentDirectory = absolute.deletingLastPathComponent().path
            let bytes = try AtomicFile.read(file)
            let format = FileFormat.forPath(file)
            if SecretsEngine.isEncrypted(bytes, path: file, format: format) {
                throw KSecretError(.fileAlreadyEncrypted, "Already encrypted: \(file)")
            }
            let configFile = try ConfigLocator.load(explicit: nil, environment: environment)
            let rule = configFile?.rule(for: absolute.path)
            let plan = try KeyResolution.plan(cli: nil, rule: rule, config: configFile, path: absolute.path)
            let options = EncryptOptions(path: absolute.path, inputFormat: format, outputFormat: format, keys: plan,
                                         selection: rule?.selection.flatMap { SelectionRule(metadataKey: $0.key, value: $0.value) } ?? .default,
                                         macOnlyEncrypted: rule?.macOnlyEncrypted ?? false, storeOptions: configFile?.storeOptions ?? StoreOptions())
            let result = try SecretsEngine(environment: environment).encrypt(bytes, options: options)
            if inPlace { try AtomicFile.write(result, to: file) } else { Output.write(result) }
        }
    }
}

/// `helm secrets template|install|upgrade|lint|diff ...`: every `-f`/`--values` file that is
/// encrypted becomes `secrets://ABSOLUTE-PATH`, which helm fetches through the downloader; no
/// plaintext file is ever written. Then helm runs with the rewritten arguments in this process.
enum HelmWrapper {
    static func rewrite(_ args: [String]) -> [String] {
        var out: [String] = []
        var i = 0
        func convert(_ list: String) -> String {
            list.split(separator: ",", omittingEmptySubsequences: false).map { entry -> String in
                let path = String(entry)
                guard !path.contains("://"), FileManager.default.fileExists(atPath: path),
                      let bytes = try? AtomicFile.read(path),
                      SecretsEngine.isEncrypted(bytes, path: path, format: FileFormat.forPath(path)) else { return path }
                return "secrets://" + URL(fileURLWithPath: path).standardizedFileURL.path
            }.joined(separator: ",")
        }
        while i < args.count {
            let a = args[i]
            if (a == "-f" || a == "--values"), i + 1 < args.count {
                out += [a, convert(args[i + 1])]
                i += 2
                continue
            }
            if a.hasPrefix("--values=") { out.append("--values=" + convert(String(a.dropFirst("--values=".count)))); i += 1; continue }
            if a.hasPrefix("-f"), a.count > 2 { out.append("-f" + convert(String(a.dropFirst(2)))); i += 1; continue }
            out.append(a)
            i += 1
        }
        return out
    }

    static func exec(_ args: [String]) throws -> Never {
        let env = ProcessInfo.processInfo.environment
        let helm = env["HELM_SECRETS_HELM_PATH"] ?? env["HELM_BIN"] ?? "helm"
        let argv = [helm] + rewrite(args)
        var cargs = argv.map { strdup($0) } + [nil]
        execvp(helm, &cargs)
        let reason = String(cString: strerror(errno))
        throw Diagnostics.report(KSecretError(.generic, "cannot run \(helm): \(reason)", hints: ["set HELM_BIN or HELM_SECRETS_HELM_PATH"]))
    }
}

/// The `secrets://` getter: `CERT KEY CA URL` (helm's four trailing arguments).
struct HelmDownloaderEntry: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "helm-downloader", abstract: "secrets:// downloader (run by helm).",
                                                    shouldDisplay: false)
    @Argument(parsing: .captureForPassthrough) var arguments: [String] = []

    func run() throws { try HelmDownloader.run(arguments) }
}

enum HelmDownloader {
    static func run(_ arguments: [String]) throws {
        guard let url = arguments.last else {
            throw Diagnostics.report(KSecretError(.generic, "the downloader needs helm's arguments: CERT KEY CA URL"))
        }
        try Diagnostics.run {
            var environment = KSecretEnvironment()
            guard let schemeEnd = url.range(of: "://") else {
                throw KSecretError(.generic, "not a secrets URL: \(url)")
            }
            let scheme = String(url[..<schemeEnd.lowerBound])
            var rest = String(url[schemeEnd.upperBound...])
            var ignoreMissing = false
            if rest.hasPrefix("?") { ignoreMissing = true; rest.removeFirst() }
            switch scheme {
            case "secrets+literal":
                Output.write(Array(rest.utf8))
                return
            case "secrets+age-import":
                guard let q = rest.firstIndex(of: "?") else {
                    throw KSecretError(.generic, "secrets+age-import needs KEYFILE?FILE", location: SourceLocation(file: url))
                }
                environment.variables["SOPS_AGE_KEY_FILE"] = String(rest[..<q])
                rest = String(rest[rest.index(after: q)...])
            case "secrets+gpg-import":
                throw KSecretError(.generic, "secrets+gpg-import is not supported yet", hints: ["import the key into your GNUPGHOME and use secrets://"])
            case "secrets":
                break
            default:
                throw KSecretError(.generic, "unknown scheme \(scheme)://")
            }
            if let bang = rest.firstIndex(of: "!"), !rest[..<bang].contains("/") {
                guard rest[..<bang] == "sops" else { throw KSecretError(.generic, "only the sops backend exists in ksecret") }
                rest = String(rest[rest.index(after: bang)...])
            }
            let path = rest
            guard FileManager.default.fileExists(atPath: path) else {
                if ignoreMissing { return }
                throw KSecretError(.noFileSpecified, "File does not exist: \(path)")
            }
            let bytes = try AtomicFile.read(path)
            let format = FileFormat.forPath(path)
            // One parse: a file without sops metadata is passed through unchanged (helm-secrets does that).
            let parsed = try format.store.parse(bytes, path: path)
            guard parsed.metadata != nil else {
                Output.write(bytes)
                return
            }
            let opened = try SecretsEngine(environment: environment).open(parsed: parsed, path: path, forRewrite: false)
            Output.write(try opened.plaintext(format: format))
        }
    }
}
