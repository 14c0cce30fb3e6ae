import Foundation
import Testing

/// `ksecret ddns update|wait` against NamecheapStandIn, a loopback stand-in for Namecheap's
/// dynamic DNS endpoint (not the real service: the tests have no network).
@Suite("ddns flows against a Namecheap stand-in",
       .enabled(if: Peers.ksecret != nil && NamecheapStandIn.python != nil, "needs a built ksecret and python3 (make deps)"))
struct DDNSFlowTests {
    /// Characters that need encoding in a query: the stand-in decodes what it gets.
    static let password = "Dd+ns p@ss/&=?#%é-\(UUID().uuidString)"

    func setUp() throws -> (FlowsWorkspace, String) {
        let w = try FlowsWorkspace.make()
        let file = try w.encrypted("secrets.yaml", yaml: """
            namecheap:
              host: "week7"
              domain: "example.com"
              password: \(FlowsWorkspace.quoted(Self.password))

            """)
        return (w, file)
    }

    func leaks(_ r: Peers.Result) -> Bool {
        let all = r.text + r.stderr
        return all.contains(Self.password) || all.contains(Self.password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
            || all.contains("Dd+ns") || all.contains("Dd%2Bns")
    }

    @Test("update: the stand-in gets host, domain, password and ip; exit 0; the answer's IP is printed")
    func update() throws {
        let (w, file) = try setUp()
        defer { w.remove() }
        let standIn = try NamecheapStandIn(password: Self.password, in: w.dir)
        defer { standIn.stop() }
        let r = try w.ksecret(["ddns", "update", file, "--ip", "203.0.113.7", "--endpoint", standIn.endpoint])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.text == "updated week7.example.com -> 203.0.113.7 (attempts: 1)\n")
        let requests = standIn.requests()
        #expect(requests.count == 1)
        #expect(requests.first?.path == "/update")
        #expect(requests.first?.params == ["host": "week7", "domain": "example.com", "password": Self.password, "ip": "203.0.113.7"])
        #expect(!leaks(r))
    }

    @Test("a refused password: exit 40 with Namecheap's Err1, asked once (no retry)")
    func refused() throws {
        let (w, file) = try setUp()
        defer { w.remove() }
        let standIn = try NamecheapStandIn(password: "another-password", in: w.dir)
        defer { standIn.stop() }
        let r = try w.ksecret(["ddns", "update", file, "--ip", "203.0.113.7", "--endpoint", standIn.endpoint, "--retry-delay", "0.05"])
        #expect(r.status == 40, "\(r.stderr)")
        #expect(r.stderr.contains("ksecret: error: Namecheap refused the update of week7.example.com: Passwords do not match"))
        #expect(r.stderr.contains("not retried"))
        #expect(standIn.requests().count == 1)
        #expect(!leaks(r))
    }

