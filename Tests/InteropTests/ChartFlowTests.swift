import Foundation
import Testing
@testable import KSecret

/// The chart's credential objects against the commands: the db-connect Secret's DATABASE_URL is
/// `ksecret db url`'s, and the DDNS hook Jobs' rendered scripts, run with sh and curl against the
/// Namecheap stand-in, send what `ksecret ddns update` sends and wait as `ksecret ddns wait` does.
@Suite("chart hooks and Secrets match the db and ddns commands",
       .enabled(if: Peers.ksecret != nil && Peers.find("helm3") != nil, "needs a built ksecret and helm 3 (make peers)"),
       .enabled(if: Peers.find("curl") != nil && NamecheapStandIn.python != nil, "needs curl and python3 (make deps)"))
struct ChartFlowTests {
    static let chart = Peers.repoRoot.appendingPathComponent("charts/django-app")
    static let dbPassword = "p@ss:w/rd %?#'\"\\ é+~"
    /// Space and `+` included: curl's --data-urlencode writes a space as `+`, ksecret as `%20`;
    /// the server decodes both to the same value.
    static let ddnsPassword = "Dd+ns p@ss/&=?#%é-\(UUID().uuidString.prefix(8))"

    struct Rendered {
        var docs: [Node]
        func object(_ kind: String, _ name: String) throws -> Node {
            try #require(docs.first { $0["kind"]?.stringValue == kind && $0["metadata"]?["name"]?.stringValue == name }, "no \(kind) \(name)")
        }
    }

