import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A client for one Vault / OpenBao transit key: `encrypt` and `decrypt` over the HTTP API, with
/// the token from `VAULT_TOKEN` (else `~/.vault-token`) and `VAULT_NAMESPACE`, as the Vault API
/// client that sops uses reads them. Retries connection failures and 5xx answers (a raft cluster
/// electing a new leader answers 5xx for a moment), never 4xx.
public struct TransitClient: Sendable {
    public var address: String
    public var enginePath: String
    public var keyName: String
    public var token: String?
    public var namespace: String?
    public var retries: Int
    public var timeout: TimeInterval

    public init(address: String, enginePath: String, keyName: String, environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.address = address.hasSuffix("/") ? String(address.dropLast()) : address
        self.enginePath = enginePath
        self.keyName = keyName
        func nonEmpty(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        var token = nonEmpty("VAULT_TOKEN") ?? nonEmpty("BAO_TOKEN")
        if token == nil, let home = nonEmpty("HOME"), let data = FileManager.default.contents(atPath: home + "/.vault-token") {
            token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        self.token = token
        namespace = nonEmpty("VAULT_NAMESPACE") ?? nonEmpty("BAO_NAMESPACE")
        retries = nonEmpty("VAULT_MAX_RETRIES").flatMap(Int.init) ?? 2
        timeout = nonEmpty("VAULT_CLIENT_TIMEOUT").flatMap(TimeInterval.init) ?? 30
    }

    /// Wraps `plaintext` (any bytes); returns the `vault:v1:…` ciphertext.
    public func encrypt(_ plaintext: [UInt8]) throws -> String {
        let answer = try post("encrypt", ["plaintext": Data(plaintext).base64EncodedString()])
        guard let ciphertext = answer["ciphertext"] as? String else { throw TransitError.malformedAnswer(address: address, what: "no ciphertext") }
        return ciphertext
    }

    /// Unwraps a `vault:v1:…` ciphertext.
    public func decrypt(_ ciphertext: String) throws -> [UInt8] {
        let answer = try post("decrypt", ["ciphertext": ciphertext])
        guard let encoded = answer["plaintext"] as? String, let plaintext = Data(base64Encoded: encoded) else {
            throw TransitError.malformedAnswer(address: address, what: "no plaintext")
        }
        return [UInt8](plaintext)
    }

    private func post(_ operation: String, _ body: [String: String]) throws -> [String: Any] {
        guard let url = URL(string: "\(address)/v1/\(enginePath)/\(operation)/\(keyName)") else {
            throw TransitError.invalidAddress(address)
        }
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.httpMethod = "POST"
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        if let token { request.setValue(token, forHTTPHeaderField: "X-Vault-Token") }
        if let namespace { request.setValue(namespace, forHTTPHeaderField: "X-Vault-Namespace") }
        request.httpBody = try JSONSerialization.data(withJSONObject: body)
        var attempt = 0
        while true {
            let (status, data, failure) = Self.send(request)
            let retryable = failure != nil || (status >= 500 && status != 501)
            if retryable && attempt < retries {
                attempt += 1
                Thread.sleep(forTimeInterval: min(0.25 * pow(2, Double(attempt - 1)), 2))
                continue
            }
            if let failure { throw TransitError.unreachable(address: address, reason: failure.localizedDescription) }
            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            let messages = (json?["errors"] as? [String]) ?? []
            switch status {
            case 200..<300:
                guard let payload = json?["data"] as? [String: Any] else { throw TransitError.malformedAnswer(address: address, what: "no data") }
                return payload
            case 403:
                throw TransitError.permissionDenied(address: address, operation: "\(enginePath)/\(operation)/\(keyName)", hasToken: token != nil)
            case 400 where messages.contains { $0.contains("key not found") }, 404:
                throw TransitError.keyMissing(address: address, enginePath: enginePath, keyName: keyName)
            case 503 where messages.contains { $0.contains("sealed") }:
                throw TransitError.sealed(address: address)
            default:
                throw TransitError.server(address: address, status: status, message: messages.first ?? "")
            }
        }
    }

    /// One request, synchronously.
    private static func send(_ request: URLRequest) -> (Int, Data, (any Error)?) {
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result: (Int, Data, (any Error)?) = (0, Data(), nil)
        let session = URLSession(configuration: .ephemeral)
        session.dataTask(with: request) { data, response, error in
            result = ((response as? HTTPURLResponse)?.statusCode ?? 0, data ?? Data(), error)
            done.signal()
        }.resume()
        done.wait()
        session.finishTasksAndInvalidate()
        return result
    }
}

/// What went wrong talking to the transit engine; each case says where and what to do.
public enum TransitError: Error, Equatable, Sendable {
    case invalidAddress(String)
    case unreachable(address: String, reason: String)
    case permissionDenied(address: String, operation: String, hasToken: Bool)
    case keyMissing(address: String, enginePath: String, keyName: String)
    case sealed(address: String)
    case server(address: String, status: Int, message: String)
    case malformedAnswer(address: String, what: String)

    public var message: String {
        switch self {
        case .invalidAddress(let a): return "invalid Vault address \(a)"
        case .unreachable(let a, let reason): return "cannot reach Vault at \(a): \(reason)"
        case .permissionDenied(let a, let op, _): return "Vault at \(a) denied \(op): permission denied"
        case .keyMissing(let a, let engine, let key): return "Vault at \(a) has no transit key \(key) in \(engine)"
        case .sealed(let a): return "Vault at \(a) is sealed"
        case .server(let a, let status, let message): return "Vault at \(a) answered HTTP \(status)" + (message.isEmpty ? "" : ": \(message)")
        case .malformedAnswer(let a, let what): return "Vault at \(a) sent a malformed answer (\(what))"
        }
    }

    public var hints: [String] {
        switch self {
        case .unreachable: return ["check that the server runs and that the address in the key URI (or the file's vault_address) is right"]
        case .permissionDenied(_, let op, let hasToken):
            return hasToken ? ["the token (VAULT_TOKEN or ~/.vault-token) needs a policy with update on \(op)"]
                            : ["no token found: set VAULT_TOKEN or log in so that ~/.vault-token exists"]
        case .keyMissing(_, let engine, let key): return ["create it with: bao write -f \(engine)/keys/\(key)  (or vault write)"]
        case .sealed: return ["unseal it (bao operator unseal) or use another node of the cluster"]
        default: return []
        }
    }

    /// The helper's exit status for this failure (read by ksecret).
    public var exitCode: Int32 {
        switch self {
        case .unreachable: return 3
        case .permissionDenied: return 4
        case .keyMissing: return 5
        default: return 6
        }
    }
}
