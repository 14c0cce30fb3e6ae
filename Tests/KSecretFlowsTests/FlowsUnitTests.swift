import Foundation
import Testing
@testable import KSecret
@testable import KSecretFlows

/// The parts of the credential flows that need no server: URL building, password generation,
/// Namecheap's answers, libpq message classification.
@Suite("credential flows, offline")
struct FlowsUnitTests {
    static let nasty = "p@ss:w/rd %+?#[] é"

    @Test("a nasty password survives the URL: only unreserved characters stay bare, decoding gives it back")
    func urlEncoding() throws {
        let c = DatabaseCredentials(host: "db.internal", port: 5433, name: "app db/1", user: "us:er@x", password: Self.nasty, sslmode: "require",
                                    options: "-c search_path=app")
        let url = c.url()
        #expect(url.hasPrefix("postgres://us%3Aer%40x:"))
        #expect(url.contains("@db.internal:5433/app%20db%2F1?sslmode=require&options=-c%20search_path%3Dapp"))
        let userinfo = url.dropFirst("postgres://".count).prefix { $0 != "@" }
        let password = String(userinfo.split(separator: ":", maxSplits: 1)[1])
        #expect(password.utf8.allSatisfy { PercentEncoding.unreserved.contains($0) || $0 == UInt8(ascii: "%") })
        #expect(PercentEncoding.decode(password) == Self.nasty)
        #expect(PercentEncoding.encode(Self.nasty) == "p%40ss%3Aw%2Frd%20%25%2B%3F%23%5B%5D%20%C3%A9")
        #expect(!c.redactedURL().contains("ss%3A"))
        #expect(c.redactedURL().contains(":***@"))
    }

    @Test("IPv6 hosts are bracketed; sslmode defaults to require")
    func ipv6() {
        let c = DatabaseCredentials(host: "::1", name: "d", user: "u", password: "p")
        #expect(c.url() == "postgres://u:p@[::1]:5432/d?sslmode=require")
    }

    @Test("a Unix-domain socket directory as host is percent-encoded in the host's place")
    func socketHost() {
        let c = DatabaseCredentials(host: "/var/run/postgresql", port: 5433, name: "d", user: "u", password: "p")
        #expect(c.url() == "postgres://u:p@%2Fvar%2Frun%2Fpostgresql:5433/d?sslmode=require")
    }

    @Test("credentials come from the document at the key path, with a clear error naming the missing field")
    func fromDocument() throws {
        let doc = Document(branches: [.mapping([.pair(key: "pg", value: .mapping([
            .pair(key: "host", value: .string("h")), .pair(key: "port", value: .int(6543)), .pair(key: "name", value: .string("n")),
            .pair(key: "user", value: .string("u")), .pair(key: "password", value: .string("secret-value")),
        ]))])])
        let c = try DatabaseCredentials(document: doc, keyPath: [.key("pg")], file: "f.yaml")
        #expect(c.port == 6543 && c.sslmode == "require" && c.options == nil)
        let missing = doc.setting(.mapping([.pair(key: "host", value: .string("h"))]), at: [.key("pg")])
        let error = #expect(throws: KSecretError.self) { try DatabaseCredentials(document: missing, keyPath: [.key("pg")], file: "f.yaml") }
        #expect(error?.message.contains("[\"pg\"][\"name\"] is missing") == true)
    }

    @Test("generated passwords: the requested length, URL-safe, unbiased alphabet mapping")
    func generator() {
        let p = PasswordGenerator.urlSafe(length: 40)
        #expect(p.count == 40)
        #expect(PercentEncoding.encode(p) == p)
        #expect(PasswordGenerator.urlSafe(length: 4, random: { _ in [0, 63, 64, 255] }) == "A_A_")
        #expect(PasswordGenerator.urlSafe(length: 40) != p)
    }

