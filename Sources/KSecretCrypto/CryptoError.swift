import COpenSSL

/// A failure inside libcrypto, or an authentication failure.
///
/// `authenticationFailed` is the one callers branch on (a wrong key or tampered bytes); every
/// other case carries the name of the libcrypto call that failed and OpenSSL's first queued reason,
/// which never contains key material.
public enum CryptoError: Error, Equatable, Sendable, CustomStringConvertible {
    case authenticationFailed
    case invalidParameter(String)
    case library(call: String, reason: String)

    public var description: String {
        switch self {
        case .authenticationFailed: return "authentication failed"
        case .invalidParameter(let what): return "invalid parameter: \(what)"
        case .library(let call, let reason): return "\(call) failed: \(reason)"
        }
    }

    /// Builds a `.library` error from OpenSSL's thread-local error queue and clears it.
    static func fromQueue(_ call: String) -> CryptoError {
        let code = ERR_get_error()
        ERR_clear_error()
        guard code != 0 else { return .library(call: call, reason: "unknown error") }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        let reason = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return .library(call: call, reason: reason)
    }
}

@inline(__always)
func check(_ result: Int32, _ call: String) throws {
    guard result == 1 else { throw CryptoError.fromQueue(call) }
}
