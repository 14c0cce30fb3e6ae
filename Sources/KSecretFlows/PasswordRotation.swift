import Foundation
import KSecret
import KSecretCrypto

/// Rotates a PostgreSQL role's password and the encrypted file that holds it, as one step that
/// either completes or leaves both as they were.
///
/// Policy, in order:
/// 1. a new password is drawn from the CSPRNG (`PasswordGenerator`);
/// 2. a connection with the current credentials (or an admin URL) runs
///    `ALTER ROLE "user" PASSWORD 'SCRAM-SHA-256$...'`, the verifier computed here by
///    `PQencryptPasswordConn`, so the plaintext never reaches the server or its logs;
/// 3. a fresh login with the new password must succeed;
/// 4. the file is rewritten atomically with only the password leaf changed (its ciphertext, plus
///    the MAC and `lastmodified`), and only if nobody changed the file meanwhile;
/// 5. if 3 or 4 fails, the old password is set back on the server (over the connection of step 2,
///    or a new one when that one is gone, for up to `restoreWindow` seconds), the file is left as it
///    was, and the error says what happened and in which state things are.
///
/// Before step 2 the new file is also written beside the old one as `NAME.pending.EXT` (encrypted
/// like it, mode 0600): if the server took the new password and the old one cannot be set back, the
/// password the server holds is still in a file (`ksecret db check NAME.pending.EXT` shows it works).
/// The pending file is removed when the rotation completes or is undone.
public struct PasswordRotation {
    public var file: String
    public var format: FileFormat
    public var keyPath: [TreePath.Component]
    public var environment: KSecretEnvironment
    /// An admin connection (URL or connection string) to run the ALTER with, instead of the role itself.
    public var adminConnection: String?
    public var passwordLength = 40
    /// How long step 5 keeps trying to reach the server to set the old password back.
    public var restoreWindow: Double = 30
    /// Called with a step's name ("altered", "restoring") when it is reached; tests pause there to
    /// stop or start the server between steps.
    public var checkpoint: (String) -> Void = { _ in }
    /// Progress lines ("connected", "changed", ...), never with a secret in them.
    public var log: (String) -> Void = { _ in }

    public init(file: String, format: FileFormat, keyPath: [TreePath.Component] = DatabaseCredentials.defaultKeyPath,
                environment: KSecretEnvironment = KSecretEnvironment()) {
        self.file = file
        self.format = format
        self.keyPath = keyPath
        self.environment = environment
    }

    public struct Report: Sendable {
        public var role: String
        public var target: String
        public var passwordLength: Int
        public var duration: Duration
    }

    /// Reads the file and connects as the rotation would, then says what it would do; changes nothing.
    public func dryRun() throws -> [String] {
        let (_, _, credentials) = try load()
        let via = adminConnection != nil ? "the admin connection" : "the current credentials"
        _ = try connectForAlter(credentials)
        return [
            "would connect to \(credentials.summary) with \(via) (done: it connects)",
            "would set a new \(passwordLength)-character password for role \(credentials.user), hashed here with scram-sha-256",
            "would check a fresh login as \(credentials.user) with the new password on \(credentials.host):\(credentials.port)",
            "would write \(TreePath.render(keyPath + [.key("password")])) in \(file) (only that value, the mac and lastmodified change)",
            "dry run: nothing was changed",
        ]
    }

    /// `NAME.pending.EXT` beside `NAME.EXT`: the new file, kept while the server may hold a password
    /// the file does not. The extension stays last, so the format is still read from the name.
    public var pendingFile: String {
        let url = URL(fileURLWithPath: file)
        let ext = url.pathExtension
        guard !ext.isEmpty else { return file + ".pending" }
        return String(file.dropLast(ext.count + 1)) + ".pending." + ext
    }

    public func run(clock: ContinuousClock = ContinuousClock()) throws -> Report {
        let start = clock.now
        let (bytes, opened, credentials) = try load()
        let engine = SecretsEngine(environment: environment)
        let newPassword = PasswordGenerator.urlSafe(length: passwordLength, random: SecureBytes.random)
        let passwordPath = keyPath + [.key("password")]
        // Prepared before the server changes, so a document problem cannot strand a new password.
        let newBytes = try engine.reseal(opened, document: opened.document.setting(.string(newPassword), at: passwordPath))

        let conn = try connectForAlter(credentials)
        log("connected to \(credentials.summary)\(adminConnection != nil ? " (admin connection)" : "")")
        do {
            try AtomicFile.write(newBytes, to: pendingFile, mode: 0o600)
        } catch let error as KSecretError {
            throw KSecretError(.couldNotWriteOutputFile, "cannot write \(pendingFile) before changing the password: \(error.message)",
                               hints: ["nothing was changed: the server and \(file) still have the old password"], cause: error)
        }
        do {
            try setPassword(newPassword, of: credentials.user, over: conn)
        } catch {
            removePending()
            let denied = error.message.lowercased().contains("permission denied")
            var hints = ["nothing was changed: the server and \(file) still have the old password"]
            if denied || adminConnection == nil {
                hints.append(adminConnection == nil ? "the role may lack the right to change its password; try --admin-url-env"
                                                    : "the admin role may not change this role's password: it needs CREATEROLE or superuser")
            }
            hints.append("libpq: \(error.message)")
            throw KSecretError(denied ? .databaseError : error.cause.code,
                               "cannot change the password of role \(credentials.user) on \(credentials.summary): \(denied ? "permission denied" : error.cause.rawValue)",
                               hints: hints, cause: error)
        }
        log("changed the password of role \(credentials.user) on the server")
        checkpoint("altered")

        do {
            let fresh = try PGConnection(credentials.connectionParameters(password: newPassword))
            try fresh.execute("SELECT 1")
        } catch {
            throw restore(credentials, newPassword: newPassword, over: conn, after: "a fresh login with the new password failed (\(error.cause.rawValue))",
                          libpq: error)
        }
        log("a fresh login with the new password works")

        do {
            let current = try AtomicFile.read(file)
            guard current == bytes else {
                throw KSecretError(.couldNotWriteOutputFile, "\(file) changed while the password was being rotated")
            }
            try AtomicFile.write(newBytes, to: file)
        } catch let error as KSecretError {
            throw restore(credentials, newPassword: newPassword, over: conn, after: "writing \(file) failed (\(error.message))", libpq: nil)
        }
        removePending()
        log("wrote the new password into \(file)")
        return Report(role: credentials.user, target: credentials.summary, passwordLength: newPassword.count, duration: clock.now - start)
    }

