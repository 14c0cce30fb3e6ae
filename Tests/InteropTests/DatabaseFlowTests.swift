import Foundation
import Testing

/// `ksecret db url|check|rotate` against a real PostgreSQL started for each test (PostgresCluster:
/// initdb in a temporary directory, loopback port, scram-sha-256). Serialized: one server at a time.
@Suite("db flows against a real PostgreSQL", .serialized,
       .enabled(if: Peers.ksecret != nil && PostgresCluster.available, "needs a built ksecret and PostgreSQL's initdb and psql (make deps)"))
struct DatabaseFlowTests {
    static let psql = Peers.find("psql") ?? "psql"

    func readFile(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    func output(_ r: Peers.Result) -> String { r.text + r.stderr }

    @Test("db url: psql logs in with it for passwords, users and names holding @ : / % ? # ' \" \\ spaces and UTF-8; --format env")
    func url() throws {
        let pg = try PostgresCluster.start()
        defer { pg.stop() }
        let w = try FlowsWorkspace.make()
        defer { w.remove() }
        let cases = [("app", "app", "p@ss:w/rd %?x y"), ("web:user@1", "my db/1", "a%41+b?c#d&e=f'g\"h\\i é ü")]
        for (i, (user, database, password)) in cases.enumerated() {
            try pg.createRole(user, password: password, database: database)
            let file = try w.encrypted("s\(i).yaml", yaml: "db:\n" + FlowsWorkspace.dbYAML(port: pg.port, name: database, user: user, password: password))
            let r = try w.ksecret(["db", "url", file])
            try #require(r.status == 0, "\(r.stderr)")
            let url = r.text.trimmingCharacters(in: .newlines)
            #expect(url.hasPrefix("postgres://") && url.hasSuffix("@127.0.0.1:\(pg.port)/\(database.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)?sslmode=disable"))
            let login = try Peers.run(Self.psql, ["-X", "-At", url, "-c", "SELECT current_user || '|' || current_database()"])
            #expect(login.status == 0, "\(login.stderr)")
            #expect(login.text.trimmingCharacters(in: .newlines) == "\(user)|\(database)")
            let env = try w.ksecret(["db", "url", "--format", "env", file])
            #expect(env.text == "DATABASE_URL=\(url)\n")
        }
    }

    @Test("a Unix-domain socket directory as host: psql logs in with db url's URL, and db check connects")
    func socketHost() throws {
        let pg = try PostgresCluster.start()
        defer { pg.stop() }
        let w = try FlowsWorkspace.make()
        defer { w.remove() }
        let password = "sock-Secret/\(UUID().uuidString)"
        try pg.createRole("app", password: password, database: "app")
        // The server's socket directory (unix_socket_directories) is the cluster's root.
        let file = try w.encrypted("socket.yaml", yaml: "db:\n" + FlowsWorkspace.dbYAML(host: pg.root.path, port: pg.port, name: "app",
                                                                                       user: "app", password: password))
        let r = try w.ksecret(["db", "url", file])
        try #require(r.status == 0, "\(r.stderr)")
        let url = r.text.trimmingCharacters(in: .newlines)
        #expect(url.contains("@" + pg.root.path.replacingOccurrences(of: "/", with: "%2F") + ":\(pg.port)/app?"), "\(url)")
        let login = try Peers.run(Self.psql, ["-X", "-At", url, "-c", "SELECT current_user || '|' || (inet_server_addr() IS NULL)::text"])
        #expect(login.status == 0, "\(login.stderr)")
        #expect(login.text.trimmingCharacters(in: .newlines) == "app|true")   // no server address: a socket
        let check = try w.ksecret(["db", "check", file])
        #expect(check.status == 0, "\(check.stderr)")
    }

    @Test("db check over TLS: require and verify-full against the server's CA connect; a certificate that does not name the host, or no CA, is a TLS failure, not an unreachable host")
    func checkTLS() throws {
        let pg = try PostgresCluster.start(tls: true)
        defer { pg.stop() }
        let w = try FlowsWorkspace.make()
        defer { w.remove() }
        let password = "tls-Secret-\(UUID().uuidString)"
        try pg.createRole("app", password: password, database: "app")
        func file(_ name: String, host: String, sslmode: String) throws -> String {
            try w.encrypted(name, yaml: "db:\n" + FlowsWorkspace.dbYAML(host: host, port: pg.port, name: "app", user: "app", password: password, sslmode: sslmode))
        }
        let ca = try #require(pg.caFile)
        // No ~/.postgresql of the runner's: libpq looks for root.crt under HOME.
        let home = ["HOME": w.dir.path]

        for (name, host, sslmode, variables) in [("require.yaml", "127.0.0.1", "require", home),
                                                 ("verify.yaml", "localhost", "verify-full", home.merging(["PGSSLROOTCERT": ca]) { $1 })] {
            let r = try w.ksecret(["db", "check", try file(name, host: host, sslmode: sslmode)], environment: variables)
            #expect(r.status == 0, "\(sslmode): \(r.stderr)")
            #expect(r.text.contains("tls: yes (TLSv1.3)"), "\(sslmode): \(r.text)")
        }

        let otherCA = w.dir.appendingPathComponent("other-ca.crt").path
        let made = try Peers.run(try #require(Peers.find("openssl")), ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                                                                        "-nodes", "-keyout", w.dir.appendingPathComponent("other-ca.key").path,
                                                                        "-out", otherCA, "-days", "2", "-subj", "/CN=another CA"])
        try #require(made.status == 0, "\(made.stderr)")
        let failures: [(file: String, variables: [String: String], libpq: String)] = [
            (try file("ip.yaml", host: "127.0.0.1", sslmode: "verify-full"), home.merging(["PGSSLROOTCERT": ca]) { $1 }, "does not match host name"),
            (try file("noca.yaml", host: "localhost", sslmode: "verify-full"), home, "root certificate file"),
            (try file("otherca.yaml", host: "localhost", sslmode: "verify-ca"), home.merging(["PGSSLROOTCERT": otherCA]) { $1 }, "certificate verify failed"),
        ]
        for f in failures {
            let r = try w.ksecret(["db", "check", f.file], environment: f.variables)
            #expect(r.status == 33, "\(f.libpq): \(r.stderr)")
            #expect(r.stderr.contains(": TLS failure"), "\(r.stderr)")
            #expect(r.stderr.contains("hint: libpq: ") && r.stderr.contains(f.libpq), "\(r.stderr)")
            #expect(r.stderr.contains("hint: check the server's certificate"), "\(r.stderr)")
            #expect(!output(r).contains(password))
        }
    }

