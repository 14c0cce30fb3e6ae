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
        var function: UnsafePointer<CChar>?
        let code = ERR_get_error_all(nil, nil, &function, nil, nil)
        ERR_clear_error()
        guard code != 0 else { return .library(call: call, reason: "unknown error") }
        guard ERR_reason_error_string(code) != nil else {
            return .library(call: call, reason: reason(code: code, function: function.map { String(cString: $0) }))
        }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        let reason = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return .library(call: call, reason: reason)
    }

    /// The reason of an error whose text libcrypto has not loaded (`CryptoLibrary` says when): its
    /// code, the libcrypto function that raised it, and how to get the text.
    static func reason(code: UInt, function: String?) -> String {
        let hex = String(code, radix: 16, uppercase: true)
        let padded = String(repeating: "0", count: max(0, 8 - hex.count)) + hex
        return "error \(padded)\(function.map { " in \($0)" } ?? "") (`openssl errstr \(padded)` gives its text)"
    }
}

@inline(__always)
func check(_ result: Int32, _ call: String) throws {
    guard result == 1 else { throw CryptoError.fromQueue(call) }
}
