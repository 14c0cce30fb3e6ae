import KSecretSystem
import KSecretAge
import KSecretCrypto

/// age identities from every place sops looks (Format.md §8), loaded once and on first use: ssh
/// keys (`SOPS_AGE_SSH_PRIVATE_KEY_FILE`, `~/.ssh/id_ed25519`, `~/.ssh/id_rsa`), `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY_CMD`, and the default key file
/// `$XDG_CONFIG_HOME/sops/age/keys.txt` (else `~/.config/sops/age/keys.txt`).
public final class AgeKeyring {
    private let environment: KSecretEnvironment
    private var loaded: [any AgeIdentity]?
    private var searched: [String] = []

    init(environment: KSecretEnvironment) {
        self.environment = environment
    }

    /// The armored age file of `secret` for one recipient, as sops stores it in `enc`.
    static func wrap(_ secret: [UInt8], to recipient: String) throws -> String {
        let parsed: any AgeRecipient
        do { parsed = try AgeKeyFile.parseRecipient(recipient) } catch {
            throw KSecretError(.generic, "invalid age recipient \(recipient)", hints: ["an X25519 recipient starts with age1; ssh-ed25519 and ssh-rsa public keys (authorized_keys lines) also work"], cause: error)
        }
        do {
            let armored = try Age.encrypt(secret, to: [parsed], armor: true)
            return String(decoding: armored, as: UTF8.self)
        } catch {
            throw KSecretError(.generic, "cannot encrypt the data key to \(recipient)", cause: error)
        }
    }

    /// The secret in `enc`, or nil when no identity at hand matches it.
    func unwrap(_ enc: String) throws -> [UInt8]? {
        let identities = try self.identities()
        guard !identities.isEmpty else { return nil }
        do {
            return try Age.decrypt(Array(enc.utf8), identities: identities)
        } catch let error as AgeError {
            if case .noMatch = error { return nil }
            if case .unsupportedKey(let what) = error {
                throw KSecretError(.couldNotRetrieveKey, what, hints: ["decrypt the key first (ssh-keygen -p -N '' -f COPY on a private copy) or use an age key"])
            }
            throw KSecretError(.couldNotRetrieveKey, "the age-encrypted data key is damaged", cause: error)
        }
    }

    func searchedHint() -> [String] {
        if searched.isEmpty { return ["no age identities were found: set SOPS_AGE_KEY_FILE, SOPS_AGE_KEY or SOPS_AGE_KEY_CMD"] }
        return ["looked for age identities in: " + searched.joined(separator: ", ")]
    }

    private func identities() throws -> [any AgeIdentity] {
        if let loaded { return loaded }
        var result: [any AgeIdentity] = []
        result += sshIdentities()
        // The sources carry the names sops gives them (and uses as gpg-agent cache keys).
        if let text = environment["SOPS_AGE_KEY"] {
            searched.append("SOPS_AGE_KEY")
            result += try parse(Array(text.utf8), source: "SOPS_AGE_KEY", cacheID: "SOPS_AGE_KEY")
        }
        if let file = environment["SOPS_AGE_KEY_FILE"] {
            searched.append(file)
            result += try parse(try readKeyFile(file), source: "SOPS_AGE_KEY_FILE (\(file))", cacheID: "SOPS_AGE_KEY_FILE")
        }
        if let command = environment["SOPS_AGE_KEY_CMD"] {
            searched.append("SOPS_AGE_KEY_CMD")
            let output = try environment.keyCommandOutputs.map { try $0.output(of: command) { try run(command) } } ?? run(command)
            result += try parse(output, source: "SOPS_AGE_KEY_CMD", cacheID: "SOPS_AGE_KEY_CMD")
        }
        let configHome = environment["XDG_CONFIG_HOME"] ?? (environment.homeDirectory + "/.config")
        let defaultFile = configHome + "/sops/age/keys.txt"
        searched.append(defaultFile)
        if FileManager.default.fileExists(atPath: defaultFile) {
            result += try parse(try readKeyFile(defaultFile), source: defaultFile, cacheID: defaultFile)
        }
        loaded = result
        return result
    }

    /// The ssh identities, as sops 3.11 loads them: `SOPS_AGE_SSH_PRIVATE_KEY_FILE` when set, and
    /// also `~/.ssh/id_ed25519` and `~/.ssh/id_rsa` when they exist.
    private func sshIdentities() -> [any AgeIdentity] {
        var paths: [String] = []
        if let path = environment["SOPS_AGE_SSH_PRIVATE_KEY_FILE"] { paths.append(path) }
        for name in ["id_ed25519", "id_rsa"] {
            let path = environment.homeDirectory + "/.ssh/" + name
            if FileManager.default.fileExists(atPath: path) { paths.append(path) }
        }
        searched += paths
        return paths.map { LazySSHIdentity(path: $0) }
    }

    private func readKeyFile(_ path: String) throws -> [UInt8] {
        try AtomicFile.read(path, what: "the age key file", failure: .couldNotRetrieveKey)
    }

