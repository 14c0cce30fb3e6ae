import Foundation
import KSecret

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
        // Each distinct error, in the order first seen, with how often: the last attempt may only
        // have timed out because the deadline left it little time, which alone would hide the cause.
        var errors: [(text: String, count: Int)] = []
        while true {
            attempts += 1
            let left = deadline - clock.now
            let perTry = max(0.2, min(10, Double(left.components.seconds) + Double(left.components.attoseconds) / 1e18))
            do {
                let response = try HTTPGet.get(url, timeout: perTry)
                return Outcome(status: response.status, attempts: attempts, elapsed: clock.now - start)
            } catch {
                let text = error.description
                if let i = errors.firstIndex(where: { $0.text == text }) { errors[i].count += 1 } else { errors.append((text, 1)) }
                log("\(url.host ?? ""): \(text)")
            }
            if clock.now + .milliseconds(Int64(interval * 1000)) > deadline { break }
            Thread.sleep(forTimeInterval: interval)
        }
        throw KSecretError(.waitTimedOut, "\(url.absoluteString) did not answer within \(formatSeconds(timeout))s (\(attempts) attempts: \(errors.map { "\($0.text) ×\($0.count)" }.joined(separator: ", ")))",
                           hints: ["DNS may not have propagated yet, or nothing listens there; raise --timeout or check the record"])
    }

    static func formatSeconds(_ s: Double) -> String {
        s == s.rounded() ? String(Int(s)) : String(format: "%.1f", s)
    }
}