    @Test("db check: ok (version, TLS, timing); wrong password, missing database, TLS refused or required, server down: a cause, a hint, its exit code, no password")
    func check() throws {
        let pg = try PostgresCluster.start()
        defer { pg.stop() }
        let w = try FlowsWorkspace.make()
        defer { w.remove() }
        let password = "check-Secret-\(UUID().uuidString)"
        try pg.createRole("app", password: password, database: "app")
        func file(_ name: String, password p: String = password, database: String = "app", sslmode: String = "disable") throws -> String {
            try w.encrypted(name, yaml: "db:\n" + FlowsWorkspace.dbYAML(port: pg.port, name: database, user: "app", password: p, sslmode: sslmode))
        }
        let good = try file("good.yaml")
        let ok = try w.ksecret(["db", "check", good])
        #expect(ok.status == 0, "\(ok.stderr)")
        #expect(ok.text.contains("ok: app@127.0.0.1:\(pg.port)/app"))
        #expect(ok.text.range(of: #"server version: \d+\.\d+"#, options: .regularExpression) != nil)
        #expect(ok.text.contains("tls: no"))
        #expect(ok.text.contains("round trip: ") && ok.text.contains(" ms"))

        let failures: [(file: String, status: Int32, cause: String)] = [
            (try file("wrong.yaml", password: "not-the-password-\(UUID().uuidString)"), 31, "authentication failed"),
            (try file("nodb.yaml", database: "nope"), 32, "database missing"),
            (try file("tls.yaml", sslmode: "require"), 33, "TLS not supported by the server"),
        ]
        for f in failures {
            let r = try w.ksecret(["db", "check", f.file])
            #expect(r.status == f.status, "\(f.cause): \(r.stderr)")
            #expect(r.stderr.contains("ksecret: error: cannot connect to app@127.0.0.1:\(pg.port)/") && r.stderr.contains(f.cause), "\(r.stderr)")
            #expect(r.stderr.contains("ksecret: hint: "))
            #expect(!output(r).contains(password) && !output(r).contains("not-the-password"))
        }

        try pg.prependHBA("hostnossl all all 127.0.0.1/32 reject")
        let required = try w.ksecret(["db", "check", good])
        #expect(required.status == 33 && required.stderr.contains("TLS required by the server"), "\(required.stderr)")
        #expect(required.stderr.contains("sslmode"))

        pg.stop()
        let down = try w.ksecret(["db", "check", good])
        #expect(down.status == 30 && down.stderr.contains("host unreachable"), "\(down.stderr)")
        #expect(down.stderr.contains("hint: check host and port"))
        #expect(!output(down).contains(password))
    }

