import ArgumentParser
import KSecretSystem
import KSecret

/// Key flags, as sops has them.
struct KeyOptions: ParsableArguments {
    @Option(name: [.customShort("a"), .customLong("age")], help: "Comma-separated age recipients (default: $SOPS_AGE_RECIPIENTS).")
    var age: String?

    @Option(name: [.customShort("p"), .customLong("pgp")], help: "Comma-separated PGP fingerprints (default: $SOPS_PGP_FP).")
    var pgp: String?

    @Option(name: .customLong("hc-vault-transit"), help: "Comma-separated Vault transit key URIs (default: $SOPS_VAULT_URIS).")
    var vault: String?

    @Option(name: .customLong("shamir-secret-sharing-threshold"), help: "Number of key groups needed to decrypt.")
    var shamirThreshold: Int?

    /// The keys named on the command line or in the environment; nil when none are.
    func plan(environment: KSecretEnvironment) -> KeyPlan? {
        Self.plan(age: age, pgp: pgp, vault: vault, shamirThreshold: shamirThreshold, environment: environment)
    }

    /// The plan of the flags' values (nil for a flag not given), each falling back to its variable.
    static func plan(age: String?, pgp: String? = nil, vault: String? = nil, shamirThreshold: Int? = nil,
                     environment: KSecretEnvironment) -> KeyPlan? {
        func list(_ flag: String?, _ variable: String) -> [String] {
            (flag ?? environment[variable] ?? "").split(separator: ",")
                .map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        }
        let group = KeyGroupRule(age: list(age, "SOPS_AGE_RECIPIENTS"), pgp: list(pgp, "SOPS_PGP_FP").map { $0.filter { !$0.isWhitespace } },
                                 hcVault: list(vault, "SOPS_VAULT_URIS"))
        let plan = KeyPlan(groups: [group], shamirThreshold: shamirThreshold)
        return plan.isEmpty ? nil : plan
    }
}

/// Which values are encrypted (at most one) and how the MAC is computed.
struct SelectionOptions: ParsableArguments {
    @Option(name: .customLong("unencrypted-suffix"), help: "Keys ending with this suffix stay in clear text (default _unencrypted).")
    var unencryptedSuffix: String?
    @Option(name: .customLong("encrypted-suffix"), help: "Only keys ending with this suffix are encrypted.")
    var encryptedSuffix: String?
    @Option(name: .customLong("unencrypted-regex"), help: "Keys matching this regex stay in clear text.")
    var unencryptedRegex: String?
    @Option(name: .customLong("encrypted-regex"), help: "Only keys matching this regex are encrypted.")
    var encryptedRegex: String?
    @Option(name: .customLong("unencrypted-comment-regex"), help: "Values after a comment matching this regex stay in clear text.")
    var unencryptedCommentRegex: String?
    @Option(name: .customLong("encrypted-comment-regex"), help: "Only values after a comment matching this regex are encrypted.")
    var encryptedCommentRegex: String?
    @Flag(name: .customLong("mac-only-encrypted"), help: "Compute the MAC over encrypted values only.")
    var macOnlyEncrypted = false

    /// The one selection given on the command line, as (metadata key, value).
    func given() throws -> (key: String, value: String)? {
        let all: [(String, String?)] = [("unencrypted_suffix", unencryptedSuffix), ("encrypted_suffix", encryptedSuffix),
                                        ("unencrypted_regex", unencryptedRegex), ("encrypted_regex", encryptedRegex),
                                        ("unencrypted_comment_regex", unencryptedCommentRegex), ("encrypted_comment_regex", encryptedCommentRegex)]
        let set = all.compactMap { pair in pair.1.map { (pair.0, $0) } }
        if set.count > 1 {
            throw KSecretError(.conflictingParameters, "only one of the selection options may be given; got \(set.map { "--" + $0.0.replacingBytes(of: "_", with: "-") }.joined(separator: " and "))")
        }
        return set.first
    }
}

/// Reads the input named by a FILE argument, or standard input for `-`.
enum Input {
    static func read(_ path: String) throws -> [UInt8] {
        if path == "-" { return try standardInput() }
        return try AtomicFile.read(path)
    }

    /// Standard input to its end.
    static func standardInput() throws -> [UInt8] {
        do { return try StandardStreams.readInput() } catch {
            throw KSecretError(.couldNotReadInputFile, "cannot read standard input", cause: error)
        }
    }
}

enum Output {
    static func write(_ bytes: [UInt8]) {
        StandardStreams.writeOutput(bytes)
    }
}

/// Finds `.sops.yaml` the way sops does: `--config`, then `$SOPS_CONFIG`, then upward from the
/// current directory.
enum ConfigLocator {
    static func load(explicit: String?, environment: KSecretEnvironment) throws -> SopsConfig? {
        if let path = explicit ?? environment["SOPS_CONFIG"] { return try SopsConfig.load(path: path) }
        guard let found = SopsConfig.find(from: environment.currentDirectory) else { return nil }
        return try SopsConfig.load(path: found)
    }
}