    /// The secrets file (encrypted) and the chart rendered from its plaintext (in a 0700 directory).
    func setUp() throws -> (FlowsWorkspace, String, Rendered) {
        let w = try FlowsWorkspace.make()
        let file = try w.encrypted("secrets.yaml", yaml: "db:\n"
            + FlowsWorkspace.dbYAML(host: "db.internal", port: 6543, name: "app db", user: "app:user", password: Self.dbPassword, sslmode: "require")
            + "namecheap:\n  host: \"week7\"\n  domain: \"example.com\"\n  password: \(FlowsWorkspace.quoted(Self.ddnsPassword))\n")
        let plainDir = w.dir.appendingPathComponent("plain")
        try FileManager.default.createDirectory(at: plainDir, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let plain = plainDir.appendingPathComponent("values.yaml").path
        try #require(try w.ksecret(["decrypt", "--output", plain, file]).status == 0)
        let r = try Peers.run(Peers.find("helm3")!, ["template", "t", Self.chart.path, "-f", plain,
                                                     "-f", Self.chart.appendingPathComponent("ci/test-values.yaml").path])
        try #require(r.status == 0, "\(r.stderr)")
        return (w, file, Rendered(docs: try YAMLStore().parse(r.stdout, path: "rendered.yaml").document.branches))
    }

    func secretValue(_ secret: Node, _ key: String) throws -> String {
        let encoded = try #require(secret["data"]?[key]?.stringValue, "no data.\(key)")
        let data = try #require(Data(base64Encoded: encoded))
        return String(decoding: data, as: UTF8.self)
    }

    func items(_ node: Node?) -> [Node] { if case .sequence(let i)? = node { return i.filter { !$0.isComment } } else { return [] } }

    /// The container's `sh -c` script and its literal env values.
    func script(of job: Node) throws -> (script: String, env: [String: String]) {
        let containers = items(job["spec"]?["template"]?["spec"]?["containers"])
        let container = try #require(containers.first)
        let command = items(container["command"]).compactMap(\.stringValue)
        try #require(command.count == 3 && command[0] == "/bin/sh" && command[1] == "-c", "\(command)")
        var env: [String: String] = [:]
        for item in items(container["env"]) {
            if let name = item["name"]?.stringValue { env[name] = item["value"]?.stringValue ?? "" }
        }
        return (command[2], env)
    }

    func sh(_ script: String, env: [String: String]) throws -> Peers.Result {
        try Peers.run("/bin/sh", ["-c", script], environment: env)
    }

    @Test("db-connect's DATABASE_URL is exactly `ksecret db url` (a password holding @ : / % ? # ' \" \\ space é +)")
    func databaseURL() throws {
        let (w, file, rendered) = try setUp()
        defer { w.remove() }
        let url = try w.ksecret(["db", "url", file])
        try #require(url.status == 0, "\(url.stderr)")
        #expect(try secretValue(try rendered.object("Secret", "db-connect"), "DATABASE_URL") + "\n" == url.text)
    }

    @Test("dyn-dns-update's script, fed from the hook Secret, sends the request `ksecret ddns update` sends, to the same default endpoint; both fail on a refused password")
    func ddnsUpdate() throws {
        let (w, file, rendered) = try setUp()
        defer { w.remove() }
        let secret = try rendered.object("Secret", "t-django-app-ddns")
        let credentials = ["HOST": try secretValue(secret, "HOST"), "DOMAIN": try secretValue(secret, "DOMAIN"),
                           "PASSWORD": try secretValue(secret, "PASSWORD")]
        #expect(credentials == ["HOST": "week7", "DOMAIN": "example.com", "PASSWORD": Self.ddnsPassword])
        let (script, env) = try script(of: try rendered.object("Job", "dyn-dns-update"))
        let ip = try #require(env["IP"])
        #expect(ip == "203.0.113.10")
        // The chart's endpoint is ksecret's default endpoint's /update.
        let help = try w.ksecret(["ddns", "update", "--help"]).text.replacingOccurrences(of: "\n", with: " ")
            .replacingOccurrences(of: #"\s+"#, with: " ", options: .regularExpression)
        let ddnsURL = try #require(env["DDNS_URL"])
        #expect(ddnsURL.hasSuffix("/update") && help.contains("(default: \(ddnsURL.dropLast("/update".count)))"), "\(ddnsURL)")

        let standIn = try NamecheapStandIn(password: Self.ddnsPassword, in: w.dir)
        defer { standIn.stop() }
        var jobEnv = credentials
        jobEnv["IP"] = ip
        jobEnv["DDNS_URL"] = standIn.endpoint + "/update"
        let job = try sh(script, env: jobEnv)
        #expect(job.status == 0 && job.text.contains("dyn-dns-update: record updated"), "\(job.text)\(job.stderr)")
        let ours = try w.ksecret(["ddns", "update", file, "--ip", ip, "--endpoint", standIn.endpoint])
        #expect(ours.status == 0, "\(ours.stderr)")
        let requests = standIn.requests()
        try #require(requests.count == 2)
        #expect(requests[0].path == requests[1].path)
        #expect(requests[0].params == requests[1].params)
        #expect(requests[1].params["password"] == Self.ddnsPassword)

        let refusing = try NamecheapStandIn(password: "another", in: w.dir)
        defer { refusing.stop() }
        jobEnv["DDNS_URL"] = refusing.endpoint + "/update"
        let refusedJob = try sh(script, env: jobEnv)
        #expect(refusedJob.status == 1 && refusedJob.stderr.contains("Namecheap refused the update"))
        #expect(try w.ksecret(["ddns", "update", file, "--ip", ip, "--endpoint", refusing.endpoint]).status == 40)
    }

    @Test("dyn-dns-check's script waits like `ksecret ddns wait`: done at the first HTTP answer, failing once the timeout passes")
    func ddnsCheck() throws {
        let (w, _, rendered) = try setUp()
        defer { w.remove() }
        let (script, env) = try script(of: try rendered.object("Job", "dyn-dns-check"))
        #expect(env["FQDN"] == "week7.example.com" && env["IP"] == "203.0.113.10")
        #expect(env["TIMEOUT"] == "300" && env["INTERVAL"] == "10")
        let standIn = try NamecheapStandIn(password: "x", in: w.dir)
        defer { standIn.stop() }
        let host = "127.0.0.1:\(standIn.port)"
        let up = try sh(script, env: ["FQDN": host, "IP": "127.0.0.1", "TIMEOUT": "10", "INTERVAL": "1"])
        #expect(up.status == 0 && up.text.contains("answers at 127.0.0.1"), "\(up.text)\(up.stderr)")
        #expect(try w.ksecret(["ddns", "wait", "--url", "http://\(host)/", "--timeout", "10"]).status == 0)

        let closedPort = try ClosedPort()
        let closed = "127.0.0.1:\(closedPort.port)"
        let down = try sh(script, env: ["FQDN": closed, "IP": "127.0.0.1", "TIMEOUT": "2", "INTERVAL": "1"])
        #expect(down.status == 1 && down.stderr.contains("did not answer"), "\(down.text)\(down.stderr)")
        #expect(try w.ksecret(["ddns", "wait", "--url", "http://\(closed)/", "--timeout", "2", "--interval", "1"]).status == 43)
    }
}
