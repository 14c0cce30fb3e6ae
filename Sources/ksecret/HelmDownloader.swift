import ArgumentParser
import KSecretSystem
import KSecret

struct HelmDownloader: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "downloader",
        abstract: "The secrets:// downloader helm runs (internal).",
        discussion: HelpText.reflow("""
        helm runs `bin/ksecret helm downloader CERT KEY CA URL` from the secrets-getter plugin and
        reads the file from standard output. An encrypted file is decrypted in memory; a plain file
        is printed unchanged; relative paths are relative to the current directory. On failure
        the message goes to stderr and the exit status is non-zero, so helm stops.
        """),
        shouldDisplay: false)

    /// helm passes exactly four: certFile keyFile caFile URL (the TLS paths are empty for values files).
    @Argument(parsing: .allUnrecognized, help: "CERT KEY CA URL, as helm passes them.")
    var arguments: [String] = []

    func run() throws {
        try Diagnostics.run {
            guard let url = arguments.last else {
                throw KSecretError(.noFileSpecified, "the downloader needs helm's four arguments: CERT KEY CA URL")
            }
            Output.write(try Self.fetch(try SecretsURL.parse(url), environment: KSecretEnvironment()))
        }
    }

    /// The bytes helm gets for a URL.
    static func fetch(_ url: SecretsURL, environment: KSecretEnvironment) throws -> [UInt8] {
        try HelmSecrets.checkBackendVariable(environment)
        var environment = environment
        let file: String
        switch url.source {
        case .literal(let text):
            let bytes = Array(text.utf8)
            guard SecretsEngine.isEncrypted(bytes, path: "literal.json", format: .json) else { return bytes }
            return try SecretsEngine(environment: environment).open(bytes, path: "literal", format: .json, forRewrite: false)
                .plaintext(format: .json)
        case .file(let path):
            file = path
        case .remote(let address):
            return try remote(address, url: url, environment: environment)
        case .ageImport(let keys, let path):
            try checkImport(allowed: "HELM_SECRETS_ALLOW_AGE_IMPORT", key: keys, environment: environment)
            guard FileManager.default.fileExists(atPath: keys) else {
                throw KSecretError(.noFileSpecified, "the age key file \(keys) does not exist")
            }
            // Only the imported identities, as helm-secrets does by pointing SOPS_AGE_KEY_FILE at them.
            environment.variables["SOPS_AGE_KEY_FILE"] = keys
            environment.variables["SOPS_AGE_KEY"] = nil
            environment.variables["SOPS_AGE_KEY_CMD"] = nil
            file = path
        case .gpgImport(let key, let path):
            try checkImport(allowed: "HELM_SECRETS_ALLOW_GPG_IMPORT", key: key, environment: environment)
            guard FileManager.default.fileExists(atPath: key) else {
                throw KSecretError(.noFileSpecified, "the PGP key file \(key) does not exist")
            }
            // As helm-secrets does: a throwaway GNUPGHOME holding only the imported key, its agent
            // stopped and the directory removed once the file is decrypted.
            let home = try ThrowawayGnuPGHome(importing: key)
            defer { home.remove() }
            environment.variables["GNUPGHOME"] = home.path
            return try decrypt(path, url: url, environment: environment)
        }
        return try decrypt(file, url: url, environment: environment)
    }

    private static func decrypt(_ file: String, url: SecretsURL, environment: KSecretEnvironment) throws -> [UInt8] {
        guard FileManager.default.fileExists(atPath: file) else {
            if url.ignoreMissing { return [] }
            throw KSecretError(.noFileSpecified, "\(file) does not exist",
                               hints: ["a relative path is relative to the directory helm runs in (\(environment.currentDirectory))"])
        }
        try ValuesPathPolicy(environment: environment).check(file)
        let bytes = try AtomicFile.read(file)
        guard let parsed = encryptedFile(bytes, path: file) else { return bytes }
        return try SecretsEngine(environment: environment).open(parsed: parsed, path: file, forRewrite: false)
            .plaintext(format: parsed.format)
    }

    /// `secrets://https://…`: the file fetched by ksecret-net (the HTTP client lives there), kept
    /// in memory, then decrypted like a local one; its name in messages has no credentials.
    private static func remote(_ address: String, url: SecretsURL, environment: KSecretEnvironment) throws -> [UInt8] {
        let shown = SecretsURL.redacted(address)
        let expanded = environment["HELM_SECRETS_URL_VARIABLE_EXPANSION"]?.lowercased() == "true"
            ? try SecretsURL.expandingVariables(address, environment: environment) : address
        guard let outcome = try NetHelper.run(["fetch"], input: Array(expanded.utf8) + [0x0A], environment: environment) else {
            throw KSecretError(.generic, "ksecret-net, which fetches http(s) values files, was not found beside ksecret or on PATH",
                               hints: ["install both binaries (make install) or set KSECRET_NET to its path"])
        }
        switch outcome.status {
        case 0: break
        case 4 where url.ignoreMissing: return []
        default:
            throw KSecretError(.noFileSpecified, "cannot fetch \(shown): \(outcome.message ?? "ksecret-net exited with status \(outcome.status)")")
        }
        let bytes = outcome.output
        // The format from the name at the end of the URL's path, as for a local file.
        let name = String(shown.split(separator: "/").last ?? "values.yaml")
        guard let parsed = encryptedFile(bytes, path: name) else { return bytes }
        return try SecretsEngine(environment: environment).open(parsed: parsed, path: shown, forRewrite: false)
            .plaintext(format: parsed.format)
    }

    /// The file as parsed in the format in which it is sops-encrypted, nil when it is not: the
    /// one its name says, then YAML (values files), JSON and binary.
    static func encryptedFile(_ bytes: [UInt8], path: String) -> ParsedFile? {
        var candidates = [FileFormat.forPath(path)]
        for format in [FileFormat.yaml, .json, .binary] where !candidates.contains(format) { candidates.append(format) }
        for format in candidates {
            if let parsed = SecretsEngine.parsedIfEncrypted(bytes, path: path, format: format) { return parsed }
        }
        return nil
    }

    /// helm-secrets' switches for the key-import schemes.
    static func checkImport(allowed variable: String, key: String, environment: KSecretEnvironment) throws {
        if environment[variable]?.lowercased() == "false" {
            throw KSecretError(.generic, "key import URLs are disabled (\(variable)=false)")
        }
        if let prefix = environment["HELM_SECRETS_KEY_LOCATION_PREFIX"], !key.hasPrefix(prefix) {
            throw KSecretError(.generic, "the key \(key) is outside HELM_SECRETS_KEY_LOCATION_PREFIX (\(prefix))")
        }
    }
}