    // MARK: Steps

    private func load() throws -> ([UInt8], OpenedFile, DatabaseCredentials) {
        let bytes = try AtomicFile.read(file)
        let opened = try SecretsEngine(environment: environment).open(bytes, path: file, format: format)
        let credentials = try DatabaseCredentials(document: opened.document, keyPath: keyPath, file: file)
        return (bytes, opened, credentials)
    }

    private func connectForAlter(_ credentials: DatabaseCredentials, password: String? = nil) throws -> PGConnection {
        do {
            if let adminConnection { return try PGConnection(connectionString: adminConnection) }
            return try PGConnection(credentials.connectionParameters(password: password))
        } catch {
            let target = adminConnection != nil ? "the admin connection for" : ""
            var e = error.error("cannot connect to", target: "\(target) \(credentials.summary)".trimmingCharacters(in: .whitespaces))
            e.hints.append("nothing was changed")
            throw e
        }
    }

    private func setPassword(_ password: String, of role: String, over conn: PGConnection) throws(PGFailure) {
        let verifier = try conn.scramVerifier(password: password, user: role)
        try conn.execute("ALTER ROLE \(try conn.quoteIdentifier(role)) PASSWORD \(try conn.quoteLiteral(verifier))")
    }

    private func removePending() {
        unlink(pendingFile)
    }

    /// Step 5: the old password back on the server, over `conn` or, when that connection is gone,
    /// a new one (admin, or the role with the new password, then the old one in case the change
    /// never took), retried with backoff within `restoreWindow`. The error to throw says how it went.
    private func restore(_ credentials: DatabaseCredentials, newPassword: String, over conn: PGConnection, after what: String,
                         libpq: PGFailure?) -> KSecretError {
        checkpoint("restoring")
        var lastFailure: PGFailure?
        var restored = false
        do {
            try setPassword(credentials.password, of: credentials.user, over: conn)
            restored = true
        } catch {
            lastFailure = error
            log("the connection is gone (\(error.cause.rawValue)); reconnecting to set the old password back")
        }
        let deadline = Date().addingTimeInterval(restoreWindow)
        var delay = 0.25
        while !restored {
            for password in [newPassword, credentials.password] {
                do {
                    let again = adminConnection != nil ? try PGConnection(connectionString: adminConnection!)
                                                       : try PGConnection(credentials.connectionParameters(password: password))
                    try setPassword(credentials.password, of: credentials.user, over: again)
                    restored = true
                    break
                } catch {
                    lastFailure = error
                    if adminConnection != nil { break }
                }
            }
            if restored || Date().addingTimeInterval(delay) > deadline { break }
            Thread.sleep(forTimeInterval: delay)
            delay = min(delay * 2, 4)
        }
        guard restored else {
            return KSecretError(.rotationUnresolved,
                                "rotation failed: \(what), and setting the old password back failed too (\(lastFailure?.cause.rawValue ?? "unknown"))",
                                hints: ["role \(credentials.user) on \(credentials.summary) may now have the new password; \(file) was not changed",
                                        "the new password is kept encrypted in \(pendingFile): once the server is back, `ksecret db check \(pendingFile)`; if it connects, move it over \(file), else delete it"]
                                    + (libpq.map { ["libpq: \($0.message)"] } ?? []), cause: lastFailure)
        }
        removePending()
        log("restored the old password on the server")
        return KSecretError(.rotationRolledBack, "rotation failed: \(what)",
                            hints: ["the old password was restored on the server and \(file) was not changed: everything is as before"]
                                + (libpq.map { [$0.cause.hint] } ?? []), cause: libpq)
    }
}

/// Random passwords for rotation.
public enum PasswordGenerator {
    /// The URL-safe base64 alphabet: no character needs quoting in a URL, a shell or YAML.
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")

    /// `length` characters, 6 bits of randomness each (a byte's low 6 bits: 64 divides 256, so no bias).
    public static func urlSafe(length: Int, random: (Int) -> [UInt8] = SecureBytes.random) -> String {
        var bytes = random(length)
        defer { SecureBytes.zero(&bytes) }
        return String(bytes.map { alphabet[Int($0 & 63)] })
    }
}
