import KSecretSystem
import KSecretPGP

/// PGP master keys (Format.md §5.1): the data key (or a Shamir share) encrypted to one fingerprint
/// with GnuPG through GPGME, stored as `{created_at, enc, fp}` exactly as sops writes it.
///
/// The GnuPG home is `GNUPGHOME` from the environment value (GPGME's default, `~/.gnupg`, when
/// unset); decryption goes through the user's gpg-agent, which asks for passphrases with pinentry.
/// All PGP wording of ksecret's messages lives here.
enum PGPKeys {
    /// A fingerprint as stored in `fp`: as given, spaces removed (as sops does).
    static func normalized(_ fingerprint: String) -> String {
        fingerprint.filter { !$0.isWhitespace }
    }

    /// Whether two fingerprints name the same key: case-insensitive, spaces ignored.
    static func same(_ a: String, _ b: String) -> Bool {
        normalized(a).uppercased() == normalized(b).uppercased()
    }

    static func keyring(_ environment: KSecretEnvironment) -> PGPKeyring {
        PGPKeyring(homeDirectory: environment["GNUPGHOME"])
    }

    static func home(_ environment: KSecretEnvironment) -> String {
        environment["GNUPGHOME"] ?? "~/.gnupg"
    }

    /// Encrypts `secret` to `fingerprint`. gpg's armor ends with a newline, which sops trims (its
    /// `enc` is a `|-` block in YAML); so does this.
    static func wrap(_ secret: [UInt8], to fingerprint: String, createdAt: String, environment: KSecretEnvironment) throws -> PGPKeyEntry {
        let fp = normalized(fingerprint)
        do {
            let armored = try keyring(environment).encrypt(secret, to: [fp])
            var enc = Substring(armored)
            while let last = enc.last, last.isWhitespace { enc = enc.dropLast() }
            return PGPKeyEntry(createdAt: createdAt, enc: String(enc), fp: fp)
        } catch {
            throw encryptionError(error, fingerprint: fp, environment: environment)
        }
    }

    /// The secret in one entry, or why it could not be had.
    static func unwrap(_ entry: PGPKeyEntry, environment: KSecretEnvironment) throws(PGPError) -> [UInt8] {
        try keyring(environment).decrypt(Array(entry.enc.utf8))
    }

    /// sops exits 1 when it cannot encrypt the data key to a key it was given; so does ksecret.
    static func encryptionError(_ error: PGPError, fingerprint fp: String, environment: KSecretEnvironment) -> KSecretError {
        let home = "GnuPG home: \(home(environment))"
        switch error {
        case .keyNotFound:
            return KSecretError(.generic, "cannot encrypt the data key to PGP key \(fp): no such public key in the keyring",
                                hints: ["import the key (gpg --import) or check the fingerprint (gpg --list-keys)", home])
        case .ambiguousKey:
            return KSecretError(.generic, "cannot encrypt the data key to PGP key \(fp): it matches more than one key",
                                hints: ["give the full 40-character fingerprint", home])
        case .keyUnusable(_, let problem):
            let hint: String
            switch problem {
            case .expired: hint = "extend it (gpg --quick-set-expire \(fp) 1y) or use another key"
            case .revoked: hint = "a revoked key must not be used again: remove it from the rule or with --rm-pgp"
            case .disabled: hint = "enable it in gpg --edit-key, or use another key"
            case .invalid, .cannotEncrypt: hint = "use a key with a valid encryption subkey (gpg --list-keys \(fp))"
            }
            return KSecretError(.generic, "refusing to encrypt the data key to PGP key \(fp): the key is \(problem.rawValue)",
                                hints: [hint, home], cause: error.cause)
        case .recipientRejected(_, let cause):
            return KSecretError(.generic, "cannot encrypt the data key to PGP key \(fp): gpg rejected the key (\(cause.message.lowercased()))",
                                hints: [home], cause: cause)
        case .unavailable(let reason, let cause):
            return KSecretError(.generic, "cannot use PGP keys: \(reason)", hints: ["install GnuPG (Debian package gnupg)"], cause: cause)
        default:
            return KSecretError(.generic, "cannot encrypt the data key to PGP key \(fp)", hints: [home], cause: error.cause ?? error)
        }
    }

    /// Why one entry did not open, as a report line, and whether the user can act on it (a locked
    /// key, a missing agent) rather than the plain "this keyring has no such secret key".
    static func decryptionProblem(_ error: PGPError, fingerprint fp: String) -> (line: String, hints: [String], actionable: Bool) {
        switch error {
        case .noSecretKey:
            return ("no secret key for PGP key \(fp)", [], false)
        case .pinentryUnavailable:
            return ("PGP key \(fp) needs its passphrase and no pinentry could ask for it",
                    ["run from a terminal with GPG_TTY set (export GPG_TTY=$(tty)) and a pinentry installed, or unlock the key in gpg-agent first"], true)
        case .badPassphrase:
            return ("bad passphrase for PGP key \(fp)", ["try again; gpg-agent asks through pinentry"], true)
        case .canceled:
            return ("the passphrase prompt for PGP key \(fp) was canceled", [], true)
        case .agentUnavailable:
            return ("gpg-agent is not running and could not be started, so the secret key of PGP key \(fp) cannot be used",
                    ["start it with gpgconf --launch gpg-agent, and check that gpg.conf has no no-autostart"], true)
        case .unavailable(let reason, _):
            return ("cannot use PGP keys: \(reason)", ["install GnuPG (Debian package gnupg)"], true)
        case .malformedMessage:
            return ("the PGP-encrypted data key of \(fp) is damaged", [], true)
        default:
            return ("PGP key \(fp) failed: \(error)", [], true)
        }
    }
}
