import CGPGME

/// A `gpgme_error_t` as a value: the error source (which component failed: gpg, gpg-agent, GPGME
/// itself, ...) and the error code, with GPGME's own text for them.
///
/// It travels as the cause of a `PGPError` (and from there of a `KSecretError`), for `--verbose`
/// output; messages shown to a user are worded from the `PGPError` case, never from this raw value.
public struct GPGMEError: Error, Sendable, Equatable, CustomStringConvertible {
    /// `gpgme_err_code` of the error (a `gpg_err_code_t` value).
    public let code: UInt32
    /// `gpgme_err_source` of the error (a `gpg_err_source_t` value).
    public let source: UInt32
    private let raw: gpgme_error_t

    init(_ error: gpgme_error_t) {
        raw = error
        code = gpgme_err_code(error).rawValue
        source = gpgme_err_source(error).rawValue
    }

    /// GPGME's description of the code, through the thread-safe `gpgme_strerror_r`.
    public var message: String {
        var buffer = [CChar](repeating: 0, count: 256)
        _ = gpgme_strerror_r(raw, &buffer, buffer.count)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The component that reported it, from `gpgme_strsource` (a static string).
    public var sourceName: String { gpgme_strsource(raw).map { String(cString: $0) } ?? "unknown source" }

    public var description: String { "\(sourceName): \(message)" }

    func `is`(_ candidate: gpg_err_code_t) -> Bool { code == candidate.rawValue }

    /// Throws the error unless `error` is 0.
    static func check(_ error: gpgme_error_t) throws(GPGMEError) {
        if error != 0 { throw GPGMEError(error) }
    }
}
