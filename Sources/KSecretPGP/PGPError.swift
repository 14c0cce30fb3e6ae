/// What went wrong with a PGP operation, by what a user can do about it.
///
/// Cases carry fingerprints and key IDs (public), never key material or plaintext. The wording of
/// user-facing messages belongs to the caller (ksecret's `PGPKeys`); `GPGMEError` is the cause.
public enum PGPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Why a key cannot be encrypted to.
    public enum KeyProblem: String, Sendable, Equatable {
        case expired, revoked, disabled, invalid
        /// The key has no subkey that may encrypt.
        case cannotEncrypt = "not usable for encryption"
    }

    /// The installed GPGME is older than the one ksecret needs, or gpg itself cannot be run.
    case unavailable(reason: String, cause: GPGMEError?)
    /// No public key with this fingerprint in the keyring.
    case keyNotFound(fingerprint: String)
    /// The fingerprint matches more than one key.
    case ambiguousKey(fingerprint: String)
    /// The key exists but must not be encrypted to.
    case keyUnusable(fingerprint: String, problem: KeyProblem)
    /// gpg refused the key when encrypting (its reason is the cause).
    case recipientRejected(fingerprint: String, cause: GPGMEError)
    /// The message is encrypted to none of the secret keys in the keyring; the key IDs it names.
    case noSecretKey(keyIDs: [String])
    /// gpg-agent could not be reached or started.
    case agentUnavailable(cause: GPGMEError)
    /// The secret key needs a passphrase and no pinentry could ask for it.
    case pinentryUnavailable(cause: GPGMEError)
    /// The passphrase given to pinentry was wrong.
    case badPassphrase(cause: GPGMEError)
    /// The user dismissed the pinentry dialog.
    case canceled(cause: GPGMEError)
    /// The input is not an OpenPGP message.
    case malformedMessage(cause: GPGMEError)
    /// Anything else, with the GPGME call that failed.
    case failed(call: String, cause: GPGMEError)

    /// The GPGME error behind this one, if any.
    public var cause: GPGMEError? {
        switch self {
        case .unavailable(_, let cause): return cause
        case .keyNotFound, .ambiguousKey, .keyUnusable, .noSecretKey: return nil
        case .recipientRejected(_, let cause), .agentUnavailable(let cause), .pinentryUnavailable(let cause),
             .badPassphrase(let cause), .canceled(let cause), .malformedMessage(let cause), .failed(_, let cause):
            return cause
        }
    }

    public var description: String {
        switch self {
        case .unavailable(let reason, _): return "GnuPG unavailable: \(reason)"
        case .keyNotFound(let fp): return "no public key \(fp)"
        case .ambiguousKey(let fp): return "\(fp) matches several keys"
        case .keyUnusable(let fp, let problem): return "key \(fp) is \(problem.rawValue)"
        case .recipientRejected(let fp, _): return "gpg rejected key \(fp)"
        case .noSecretKey(let ids): return "no secret key for \(ids.joined(separator: ", "))"
        case .agentUnavailable: return "gpg-agent unavailable"
        case .pinentryUnavailable: return "no pinentry to ask for the passphrase"
        case .badPassphrase: return "bad passphrase"
        case .canceled: return "canceled"
        case .malformedMessage: return "not an OpenPGP message"
        case .failed(let call, _): return "\(call) failed"
        }
    }
}