    @Test("5xx answers are retried with backoff until one succeeds; only 5xx throughout: exit 41 after --tries")
    func serverErrors() throws {
        let (w, file) = try setUp()
        defer { w.remove() }
        let flaky = try NamecheapStandIn(password: Self.password, mode: "fail5xx:2", in: w.dir)
        defer { flaky.stop() }
        let r = try w.ksecret(["ddns", "update", file, "--ip", "203.0.113.7", "--endpoint", flaky.endpoint, "--retry-delay", "0.05"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.text.contains("(attempts: 3)"))
        #expect(r.stderr.contains("HTTP 502") && r.stderr.contains("retrying in 0.1s (attempt 3 of 4)"), "\(r.stderr)")
        #expect(flaky.requests().count == 3)
        #expect(r.stderr.contains("password=***&"))
        #expect(!leaks(r))

        let broken = try NamecheapStandIn(password: Self.password, mode: "fail5xx:100", in: w.dir)
        defer { broken.stop() }
        let b = try w.ksecret(["ddns", "update", file, "--ip", "203.0.113.7", "--endpoint", broken.endpoint, "--tries", "3", "--retry-delay", "0.05"])
        #expect(b.status == 41, "\(b.stderr)")
        #expect(b.stderr.contains("did not answer after 3 attempts: HTTP 502"))
        #expect(broken.requests().count == 3)
        #expect(!leaks(b))
    }

    @Test("nothing listening: network errors are retried, then exit 41")
    func unreachable() throws {
        let (w, file) = try setUp()
        defer { w.remove() }
        let closed = try ClosedPort()
        let r = try w.ksecret(["ddns", "update", file, "--ip", "203.0.113.7", "--endpoint", "http://127.0.0.1:\(closed.port)", "--tries", "2", "--retry-delay", "0.05"])
        #expect(r.status == 41, "\(r.stderr)")
        #expect(r.stderr.contains("connection refused") && r.stderr.contains("attempt 2 of 2"), "\(r.stderr)")
        #expect(!leaks(r))
    }

    @Test("--ip-from reads lb_ip from the helmfile hook's lb-ip.yaml; a file without it is an error")
    func ipFrom() throws {
        let (w, file) = try setUp()
        defer { w.remove() }
        let standIn = try NamecheapStandIn(password: Self.password, in: w.dir)
        defer { standIn.stop() }
        try Data("lb_ip: 198.51.100.23\n".utf8).write(to: URL(fileURLWithPath: w.path("lb-ip.yaml")))
        let r = try w.ksecret(["ddns", "update", file, "--ip-from", w.path("lb-ip.yaml"), "--endpoint", standIn.endpoint])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(standIn.requests().first?.params["ip"] == "198.51.100.23")
        try Data("other: 1\n".utf8).write(to: URL(fileURLWithPath: w.path("empty.yaml")))
        let missing = try w.ksecret(["ddns", "update", file, "--ip-from", w.path("empty.yaml"), "--endpoint", standIn.endpoint])
        #expect(missing.status == 1 && missing.stderr.contains("has no lb_ip"))
        let both = try w.ksecret(["ddns", "update", file, "--ip", "1.2.3.4", "--ip-from", w.path("lb-ip.yaml"), "--endpoint", standIn.endpoint])
        #expect(both.status == 8)
        #expect(standIn.requests().count == 1)
    }

    @Test("the password is in no output (also with KSECRET_VERBOSE) and in no process argument while the request runs")
    func passwordNeverShown() throws {
        let (w, file) = try setUp()
        defer { w.remove() }
        let slow = try NamecheapStandIn(password: Self.password, mode: "slow:1.5", in: w.dir)
        defer { slow.stop() }
        let run = try BackgroundRun(w, ["ddns", "update", file, "--ip", "203.0.113.7", "--endpoint", slow.endpoint], environment: ["KSECRET_VERBOSE": "1"])
        let deadline = Date().addingTimeInterval(30)
        while slow.requests().isEmpty && run.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        // ksecret has exec'd ksecret-net by now (same process id): its argv is what ps shows.
        let cmdline = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(run.process.processIdentifier)/cmdline"))) ?? Data()
        let argv = String(decoding: cmdline, as: UTF8.self).split(separator: "\0").map(String.init)
        #expect(argv.first == "ksecret-net" && argv.contains("ddns"), "\(argv)")
        #expect(!argv.contains { $0.contains("Dd+ns") || $0.contains("Dd%2Bns") || $0.contains(Self.password) })
        let r = run.finish()
        #expect(r.status == 0, "\(r.stderr)")
        #expect(!leaks(r))

        // The failure paths, verbose.
        let refusing = try NamecheapStandIn(password: "x", in: w.dir)
        defer { refusing.stop() }
        let failing = try NamecheapStandIn(password: Self.password, mode: "fail5xx:100", in: w.dir)
        defer { failing.stop() }
        let closed = try ClosedPort()
        for endpoint in [refusing.endpoint, failing.endpoint, "http://127.0.0.1:\(closed.port)"] {
            let f = try w.ksecret(["ddns", "update", file, "--ip", "203.0.113.7", "--endpoint", endpoint, "--tries", "2", "--retry-delay", "0.01"],
                                  environment: ["KSECRET_VERBOSE": "1"])
            #expect(f.status != 0)
            #expect(!leaks(f), "\(endpoint)")
        }
    }

    @Test("plain http off loopback is refused before any request unless --insecure-http")
    func plainHTTP() throws {
        let (w, file) = try setUp()
        defer { w.remove() }
        // 192.0.2.1 (TEST-NET-1) is never contacted: the check comes first.
        let r = try w.ksecret(["ddns", "update", file, "--ip", "203.0.113.7", "--endpoint", "http://192.0.2.1"])
        #expect(r.status == 1 && r.stderr.contains("plain http"), "\(r.stderr)")
        #expect(r.stderr.contains("--insecure-http"))
    }

    @Test("wait: any HTTP status counts (the stand-in's 404); nothing listening: exit 43 once --timeout passes")
    func wait() throws {
        let w = try FlowsWorkspace.make()
        defer { w.remove() }
        let standIn = try NamecheapStandIn(password: "x", in: w.dir)
        defer { standIn.stop() }
        let r = try w.ksecret(["ddns", "wait", "--url", standIn.endpoint + "/", "--timeout", "10", "--interval", "0.2"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.text.contains("answered HTTP 404 after 1 attempt(s)"))

        let closed = try ClosedPort()
        let start = Date()
        let down = try w.ksecret(["ddns", "wait", "--url", "http://127.0.0.1:\(closed.port)/", "--timeout", "1.5", "--interval", "0.3"])
        let elapsed = Date().timeIntervalSince(start)
        #expect(down.status == 43, "\(down.stderr)")
        #expect(down.stderr.contains("did not answer within 1.5s"))
        #expect(down.stderr.contains("connection refused"), "progress lines: \(down.stderr)")
        #expect(elapsed >= 1.0 && elapsed < 15)
    }
}
