import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One blocking HTTP GET over Foundation's URLSession, for the command-line flows (which run one
/// request at a time and have nothing else to do meanwhile).
///
/// No proxy is used (the flows talk to the endpoint they are given), nothing is cached, and cookies
/// are neither sent nor kept.
public enum HTTPGet {
    public struct Response: Sendable {
        public var status: Int
        public var body: [UInt8]
    }

    /// A transport failure (no HTTP answer at all): refused, timed out, name not found, TLS.
    public struct TransportError: Error, CustomStringConvertible {
        public var description: String
    }

    public static func get(_ url: URL, timeout: TimeInterval, headers: [String: String] = [:]) throws(TransportError) -> Response {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.connectionProxyDictionary = [:]
        configuration.requestCachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        configuration.httpShouldSetCookies = false
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        let challenges = ChallengeRefuser()
        let session = URLSession(configuration: configuration, delegate: challenges, delegateQueue: nil)
        defer { session.finishTasksAndInvalidate() }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "GET"
        request.setValue("ksecret", forHTTPHeaderField: "User-Agent")
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }

        final class Box: @unchecked Sendable {
            var result: Result<Response, TransportError> = .failure(TransportError(description: "no answer"))
        }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: request) { data, response, error in
            if let http = response as? HTTPURLResponse {
                box.result = .success(Response(status: http.statusCode, body: [UInt8](data ?? Data())))
            } else if let status = challenges.refusedStatus {
                box.result = .success(Response(status: status, body: []))
            } else {
                // URLError's text may carry the URL (with its query): keep only the reason.
                let reason = (error as? URLError).map { Self.describe($0.code) } ?? "no HTTP answer"
                box.result = .failure(TransportError(description: reason))
            }
            done.signal()
        }
        task.resume()
        done.wait()
        return try box.result.get()
    }

    /// Answers an authentication challenge (a 401 or 407 with `WWW-Authenticate`) by giving up,
    /// and keeps its status: the caller reports it. Without a delegate, Foundation's URLSession on
    /// Linux waits for ever on such an answer, past the request's timeout.
    private final class ChallengeRefuser: NSObject, URLSessionTaskDelegate, @unchecked Sendable {
        private let lock = NSLock()
        private var status: Int?
        var refusedStatus: Int? { lock.withLock { status } }

        func urlSession(_ session: URLSession, task: URLSessionTask, didReceive challenge: URLAuthenticationChallenge,
                        completionHandler: @escaping (URLSession.AuthChallengeDisposition, URLCredential?) -> Void) {
            let code = (challenge.failureResponse as? HTTPURLResponse)?.statusCode ?? 401
            lock.withLock { status = code }
            completionHandler(.cancelAuthenticationChallenge, nil)
        }
    }

    private static func describe(_ code: URLError.Code) -> String {
        switch code {
        case .cannotConnectToHost: return "connection refused"
        case .timedOut: return "timed out"
        case .cannotFindHost, .dnsLookupFailed: return "host not found"
        case .notConnectedToInternet, .networkConnectionLost: return "network unavailable"
        case .secureConnectionFailed, .serverCertificateUntrusted, .serverCertificateHasBadDate, .serverCertificateNotYetValid,
             .serverCertificateHasUnknownRoot, .clientCertificateRejected:
            return "TLS failure"
        case .badServerResponse: return "bad server response"
        default: return "network error \(code.rawValue)"
        }
    }
}
