import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One blocking HTTP GET over Foundation's URLSession, for the command-line flows (which run one
/// request at a time and have nothing else to do meanwhile).
///
/// No proxy is used (the flows talk to the endpoint they are given), nothing is cached, and cookies
/// are neither sent nor kept.
enum HTTPGet {
    struct Response: Sendable {
        var status: Int
        var body: [UInt8]
    }

    /// A transport failure (no HTTP answer at all): refused, timed out, name not found, TLS.
    struct TransportError: Error, CustomStringConvertible {
        var description: String
    }

    static func get(_ url: URL, timeout: TimeInterval) throws(TransportError) -> Response {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.connectionProxyDictionary = [:]
        configuration.requestCachePolicy = .reloadIgnoringLocalAndRemoteCacheData
        configuration.httpShouldSetCookies = false
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        let session = URLSession(configuration: configuration)
        defer { session.finishTasksAndInvalidate() }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "GET"
        request.setValue("ksecret", forHTTPHeaderField: "User-Agent")

        final class Box: @unchecked Sendable {
            var result: Result<Response, TransportError> = .failure(TransportError(description: "no answer"))
        }
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        let task = session.dataTask(with: request) { data, response, error in
            if let http = response as? HTTPURLResponse {
                box.result = .success(Response(status: http.statusCode, body: [UInt8](data ?? Data())))
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
