import Foundation
import KSecret

/// Namecheap's dynamic DNS update (`GET /update?host=&domain=&password=&ip=`) with the credentials
/// of a secrets file (default key path `namecheap`: `host`, `domain`, `password`).
///
/// Policy: the password goes only into the request built inside this process; every URL shown is
/// `redactedURL` (password `***`) and transport errors are reduced to their reason. Network errors
/// and 5xx answers are retried with exponential backoff, a bounded number of times; an answer with
/// errors (a refused password, an unknown host) is not retried. Success is `ErrCount` 0 only.
public struct NamecheapDDNS: Sendable {
    public var host: String
    public var domain: String
    public var password: String

    public static let defaultKeyPath: [TreePath.Component] = [.key("namecheap")]
    public static let defaultEndpoint = "https://dynamicdns.park-your-domain.com"

    public init(host: String, domain: String, password: String) {
        self.host = host
        self.domain = domain
        self.password = password
    }

    public init(document: Document, keyPath: [TreePath.Component], file: String) throws {
        let where_ = TreePath.render(keyPath)
        guard let node = try? document.value(at: keyPath), case .mapping = node else {
            throw KSecretError(.generic, "no Namecheap credentials at \(where_) in \(file)",
                               hints: ["the file needs a mapping with host, domain and password there; pick another place with --key-path"])
        }
        func field(_ key: String) throws -> String {
            guard let value = node[key]?.stringValue, !value.isEmpty else {
                throw KSecretError(.generic, "\(where_)[\"\(key)\"] is missing or not a string in \(file)",
                                   hints: ["Namecheap dynamic DNS needs host (e.g. @), domain and password"])
            }
            return value
        }
        self.init(host: try field("host"), domain: try field("domain"), password: try field("password"))
    }

    /// The update URL; `redacted` puts `***` for the password (for anything shown).
    public func updateURL(endpoint: String, ip: String, redacted: Bool = false) throws -> URL {
        let e = PercentEncoding.encode
        var base = endpoint
        while base.hasSuffix("/") { base.removeLast() }
        let text = "\(base)/update?host=\(e(host))&domain=\(e(domain))&password=\(redacted ? "***" : e(password))&ip=\(e(ip))"
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            throw KSecretError(.generic, "the endpoint \(endpoint) is not an http(s) URL")
        }
        return url
    }

    public struct Outcome: Sendable, Equatable {
        public var ip: String?
        public var attempts: Int
    }

    /// Sends the update; retries network errors and 5xx answers `tries` times in all, waiting
    /// `baseDelay`, then twice that, and so on. `log` gets one line per attempt (no secret in it).
    public func update(ip: String, endpoint: String = defaultEndpoint, tries: Int = 4, baseDelay: Double = 0.5, timeout: TimeInterval = 15,
                       log: (String) -> Void = { _ in }) throws -> Outcome {
        guard IPAddress.isValid(ip) else {
            throw KSecretError(.generic, "\(ip) is not an IPv4 or IPv6 address", hints: ["give the address the record should point to with --ip"])
        }
        let url = try updateURL(endpoint: endpoint, ip: ip)
        let shown = try updateURL(endpoint: endpoint, ip: ip, redacted: true).absoluteString
        var delay = baseDelay
        var lastProblem = ""
        for attempt in 1...max(tries, 1) {
            if attempt > 1 {
                log("retrying in \(String(format: "%.1f", delay))s (attempt \(attempt) of \(tries))")
                Thread.sleep(forTimeInterval: delay)
                delay *= 2
            }
            let response: HTTPGet.Response
            do {
                response = try HTTPGet.get(url, timeout: timeout)
            } catch {
                lastProblem = error.description
                log("GET \(shown): \(lastProblem)")
                continue
            }
            log("GET \(shown): HTTP \(response.status)")
            if (500...599).contains(response.status) {
                lastProblem = "HTTP \(response.status)"
                continue
            }
            guard response.status == 200 else {
                throw KSecretError(.generic, "Namecheap dynamic DNS answered HTTP \(response.status) for \(host).\(domain)",
                                   hints: ["check --endpoint; the request was \(shown)"])
            }
            let answer = try NamecheapAnswer(parsing: response.body)
            guard answer.errCount == 0 else {
                let reason = answer.errors.isEmpty ? "\(answer.errCount) error(s)" : answer.errors.joined(separator: "; ")
                throw KSecretError(.generic, "Namecheap refused the update of \(host).\(domain): \(scrub(reason))",
                                   hints: ["check host, domain and the dynamic DNS password (Advanced DNS > Dynamic DNS) in the file; not retried"])
            }
            return Outcome(ip: answer.ip, attempts: attempt)
        }
        throw KSecretError(.generic, "Namecheap dynamic DNS did not answer after \(tries) attempts: \(lastProblem)",
                           hints: ["the endpoint was \(shown); the record was not changed as far as ksecret knows"])
    }

    private func scrub(_ text: String) -> String {
        text.replacingOccurrences(of: password, with: "***").replacingOccurrences(of: PercentEncoding.encode(password), with: "***")
    }
}

