/// The one error type of KSecretAge. Its cases are the decryption outcome classes of the CCTV
/// vectors (age-format.md §7), plus key parsing and encryption misuse.
///
/// Message policy: lowercase, no trailing period, says what failed and where (a line number for
/// key files), and never contains key material, passphrases or plaintext. All wording for this
/// module lives in the call sites' short strings and in `message` below.
public enum AgeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The ASCII armor is malformed. Wins over every other class, even mid-payload.
    case armor(String)
    /// The header is malformed, a recognised stanza is structurally invalid, or the payload
    /// nonce is missing.
    case header(String)
    /// No identity unwrapped the file key; carries the stanza types found in the header.
    case noMatch([String])
    /// A file key was unwrapped but the header MAC does not verify.
    case headerMAC
    /// STREAM decryption failed; chunks released before the failure stay released.
    case payload(String)
    /// A key form that is recognised but not supported yet (ssh, post-quantum, plugins).
    case unsupportedKey(String)
    /// A malformed key, identity file or recipients list.
    case invalidKey(String)
    /// An encryption request that age forbids (no recipients, scrypt mixed with others).
    case invalidRecipients(String)

    public var message: String {
        switch self {
        case .armor(let what): return "invalid armor: \(what)"
        case .header(let what): return "invalid header: \(what)"
        case .noMatch(let types):
            if types.isEmpty { return "no identity matched any of the recipients" }
            return "no identity matched any of the recipients (stanza types: \(types.joined(separator: ", ")))"
        case .headerMAC: return "header MAC does not verify: the file was tampered with or is corrupt"
        case .payload(let what): return "payload decryption failed: \(what)"
        case .unsupportedKey(let what): return what
        case .invalidKey(let what): return what
        case .invalidRecipients(let what): return what
        }
    }

    /// A suggestion for the user, when there is a useful one.
    public var hint: String? {
        switch self {
        case .noMatch(let types) where types == ["scrypt"]:
            return "the file is encrypted with a passphrase"
        case .noMatch:
            return "check that the identity file holds the key of one of the file's recipients"
        case .unsupportedKey:
            return "use a native age X25519 key (age-keygen) instead"
        default:
            return nil
        }
    }

    public var description: String { message }
}