    /// What an identity file holds, for errors about one that does not read.
    static let identityLinesHint = "an identity line starts with AGE-SECRET-KEY-1; comments start with #"

    /// An identity file's identities, or one passphrase-protected file (opened when first needed).
    private func parse(_ bytes: [UInt8], source: String, cacheID: String) throws -> [any AgeIdentity] {
        if EncryptedAgeIdentities.isEncrypted(bytes) {
            return [EncryptedAgeIdentities(source: source, cacheID: cacheID, contents: bytes, environment: environment)]
        }
        do { return try AgeKeyFile.parseIdentities(bytes, skippingUnsupported: true).identities } catch {
            throw Self.identityError(error, code: .couldNotRetrieveKey, source: source, hints: [Self.identityLinesHint])
        }
    }

    /// Reading an identity derives its public key with libcrypto. When libcrypto itself fails (a
    /// broken configuration file named by `OPENSSL_CONF`, a provider that does not load), the file is not to
    /// blame: say so, with libcrypto's reason (never key material), instead of the file's format.
    static func identityError(_ error: any Error, code: KSecretError.Code, source: String, hints: [String]) -> KSecretError {
        if let crypto = error as? CryptoError, case .library = crypto {
            return KSecretError(code, "libcrypto failed while reading the age identities from \(source): \(crypto)",
                                hints: ["check the OpenSSL configuration file OPENSSL_CONF names (ksecret reads no other)"],
                                cause: error)
        }
        return KSecretError(code, "cannot read age identities from \(source)", hints: hints, cause: error)
    }

    /// Runs `SOPS_AGE_KEY_CMD` without a shell (split like a shell would) and returns its output.
    private func run(_ command: String) throws -> [UInt8] {
        let argv = ShellWordSplitter.split(command)
        guard !argv.isEmpty else { throw KSecretError(.couldNotRetrieveKey, "SOPS_AGE_KEY_CMD is empty") }
        let result: ChildProcess.Result
        do {
            // Its standard input and error stay the terminal's: it may ask for a passphrase.
            result = try ChildProcess.run("/usr/bin/env", argv, stdin: .inherit, stderr: .inherit)
        } catch {
            throw KSecretError(.couldNotRetrieveKey, "cannot run SOPS_AGE_KEY_CMD (\(argv[0]))", cause: error)
        }
        guard result.succeeded else {
            throw KSecretError(.couldNotRetrieveKey, "SOPS_AGE_KEY_CMD (\(argv[0])) exited with status \(result.status)")
        }
        return result.stdout
    }

    // MARK: keygen

    /// A new identity file in age-keygen's layout, and its recipient.
    public static func generateIdentityFile(now: String) -> (text: String, recipient: String) {
        let (identity, recipient) = AgeKeyGen.generate()
        return ("# created: \(now)\n# public key: \(recipient)\n\(identity)\n", recipient)
    }

    /// The recipients of every identity in an identity file (`keygen -y`).
    public static func recipients(ofIdentityFile text: String, path: String) throws -> [String] {
        do {
            return try AgeKeyFile.parseIdentities(Array(text.utf8), skippingUnsupported: true).identities
                .compactMap { ($0 as? X25519Identity)?.recipient.string }
        } catch {
            throw identityError(error, code: .couldNotReadInputFile, source: path, hints: [])
        }
    }
}

/// Splits a command line into words like a POSIX shell (spaces, quotes, backslash), without running one.
public enum ShellWordSplitter {
    public static func split(_ text: String) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for c in text {
            if escaped { current.append(c); escaped = false; inWord = true; continue }
            if c == "\\" && quote != "'" { escaped = true; continue }
            if let q = quote {
                if c == q { quote = nil } else { current.append(c) }
                continue
            }
            if c == "'" || c == "\"" { quote = c; inWord = true; continue }
            if c == " " || c == "\t" || c == "\n" {
                if inWord { words.append(current); current = ""; inWord = false }
                continue
            }
            current.append(c)
            inWord = true
        }
        if inWord { words.append(current) }
        return words
    }
}

/// An ssh private key file as an age identity, read and parsed only when a file has an ssh stanza:
/// a decrypt of an X25519-only file (every helm render) never touches `~/.ssh/id_rsa`.
final class LazySSHIdentity: AgeIdentity, @unchecked Sendable {
    let path: String
    private var parsed: (any AgeIdentity)?

    init(path: String) { self.path = path }

    func unwrap(stanzas: [AgeStanza]) throws -> [UInt8]? {
        guard stanzas.contains(where: { $0.type == "ssh-ed25519" || $0.type == "ssh-rsa" }) else { return nil }
        if parsed == nil {
            let data = try AtomicFile.read(path, what: "the ssh private key", failure: .couldNotRetrieveKey)
            do { parsed = try SSHPrivateKey.parseIdentity(data) } catch {
                throw KSecretError(.couldNotRetrieveKey, "cannot use the ssh private key \(path) as an age identity",
                                   hints: ["ksecret reads OpenSSH ed25519 and RSA keys and PEM RSA keys"], cause: error)
            }
        }
        return try parsed!.unwrap(stanzas: stanzas)
    }
}