/// The XML Namecheap's dynamic DNS answers with:
/// `<interface-response><IP>..</IP><ErrCount>0</ErrCount><errors><Err1>..</Err1></errors><Done>true</Done></interface-response>`.
///
/// The real service declares `encoding="utf-16"` but sends UTF-8, so XML parsers that believe the
/// declaration fail; this reads the few elements it needs from the bytes as sent (UTF-8, or UTF-16
/// when the bytes really are, by their BOM).
public struct NamecheapAnswer: Sendable, Equatable {
    public var errCount: Int
    public var errors: [String]
    public var ip: String?
    public var done: Bool

    public init(parsing bytes: [UInt8]) throws {
        let text: String
        if bytes.starts(with: [0xFF, 0xFE]) {
            text = String(decoding: stride(from: 2, to: bytes.count - 1, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }, as: UTF16.self)
        } else if bytes.starts(with: [0xFE, 0xFF]) {
            text = String(decoding: stride(from: 2, to: bytes.count - 1, by: 2).map { UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]) }, as: UTF16.self)
        } else {
            text = String(decoding: bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes, as: UTF8.self)
        }
        guard text.contains("<interface-response"), let count = Self.element("ErrCount", in: text).flatMap({ Int($0) }) else {
            throw KSecretError(.generic, "the dynamic DNS endpoint did not answer with Namecheap's interface-response XML",
                               hints: ["check --endpoint"])
        }
        errCount = count
        errors = (1...max(count, 1)).compactMap { Self.element("Err\($0)", in: text) }
        ip = Self.element("IP", in: text)
        done = Self.element("Done", in: text)?.lowercased() == "true"
    }

    /// The text of the first `<name>...</name>` (entities and CDATA decoded), nil when absent or empty.
    static func element(_ name: String, in text: String) -> String? {
        guard let open = text.range(of: "<\(name)>"), let close = text.range(of: "</\(name)>", range: open.upperBound..<text.endIndex) else {
            return nil
        }
        var value = String(text[open.upperBound..<close.lowerBound])
        if value.hasPrefix("<![CDATA["), value.hasSuffix("]]>") {
            value = String(value.dropFirst(9).dropLast(3))
        } else {
            for (entity, char) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&apos;", "'"), ("&amp;", "&")] {
                value = value.replacingOccurrences(of: entity, with: char)
            }
        }
        value = value.trimmingCharacters(in: .whitespacesAndNewlines)
        return value.isEmpty ? nil : value
    }
}

/// Address syntax checks (`inet_pton`).
public enum IPAddress {
    public static func isValid(_ text: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    /// `lb_ip: ...` from a YAML file (e.g. written by the tool that created the load balancer).
    public static func read(fromYAML path: String) throws -> String {
        let parsed = try YAMLStore().parse(try AtomicFile.read(path), path: path)
        guard let ip = parsed.document.branches.first?["lb_ip"]?.stringValue, !ip.isEmpty else {
            throw KSecretError(.generic, "\(path) has no lb_ip", hints: ["expected a line such as `lb_ip: 203.0.113.7`"],
                               location: SourceLocation(file: path))
        }
        guard isValid(ip) else {
            throw KSecretError(.generic, "lb_ip in \(path) is not an IPv4 or IPv6 address", location: SourceLocation(file: path, keyPath: ["lb_ip"]))
        }
        return ip
    }
}

/// Polls a URL until it answers with any HTTP status (`ksecret ddns wait`): a name that resolves
/// to a host that serves something.
public enum HTTPWait {
    public struct Outcome: Sendable {
        public var status: Int
        public var attempts: Int
        public var elapsed: Duration
    }

    public static func wait(for url: URL, timeout: Double, interval: Double, clock: ContinuousClock = ContinuousClock(),
                            log: (String) -> Void = { _ in }) throws -> Outcome {
        guard let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            throw KSecretError(.generic, "\(url.absoluteString) is not an http(s) URL")
        }
        let start = clock.now
        let deadline = start + .milliseconds(Int64(timeout * 1000))
        var attempts = 0
        var last = ""
        while true {
            attempts += 1
            let left = deadline - clock.now
            let perTry = max(0.2, min(10, Double(left.components.seconds) + Double(left.components.attoseconds) / 1e18))
            do {
                let response = try HTTPGet.get(url, timeout: perTry)
                return Outcome(status: response.status, attempts: attempts, elapsed: clock.now - start)
            } catch {
                last = error.description
                log("\(url.host ?? ""): \(last)")
            }
            if clock.now + .milliseconds(Int64(interval * 1000)) > deadline { break }
            Thread.sleep(forTimeInterval: interval)
        }
        throw KSecretError(.generic, "\(url.absoluteString) did not answer within \(formatSeconds(timeout))s (\(attempts) attempts, last: \(last))",
                           hints: ["DNS may not have propagated yet, or nothing listens there; raise --timeout or check the record"])
    }

    static func formatSeconds(_ s: Double) -> String {
        s == s.rounded() ? String(Int(s)) : String(format: "%.1f", s)
    }
}
