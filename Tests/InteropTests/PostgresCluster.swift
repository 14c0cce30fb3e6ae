import Foundation
import Testing

/// A throwaway PostgreSQL server for one test: `initdb` into a fresh temporary directory, a free
/// loopback port, `scram-sha-256` password authentication for every connection, never the system
/// cluster. Call `stop()` in a `defer` right after `start()`; `deinit` stops it too, so a failing
/// test does not leave a server behind. When the tests run as root (CI does), initdb and the
/// server run as the `postgres` user through `runuser`, since PostgreSQL refuses to run as root.
final class PostgresCluster {
    /// The directory holding initdb, pg_ctl and psql: the newest `/usr/lib/postgresql/*/bin`, else PATH.
    static let binDirectory: String? = {
        let base = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).compactMap(Int.init).sorted()
        if let newest = versions.last, FileManager.default.isExecutableFile(atPath: "\(base)/\(newest)/bin/initdb") {
            return "\(base)/\(newest)/bin"
        }
        return Peers.find("initdb").map { ($0 as NSString).deletingLastPathComponent }
    }()

    static var available: Bool { binDirectory != nil && Peers.find("psql") != nil }

    static let superuser = "ksecret_admin"
    let superPassword = "admin-" + UUID().uuidString
    let root: URL
    let port: Int
    private var running = false
    private let runAsPostgres = getuid() == 0
    /// With TLS: the CA that signed the server's certificate (which names `localhost` only).
    private(set) var caFile: String?

    var dataDirectory: String { root.appendingPathComponent("data").path }

    private init(root: URL, port: Int) {
        self.root = root
        self.port = port
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(at: root)
    }

    /// initdb and start; a taken port is retried with another. With `tls`, the server also takes
    /// TLS connections, with a certificate for `localhost` from a throwaway CA (`caFile`).
    static func start(tls: Bool = false) throws -> PostgresCluster {
        let bin = try #require(binDirectory, "no initdb")
        let root = try Peers.temporaryDirectory()
        var cluster: PostgresCluster?
        var certificates: String?
        for _ in 0..<3 {
            let candidate = PostgresCluster(root: root, port: try freeLoopbackPort())
            if certificates == nil {
                try candidate.initdb(bin: bin)
                if tls { certificates = try candidate.makeCertificates() }
            }
            candidate.caFile = certificates
            if (try? candidate.startServer()) != nil { cluster = candidate; break }
            cluster = nil
            candidate.running = false
        }
        return try #require(cluster, "PostgreSQL did not start: \(String(decoding: (try? Data(contentsOf: root.appendingPathComponent("server.log"))) ?? Data(), as: UTF8.self))")
    }

    private func initdb(bin: String) throws {
        let pwfile = root.appendingPathComponent("pwfile")
        try Data(superPassword.utf8).write(to: pwfile)
        if runAsPostgres {
            let chown = try Peers.run("/bin/chown", ["-R", "postgres:postgres", root.path])
            try #require(chown.status == 0, "\(chown.stderr)")
        }
        let r = try runServerTool("\(bin)/initdb", ["-D", dataDirectory, "-U", Self.superuser, "--pwfile=\(pwfile.path)",
                                                     "--auth=scram-sha-256", "-E", "UTF8", "--no-sync", "--no-instructions"])
        try #require(r.status == 0, "initdb failed: \(r.stderr)")
    }

    /// A CA and a server certificate for `localhost` (no IP address), made with the openssl
    /// command, the key owned by the server's user; returns the CA's file.
    private func makeCertificates() throws -> String {
        let openssl = try #require(Peers.find("openssl"), "needs the openssl command (make deps)")
        let ca = root.appendingPathComponent("ca.crt").path, caKey = root.appendingPathComponent("ca.key").path
        let csr = root.appendingPathComponent("server.csr").path, ext = root.appendingPathComponent("server.ext").path
        let cert = dataDirectory + "/server.crt", key = dataDirectory + "/server.key"
        try Data("subjectAltName=DNS:localhost\n".utf8).write(to: URL(fileURLWithPath: ext))
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        for arguments in [["req", "-x509"] + ec + ["-keyout", caKey, "-out", ca, "-days", "2", "-subj", "/CN=ksecret test CA"],
                          ["req"] + ec + ["-keyout", key, "-out", csr, "-subj", "/CN=localhost"],
                          ["x509", "-req", "-in", csr, "-CA", ca, "-CAkey", caKey, "-CAcreateserial", "-out", cert, "-days", "2",
                           "-extfile", ext]] {
            let r = try Peers.run(openssl, arguments)
            try #require(r.status == 0, "openssl \(arguments[0]): \(r.stderr)")
        }
        chmod(key, 0o600)
        if runAsPostgres {
            let chown = try Peers.run("/bin/chown", ["postgres:postgres", cert, key])
            try #require(chown.status == 0, "\(chown.stderr)")
        }
        return ca
    }

    private func startServer() throws {
        let bin = try #require(Self.binDirectory)
        var options = "-p \(port) -c listen_addresses=127.0.0.1 -c unix_socket_directories='\(root.path)' -c fsync=off -c max_connections=20"
        if caFile != nil { options += " -c ssl=on -c ssl_cert_file=server.crt -c ssl_key_file=server.key" }
        let r = try runServerTool("\(bin)/pg_ctl", ["-D", dataDirectory, "-l", root.appendingPathComponent("server.log").path,
                                                    "-w", "-t", "30", "-o", options, "start"])
        running = r.status == 0
        try #require(running, "pg_ctl start failed: \(r.stderr)")
    }

    /// Starts the server again after `stop()` (same data, same port).
    func restart() throws { try startServer() }

    /// Stops the server (fast shutdown: open sessions are ended); a no-op when it is not running.
    func stop() {
        guard running, let bin = Self.binDirectory else { return }
        _ = try? runServerTool("\(bin)/pg_ctl", ["-D", dataDirectory, "-m", "fast", "-w", "stop"])
        running = false
    }

    /// Puts `line` first in pg_hba.conf and reloads the configuration.
    func prependHBA(_ line: String) throws {
        let path = dataDirectory + "/pg_hba.conf"
        let old = try String(contentsOfFile: path, encoding: .utf8)
        try Data((line + "\n" + old).utf8).write(to: URL(fileURLWithPath: path))
        let r = try runServerTool("\(try #require(Self.binDirectory))/pg_ctl", ["-D", dataDirectory, "reload"])
        try #require(r.status == 0, "\(r.stderr)")
        Thread.sleep(forTimeInterval: 0.3)   // the postmaster rereads the file on SIGHUP
    }

    /// Runs initdb or pg_ctl (as postgres when root) with posix_spawn and waitpid, its output in a
    /// file: Foundation's Process can miss the exit of a runuser whose grandchild (the server)
    /// lives on, and then waits for ever.
    private func runServerTool(_ tool: String, _ arguments: [String]) throws -> Peers.Result {
        let argv = runAsPostgres ? ["/usr/sbin/runuser", "-u", "postgres", "--", tool] + arguments : [tool] + arguments
        let log = root.appendingPathComponent("tool-\(UUID().uuidString).log").path
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let cArgs = argv.map { strdup($0) } + [nil]
        defer { cArgs.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArgs, environ)
        try #require(spawned == 0, "cannot run \(argv[0]): \(spawned)")
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        unlink(log)
        let exited = (status & 0x7f) == 0
        return Peers.Result(status: exited ? (status >> 8) & 0xff : 128 + (status & 0x7f), stdout: Array(output.utf8), stderr: output)
    }

    /// Runs SQL with psql as `user` (default: the superuser); the password goes in PGPASSWORD.
    @discardableResult
    func psql(_ sql: String, user: String = PostgresCluster.superuser, password: String? = nil, database: String = "postgres") throws -> Peers.Result {
        try Peers.run(Peers.find("psql")!, ["-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1", "-p", String(port),
                                            "-U", user, "-d", database, "-c", sql],
                      environment: ["PGPASSWORD": password ?? superPassword, "PGCONNECT_TIMEOUT": "5"])
    }

    /// Whether `user` can log in with `password` (a fresh connection running SELECT 1).
    func canLogIn(user: String, password: String, database: String = "postgres") throws -> Bool {
        let r = try psql("SELECT 1", user: user, password: password, database: database)
        return r.status == 0 && r.text.trimmingCharacters(in: .whitespacesAndNewlines) == "1"
    }

    /// Creates a login role with a password (an SQL literal with quotes doubled, so any character works)
    /// and a database it owns.
    func createRole(_ user: String, password: String, database: String? = nil, privileges: String = "") throws {
        let literal = "'" + password.replacingOccurrences(of: "'", with: "''") + "'"
        let ident = "\"" + user.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        let r = try psql("CREATE ROLE \(ident) LOGIN \(privileges) PASSWORD \(literal)")
        try #require(r.status == 0, "\(r.stderr)")
        if let database {
            let d = try psql("CREATE DATABASE \"\(database)\" OWNER \(ident)")
            try #require(d.status == 0, "\(d.stderr)")
        }
    }

    /// A TCP port on 127.0.0.1 that was free a moment ago (bound, then released for the server).
    static func freeLoopbackPort() throws -> Int {
        try ClosedPort().port
    }
}