    /// The lines of `after` that differ from `before` (same line count expected).
    func changedLines(_ before: String, _ after: String) -> [String] {
        let b = before.split(separator: "\n", omittingEmptySubsequences: false), a = after.split(separator: "\n", omittingEmptySubsequences: false)
        guard a.count == b.count else { return ["line count \(b.count) -> \(a.count)"] }
        return zip(b, a).filter { $0.0 != $0.1 }.map { String($0.1) }
    }

    @Test("db rotate: new password works and the old one is refused; one value line changes (plus mac and lastmodified); db url and the chart's db-connect Secret carry it",
          .enabled(if: Peers.find("helm3") != nil, "needs helm 3 (make peers)"))
    func rotate() throws {
        let pg = try PostgresCluster.start()
        defer { pg.stop() }
        let w = try FlowsWorkspace.make()
        defer { w.remove() }
        let old = "old p@ss/\(UUID().uuidString)"
        try pg.createRole("app", password: old, database: "app")
        let file = try w.encrypted("secrets.yaml", yaml: "# app database\ndb:\n" + FlowsWorkspace.dbYAML(port: pg.port, name: "app", user: "app", password: old))
        let before = try readFile(file)
        let r = try w.ksecret(["db", "rotate", file])
        try #require(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("rotated the password of role app"))
        let after = try readFile(file)
        let changed = changedLines(before, after)
        // lastmodified changes too unless the rotation ran within the second of the encryption.
        #expect(changed.filter { $0.hasPrefix("  password: ") }.count == 1 && changed.filter { $0.contains("  mac: ") }.count == 1, "\(changed)")
        #expect(changed.allSatisfy { $0.hasPrefix("  password: ") || $0.contains("  mac: ") || $0.contains("  lastmodified: ") }, "\(changed)")
        #expect(!FileManager.default.fileExists(atPath: w.path("secrets.pending.yaml")))

        let extracted = try w.ksecret(["decrypt", "--extract", "[\"db\"][\"password\"]", file])
        let new = extracted.text
        #expect(new.count >= 32 && new.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }, "\(new.count)")
        #expect(!output(r).contains(new) && !output(r).contains(old))
        #expect(try pg.canLogIn(user: "app", password: new, database: "app"))
        #expect(try !pg.canLogIn(user: "app", password: old, database: "app"))
        // Nothing but the password: another value still decrypts as before.
        #expect(try w.ksecret(["decrypt", "--extract", "[\"db\"][\"name\"]", file]).text == "app")

        // db url and the chart's DATABASE_URL: the same new URL, and psql logs in with it.
        let url = try w.ksecret(["db", "url", file]).text.trimmingCharacters(in: .newlines)
        #expect(try Peers.run(Self.psql, ["-X", "-At", url, "-c", "SELECT 1"]).status == 0)
        let plainDir = w.dir.appendingPathComponent("plain")
        try FileManager.default.createDirectory(at: plainDir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let plain = plainDir.appendingPathComponent("values.yaml").path
        #expect(try w.ksecret(["decrypt", "--output", plain, file]).status == 0)
        let chart = Peers.repoRoot.appendingPathComponent("charts/django-app")
        let rendered = try Peers.run(Peers.find("helm3")!, ["template", "t", chart.path, "-f", plain,
                                                            "-f", chart.appendingPathComponent("ci/test-values.yaml").path,
                                                            "--set", "ddns.enabled=false", "--set", "ingress.host=app.example.com", "--show-only", "templates/db-connect.yaml"])
        try #require(rendered.status == 0, "\(rendered.stderr)")
        #expect(!rendered.stderr.contains(new))
        let encoded = try #require(rendered.text.split(separator: "\n").first { $0.contains("DATABASE_URL:") })
            .split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: CharacterSet(charactersIn: " \""))
        #expect(String(decoding: Data(base64Encoded: encoded) ?? Data(), as: UTF8.self) == url)
    }