    @Test("Namecheap's answer, declared utf-16 but sent as UTF-8, parses; errors and IP are read")
    func namecheapAnswer() throws {
        let ok = #"<?xml version="1.0" encoding="utf-16"?><interface-response><Command>SETDNSHOST</Command><Language>eng</Language><IP>203.0.113.7</IP><ErrCount>0</ErrCount><errors /><ResponseCount>0</ResponseCount><responses /><Done>true</Done><debug><![CDATA[]]></debug></interface-response>"#
        let a = try NamecheapAnswer(parsing: Array(ok.utf8))
        #expect(a == NamecheapAnswer(errCount: 0, errors: [], ip: "203.0.113.7", done: true))
        let bad = #"<?xml version="1.0" encoding="utf-16"?><interface-response><ErrCount>1</ErrCount><errors><Err1>Passwords do not match &amp; more</Err1></errors><Done>true</Done></interface-response>"#
        let b = try NamecheapAnswer(parsing: Array(bad.utf8))
        #expect(b.errCount == 1 && b.errors == ["Passwords do not match & more"])
        // Really UTF-16 (with a BOM) reads too.
        let utf16: [UInt8] = [0xFF, 0xFE] + ok.utf16.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }
        #expect(try NamecheapAnswer(parsing: utf16).ip == "203.0.113.7")
        #expect(throws: KSecretError.self) { try NamecheapAnswer(parsing: Array("<html>502</html>".utf8)) }
    }

    @Test("the update URL carries every field encoded; the shown one has *** for the password")
    func updateURL() throws {
        let d = NamecheapDDNS(host: "@", domain: "example.com", password: "a&b=c")
        let url = try d.updateURL(endpoint: "http://127.0.0.1:8080/", ip: "203.0.113.7")
        #expect(url.absoluteString == "http://127.0.0.1:8080/update?host=%40&domain=example.com&password=a%26b%3Dc&ip=203.0.113.7")
        #expect(try d.updateURL(endpoint: "https://x", ip: "1.2.3.4", redacted: true).absoluteString.contains("password=***&"))
        #expect(IPAddress.isValid("2001:db8::1") && !IPAddress.isValid("1.2.3"))
    }

    @Test("plain http is refused off loopback unless --insecure-http; loopback stand-ins are fine")
    func plainHTTP() throws {
        let d = NamecheapDDNS(host: "@", domain: "example.com", password: "pw")
        let error = #expect(throws: KSecretError.self) { try d.updateURL(endpoint: "http://ddns.example.net", ip: "203.0.113.7") }
        #expect(error?.message.contains("plain http") == true)
        _ = try d.updateURL(endpoint: "http://ddns.example.net", ip: "203.0.113.7", insecureHTTP: true)
        for loopback in ["http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9"] {
            _ = try d.updateURL(endpoint: loopback, ip: "203.0.113.7")
        }
    }

    @Test("Namecheap's documented error answer, pretty-printed with responses, reads Err1 and no IP")
    func namecheapErrorAnswer() throws {
        let text = """
            <?xml version="1.0" encoding="utf-16"?>
            <interface-response>
              <Command>SETDNSHOST</Command>
              <Language>eng</Language>
              <ErrCount>1</ErrCount>
              <errors>
                <Err1>Passwords do not match</Err1>
              </errors>
              <ResponseCount>1</ResponseCount>
              <responses>
                <response>
                  <ResponseNumber>304156</ResponseNumber>
                  <ResponseString>Validation error; invalid ; password</ResponseString>
                </response>
              </responses>
              <Done>true</Done>
              <debug><![CDATA[]]></debug>
            </interface-response>
            """
        let a = try NamecheapAnswer(parsing: Array(text.utf8))
        #expect(a == NamecheapAnswer(errCount: 1, errors: ["Passwords do not match"], ip: nil, done: true))
    }

    @Test("libpq's messages map to causes", arguments: [
        ("connection to server at \"127.0.0.1\", port 1 failed: Connection refused", DatabaseFailureCause.unreachable),
        ("connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  password authentication failed for user \"app\"", .authentication),
        ("connection to server at \"127.0.0.1\", port 5432 failed: FATAL:  database \"nope\" does not exist", .databaseMissing),
        ("server does not support SSL, but SSL was required", .tlsUnsupported),
        ("FATAL:  no pg_hba.conf entry for host \"127.0.0.1\", user \"app\", database \"app\", no encryption", .tlsRequired),
        ("FATAL:  pg_hba.conf rejects connection for host \"127.0.0.1\", user \"app\", database \"app\", no encryption", .tlsRequired),
        ("could not translate host name \"nohost\" to address: Name or service not known", .unreachable),
        ("connection to server at \"127.0.0.1\", port 5432 failed: server certificate for \"localhost\" does not match host name \"127.0.0.1\"", .tls),
        ("connection to server at \"localhost\" (127.0.0.1), port 5432 failed: SSL error: certificate verify failed", .tls),
    ])
    func causes(message: String, cause: DatabaseFailureCause) {
        #expect(PGFailure(message: message, secrets: []).cause == cause)
    }

    @Test("a secret in libpq's text is scrubbed")
    func scrub() {
        #expect(PGFailure(message: "bad thing hunter2 here", secrets: ["hunter2"]).message == "bad thing *** here")
        // Matched by bytes: a combining mark after the secret (or a secret ending in a base letter
        // the message follows with one) still gets it scrubbed.
        #expect(!PGFailure(message: "bad thing hunter2\u{0301} here", secrets: ["hunter2"]).message.contains("hunter2"))
        #expect(!PGFailure(message: "x'hunter'\u{0651}", secrets: ["hunter'"]).message.contains("hunter"))
    }

    @Test(".netrc: the first entry for the host, else default; macdef bodies skipped; hosts compared without case")
    func netrc() {
        let text = """
            machine other.example login a password b
            macdef init
            machine h.example login macro password inside

            machine H.Example
              login deploy
              password s3cret
            machine h.example login second password later
            default login anon password guest
            """
        #expect(Netrc.credentials(for: "h.example", in: text).map { "\($0.login):\($0.password)" } == "deploy:s3cret")
        #expect(Netrc.credentials(for: "elsewhere", in: text).map { "\($0.login):\($0.password)" } == "anon:guest")
        #expect(Netrc.credentials(for: "elsewhere", in: "machine x login y password z") == nil)
        #expect(Netrc.credentials(for: "x", in: "machine x login y").map { "\($0.login):\($0.password)" } == "y:")
    }
}
