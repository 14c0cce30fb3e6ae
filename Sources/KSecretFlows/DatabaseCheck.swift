import Foundation
import KSecret

/// What `ksecret db check` found: the server answered `SELECT 1` over a connection made with the
/// file's credentials.
public struct DatabaseCheckReport: Sendable {
    public var serverVersion: String
    public var tlsInUse: Bool
    /// e.g. `TLSv1.3`, when TLS is in use.
    public var tlsProtocol: String?
    /// Time to connect (TCP, TLS, authentication), and the round trip of `SELECT 1`.
    public var connectTime: Duration
    public var roundTrip: Duration
}

/// Connects with a file's database credentials and runs `SELECT 1`.
public enum DatabaseCheck {
    public static func run(_ credentials: DatabaseCredentials, clock: ContinuousClock = ContinuousClock()) throws -> DatabaseCheckReport {
        let start = clock.now
        let conn: PGConnection
        do { conn = try PGConnection(credentials.connectionParameters()) } catch {
            throw error.error("cannot connect to", target: credentials.summary)
        }
        let connected = clock.now
        do {
            let answer = try conn.execute("SELECT 1")
            guard answer == "1" else {
                throw KSecretError(.generic, "unexpected answer to SELECT 1 from \(credentials.summary)")
            }
        } catch let error as PGFailure {
            throw error.error("SELECT 1 failed on", target: credentials.summary)
        }
        let done = clock.now
        return DatabaseCheckReport(serverVersion: conn.serverVersion, tlsInUse: conn.tlsInUse, tlsProtocol: conn.tlsProtocol,
                                   connectTime: connected - start, roundTrip: done - connected)
    }
}
