import KSecret

/// Why a database connection or command failed, and the wording for it.
///
/// Policy: this file holds the messages and hints for database failures, in one place. A message says
/// what failed and where (`user@host:port/name`), lowercase, no trailing period; libpq's own text
/// goes along as the cause (shown with KSECRET_VERBOSE), scrubbed of the password; no password
/// appears anywhere.
public enum DatabaseFailureCause: String, Sendable {
    case unreachable = "host unreachable"
    case authentication = "authentication failed"
    case databaseMissing = "database missing"
    case tlsRequired = "TLS required by the server"
    case tlsUnsupported = "TLS not supported by the server"
    case tls = "TLS failure"
    case tooManyConnections = "too many connections"
    case other = "connection failed"

    /// The exit code (Documentation/ExitCodes.md, "Credential flows").
    var code: KSecretError.Code {
        switch self {
        case .unreachable: return .databaseUnreachable
        case .authentication: return .databaseAuthenticationFailed
        case .databaseMissing: return .databaseNotFound
        case .tlsRequired, .tlsUnsupported, .tls: return .databaseTLS
        case .tooManyConnections, .other: return .databaseError
        }
    }

    var hint: String {
        switch self {
        case .unreachable: return "check host and port, that the server is running and listening there (listen_addresses), and any firewall"
        case .authentication: return "the user or password is wrong, or pg_hba.conf does not let this user in from here; rotate or fix the password in the file"
        case .databaseMissing: return "check `name` in the file; create the database or pick an existing one"
        case .tlsRequired: return "the server accepts only TLS connections from here: set sslmode to require (or verify-full) in the file"
        case .tlsUnsupported: return "the server has no TLS: enable ssl on the server, or set sslmode to prefer or disable in the file (traffic is then in clear)"
        case .tls: return "check the server's certificate and the sslmode in the file"
        case .tooManyConnections: return "the role or server has reached its connection limit; close other sessions or raise the limit"
        case .other: return "run with KSECRET_VERBOSE=1 to see libpq's message"
        }
    }
}

extension PGFailure {
    /// This failure as the library's error: `what` failed for `target`, with the cause and its hint.
    func error(_ what: String, target: String) -> KSecretError {
        let cause = self.cause
        var hints = [cause.hint]
        if cause == .other || cause == .tls { hints.insert("libpq: \(message)", at: 0) }
        return KSecretError(cause.code, "\(what) \(target): \(cause.rawValue)", hints: hints, cause: self)
    }
}
