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

    /// The update URL; `redacted` puts `***` for the password (for anything shown). Plain http is
    /// refused unless the endpoint is on the loopback interface (a test stand-in) or
    /// `insecureHTTP` says the caller wants it (the password would cross the network in clear).
    public func updateURL(endpoint: String, ip: String, redacted: Bool = false, insecureHTTP: Bool = false) throws -> URL {
        let e = PercentEncoding.encode
        var base = endpoint
        while base.hasSuffix("/") { base.removeLast() }
        let text = "\(base)/update?host=\(e(host))&domain=\(e(domain))&password=\(redacted ? "***" : e(password))&ip=\(e(ip))"
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https", url.host != nil else {
            throw KSecretError(.generic, "the endpoint \(endpoint) is not an http(s) URL")
        }
        if scheme == "http", !insecureHTTP, !Self.isLoopback(url.host ?? "") {
            throw KSecretError(.generic, "the endpoint \(endpoint) is plain http: the password would cross the network in clear",
                               hints: ["use https, or add --insecure-http if you really mean it"])
        }
        return url
    }

    static func isLoopback(_ host: String) -> Bool {
        let h = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        return h == "localhost" || h == "::1" || (IPAddress.isValid(h) && h.hasPrefix("127."))
    }

    public struct Outcome: Sendable, Equatable {
        public var ip: String?
        public var attempts: Int
    }

    /// Sends the update; retries network errors and 5xx answers `tries` times in all, waiting
    /// `baseDelay`, then twice that, and so on. `log` gets one line per attempt (no secret in it).
    public func update(ip: String, endpoint: String = defaultEndpoint, insecureHTTP: Bool = false, tries: Int = 4, baseDelay: Double = 0.5,
                       timeout: TimeInterval = 15, log: (String) -> Void = { _ in }) throws -> Outcome {
        guard IPAddress.isValid(ip) else {
            throw KSecretError(.generic, "\(ip) is not an IPv4 or IPv6 address", hints: ["give the address the record should point to with --ip"])
        }
        let url = try updateURL(endpoint: endpoint, ip: ip, insecureHTTP: insecureHTTP)
        let shown = try updateURL(endpoint: endpoint, ip: ip, redacted: true, insecureHTTP: insecureHTTP).absoluteString
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
                throw KSecretError(.ddnsUnexpectedAnswer, "Namecheap dynamic DNS answered HTTP \(response.status) for \(host).\(domain)",
                                   hints: ["check --endpoint; the request was \(shown)"])
            }
            let answer = try NamecheapAnswer(parsing: response.body)
            guard answer.errCount == 0 else {
                let reason = answer.errors.isEmpty ? "\(answer.errCount) error(s)" : answer.errors.joined(separator: "; ")
                throw KSecretError(.ddnsRefused, "Namecheap refused the update of \(host).\(domain): \(scrub(reason))",
                                   hints: ["check host, domain and the dynamic DNS password (Advanced DNS > Dynamic DNS) in the file; not retried"])
            }
            return Outcome(ip: answer.ip, attempts: attempt)
        }
        throw KSecretError(.ddnsUnreachable, "Namecheap dynamic DNS did not answer after \(tries) attempts: \(lastProblem)",
                           hints: ["the endpoint was \(shown); the record was not changed as far as ksecret knows"])
    }

    private func scrub(_ text: String) -> String {
        text.replacingOccurrences(of: password, with: "***").replacingOccurrences(of: PercentEncoding.encode(password), with: "***")
    }
}