    @Test("db rotate with the credentials at the top level (--key-path ''): exec-env hands the new password to psql")
    func rotateExecEnv() throws {
        let pg = try PostgresCluster.start()
        defer { pg.stop() }
        let w = try FlowsWorkspace.make()
        defer { w.remove() }
        let old = "top-level-\(UUID().uuidString)"
        try pg.createRole("app", password: old, database: "app")
        let file = try w.encrypted("app.yaml", yaml: FlowsWorkspace.dbYAML(port: pg.port, name: "app", user: "app", password: old, indent: ""))
        let r = try w.ksecret(["db", "rotate", "--key-path", "", file])
        try #require(r.status == 0, "\(r.stderr)")
        let login = try w.ksecret(["exec-env", file,
                                   "PGPASSWORD=\"$password\" '\(Self.psql)' -X -At -h \"$host\" -p \"$port\" -U \"$user\" -d \"$name\" -c 'SELECT current_user'"])
        #expect(login.status == 0 && login.text == "app\n", "\(login.stderr)")
        #expect(try !pg.canLogIn(user: "app", password: old, database: "app"))
    }

    @Test("db rotate --dry-run connects and says what it would do; file and server unchanged")
    func dryRun() throws {
        let db = try AppDatabase(passwordPrefix: "dry")
        defer { db.close() }
        let (pg, w, old, file) = (db.pg, db.w, db.password, db.file)
        let before = try readFile(file)
        let r = try w.ksecret(["db", "rotate", "--dry-run", file])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("would set a new 40-character password for role app") && r.stderr.contains("dry run: nothing was changed"))
        #expect(try readFile(file) == before)
        #expect(try pg.canLogIn(user: "app", password: old, database: "app"))
    }

    @Test("db rotate --admin-url-env: a role without the privilege is refused (exit 34, nothing changed); a superuser does it")
    func adminConnection() throws {
        let db = try AppDatabase(passwordPrefix: "app")
        defer { db.close() }
        let (pg, w, old, file) = (db.pg, db.w, db.password, db.file)
        try pg.createRole("helper", password: "helper-pw")
        let before = try readFile(file)

        let weak = try w.ksecret(["db", "rotate", "--admin-url-env", "ADMIN_URL", file],
                                 environment: ["ADMIN_URL": "postgres://helper:helper-pw@127.0.0.1:\(pg.port)/postgres?sslmode=disable"])
        #expect(weak.status == 34, "\(weak.stderr)")
        #expect(weak.stderr.contains("permission denied") && weak.stderr.contains("nothing was changed"))
        #expect(!output(weak).contains("helper-pw"))
        #expect(try readFile(file) == before)
        #expect(try pg.canLogIn(user: "app", password: old, database: "app"))
        #expect(!FileManager.default.fileExists(atPath: w.path("s.pending.yaml")))

        let unset = try w.ksecret(["db", "rotate", "--admin-url-env", "NO_SUCH_VARIABLE_SET", file])
        #expect(unset.status == 1 && unset.stderr.contains("NO_SUCH_VARIABLE_SET is not set"))

        let admin = "postgres://\(PostgresCluster.superuser):\(pg.superPassword)@127.0.0.1:\(pg.port)/postgres?sslmode=disable"
        let strong = try w.ksecret(["db", "rotate", "--admin-url-env", "ADMIN_URL", file], environment: ["ADMIN_URL": admin])
        #expect(strong.status == 0, "\(strong.stderr)")
        #expect(!output(strong).contains(pg.superPassword))
        let new = try w.ksecret(["decrypt", "--extract", "[\"db\"][\"password\"]", file]).text
        #expect(try pg.canLogIn(user: "app", password: new, database: "app"))
        #expect(try !pg.canLogIn(user: "app", password: old, database: "app"))
    }

    /// `db rotate` paused after its ALTER ROLE while the server stops, then (when asked) paused
    /// again before the restore while the server starts again.
    func rotateStoppingServerAfterAlter(_ db: AppDatabase, restartBeforeRestore: Bool) throws -> Peers.Result {
        let pause = try PausePoints(in: db.w)
        let run = try BackgroundRun(db.w, ["db", "rotate", "--restore-window", restartBeforeRestore ? "30" : "1", db.file],
                                    environment: pause.environment)
        try #require(pause.waitFor("altered", run: run), "\(run.finish().stderr)")
        db.pg.stop()
        pause.resume("altered")
        try #require(pause.waitFor("restoring", run: run), "\(run.finish().stderr)")
        if restartBeforeRestore { try db.pg.restart() }
        pause.resume("restoring")
        return run.finish()
    }

    @Test("db rotate, server stopped after ALTER ROLE and back before the restore: old password restored (exit 35), file unchanged")
    func serverRestartsMidRotation() throws {
        let db = try AppDatabase(passwordPrefix: "mid")
        defer { db.close() }
        let (pg, w, old, file) = (db.pg, db.w, db.password, db.file)
        let before = try readFile(file)
        let r = try rotateStoppingServerAfterAlter(db, restartBeforeRestore: true)
        #expect(r.status == 35, "\(r.stderr)")
        #expect(r.stderr.contains("rotation failed: a fresh login with the new password failed (host unreachable)"))
        #expect(r.stderr.contains("the old password was restored on the server and \(file) was not changed"))
        #expect(try readFile(file) == before)
        #expect(!FileManager.default.fileExists(atPath: w.path("s.pending.yaml")))
        #expect(try pg.canLogIn(user: "app", password: old, database: "app"))
        #expect(!output(r).contains(old))
    }

    @Test("db rotate, server stopped after ALTER ROLE for good: exit 36, file unchanged, NAME.pending.yaml holds the password the server has")
    func serverStaysDown() throws {
        let db = try AppDatabase(passwordPrefix: "down")
        defer { db.close() }
        let (pg, w, old, file) = (db.pg, db.w, db.password, db.file)
        let before = try readFile(file)
        let r = try rotateStoppingServerAfterAlter(db, restartBeforeRestore: false)
        #expect(r.status == 36, "\(r.stderr)")
        let pending = w.path("s.pending.yaml")
        #expect(r.stderr.contains(pending))
        #expect(try readFile(file) == before)
        try #require(FileManager.default.fileExists(atPath: pending))
        var st = stat()
        #expect(stat(pending, &st) == 0 && st.st_mode & 0o777 == 0o600)

        // Back up: the server holds the password kept in the pending file, not the file's old one.
        try pg.restart()
        #expect(try w.ksecret(["db", "check", pending]).status == 0)
        #expect(try w.ksecret(["db", "check", file]).status == 31)
        #expect(!output(r).contains(old))
    }
}

/// A server with role `app` (owning database `app`) and an encrypted `s.yaml` holding its
/// credentials under `db:`; `close()` (deferred by each test) stops the server and removes the files.
final class AppDatabase {
    let pg: PostgresCluster
    let w: FlowsWorkspace
    let password: String
    let file: String

    init(passwordPrefix: String) throws {
        pg = try PostgresCluster.start()
        w = try FlowsWorkspace.make()
        password = "\(passwordPrefix)-\(UUID().uuidString)"
        try pg.createRole("app", password: password, database: "app")
        file = try w.encrypted("s.yaml", yaml: "db:\n" + FlowsWorkspace.dbYAML(port: pg.port, name: "app", user: "app", password: password))
    }

    func close() {
        pg.stop()
        w.remove()
    }

    var pendingFile: String { w.path("s.pending.yaml") }

    func contents() throws -> String { try String(contentsOfFile: file, encoding: .utf8) }
}
