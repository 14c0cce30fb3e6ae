import CLibPQ
import Foundation

/// An open libpq connection, owned: `PQfinish` runs in `deinit`. Wraps `PQconnectdbParams`,
/// `PQexec`, `PQescapeIdentifier`/`PQescapeLiteral` and `PQencryptPasswordConn`.
///
/// Connection settings go to libpq as keyword/value arrays (`PQconnectdbParams`), never as a
/// connection string, so the password is never in a string that could be logged or shown. No libpq
/// type leaves this file; failures are `PGFailure` values whose text has the password scrubbed.
final class PGConnection {
    private let conn: OpaquePointer
    /// Secrets to scrub from any message libpq gives back (libpq does not echo passwords, but the
    /// scrub costs nothing and holds whatever libpq's wording becomes).
    private let secrets: [String]

    /// Connects with `parameters` (libpq keywords: host, port, dbname, user, password, sslmode, ...).
    init(_ parameters: [(String, String)], expandDBName: Bool = false, extraSecrets: [String] = []) throws(PGFailure) {
        secrets = (parameters.filter { $0.0 == "password" }.map(\.1) + extraSecrets).filter { !$0.isEmpty }
        let keywords = parameters.map { strdup($0.0) } + [nil]
        let values = parameters.map { strdup($0.1) } + [nil]
        defer {
            for p in keywords { free(p) }
            for p in values {
                // The password's copy is wiped before it is freed.
                if let p { memset(p, 0, strlen(p)) }
                free(p)
            }
        }
        let connection: OpaquePointer? = keywords.map { $0.map { UnsafePointer($0) } }.withUnsafeBufferPointer { k in
            values.map { $0.map { UnsafePointer($0) } }.withUnsafeBufferPointer { v in
                PQconnectdbParams(k.baseAddress, v.baseAddress, expandDBName ? 1 : 0)
            }
        }
        guard let connection else { throw PGFailure(message: "out of memory", secrets: []) }
        if PQstatus(connection) != CONNECTION_OK {
            let failure = PGFailure(message: String(cString: PQerrorMessage(connection)), secrets: secrets)
            // Freed here: `conn` is not set yet, so `deinit` will not run for this object.
            PQfinish(connection)
            throw failure
        }
        conn = connection
    }

    /// Connects with a `postgres://` URL or a `key=value` connection string that came from somewhere
    /// other than a process argument (an environment variable); it is passed as libpq's expanded
    /// `dbname`, and scrubbed from any message as a whole.
    convenience init(connectionString: String) throws(PGFailure) {
        try self.init([("dbname", connectionString), ("application_name", "ksecret")], expandDBName: true,
                      extraSecrets: [connectionString] + PGConnection.passwords(in: connectionString))
    }

    deinit { PQfinish(conn) }

    /// The password of a `scheme://user:password@...` URL, raw and decoded, for scrubbing.
    private static func passwords(in url: String) -> [String] {
        guard let scheme = url.range(of: "://"), let at = url[scheme.upperBound...].firstIndex(of: "@") else { return [] }
        let userinfo = url[scheme.upperBound..<at]
        guard let colon = userinfo.firstIndex(of: ":") else { return [] }
        let raw = String(userinfo[userinfo.index(after: colon)...])
        return [raw, PercentEncoding.decode(raw)].compactMap { $0 }.filter { !$0.isEmpty }
    }

    /// The server's version as `major.minor` (from `PQserverVersion`).
    var serverVersion: String {
        let v = Int(PQserverVersion(conn))
        return v >= 100000 ? "\(v / 10000).\(v % 10000)" : "\(v / 10000).\(v / 100 % 100).\(v % 100)"
    }

    /// Whether the connection is encrypted with TLS (`PQsslInUse`).
    var tlsInUse: Bool { PQsslInUse(conn) == 1 }

    /// The TLS protocol version in use, e.g. `TLSv1.3` (`PQsslAttribute(conn, "protocol")`).
    var tlsProtocol: String? {
        guard tlsInUse, let p = PQsslAttribute(conn, "protocol") else { return nil }
        return String(cString: p)
    }

    /// Runs one command and returns the first column of the first row, if any (`PQexec`).
    @discardableResult
    func execute(_ sql: String) throws(PGFailure) -> String? {
        guard let result = PQexec(conn, sql) else { throw failure() }
        defer { PQclear(result) }
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
            throw PGFailure(message: String(cString: PQresultErrorMessage(result)), secrets: secrets)
        }
        guard status == PGRES_TUPLES_OK, PQntuples(result) > 0, PQnfields(result) > 0, PQgetisnull(result, 0, 0) == 0 else { return nil }
        return String(cString: PQgetvalue(result, 0, 0))
    }

    /// `name` quoted as an SQL identifier (`PQescapeIdentifier`).
    func quoteIdentifier(_ name: String) throws(PGFailure) -> String {
        guard let p = PQescapeIdentifier(conn, name, strlen(name)) else { throw failure() }
        defer { PQfreemem(p) }
        return String(cString: p)
    }

    /// `text` quoted as an SQL string literal (`PQescapeLiteral`).
    func quoteLiteral(_ text: String) throws(PGFailure) -> String {
        guard let p = PQescapeLiteral(conn, text, strlen(text)) else { throw failure() }
        defer { PQfreemem(p) }
        return String(cString: p)
    }

    /// The SCRAM-SHA-256 verifier of `password` for `user`, computed here (`PQencryptPasswordConn`), so
    /// the plaintext never travels to the server or into its logs.
    func scramVerifier(password: String, user: String) throws(PGFailure) -> String {
        guard let p = PQencryptPasswordConn(conn, password, user, "scram-sha-256") else { throw failure() }
        defer { PQfreemem(p) }
        return String(cString: p)
    }

    private func failure() -> PGFailure {
        PGFailure(message: String(cString: PQerrorMessage(conn)), secrets: secrets)
    }
}

/// A libpq failure: its message with every secret replaced by `***`, and the cause it points to.
struct PGFailure: Error, CustomStringConvertible {
    let message: String

    init(message: String, secrets: [String]) {
        var text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        for secret in secrets { text = text.replacingBytes(of: secret, with: "***") }
        self.message = text
    }

    var description: String { message }

    /// What went wrong, read from libpq's message (libpq has no error codes for connection failures).
    var cause: DatabaseFailureCause {
        let m = message.lowercased()
        if m.contains("password authentication failed") || m.contains("no password supplied") || m.contains("authentication failed") {
            return .authentication
        }
        if m.contains("no pg_hba.conf entry") || m.contains("pg_hba.conf rejects connection") {
            return m.contains("no encryption") || m.contains("ssl off") ? .tlsRequired : .authentication
        }
        if m.contains("does not exist") && m.contains("database") { return .databaseMissing }
        if m.contains("server does not support ssl") { return .tlsUnsupported }
        if m.contains("too many connections") { return .tooManyConnections }
        // Before the host checks: libpq puts "connection to server at … failed:" before TLS
        // failures too (a certificate that does not name the host, no CA file, an unknown CA).
        if m.contains("certificate") || m.contains("ssl error") { return .tls }
        if m.contains("connection refused") || m.contains("could not translate host name") || m.contains("timeout expired")
            || m.contains("no route to host") || m.contains("network is unreachable") || m.contains("could not connect")
            || m.contains("connection to server") && m.contains("failed") {
            return .unreachable
        }
        if m.contains("certificate") || m.contains("ssl") { return .tls }
        return .other
    }
}
