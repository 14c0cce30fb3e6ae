import CGPGME

/// GPGME's one-time set-up: `gpgme_check_version` must run once before any other call (it
/// initialises the library), and the OpenPGP engine (the gpg binary) must be usable.
///
/// Done lazily on first use, so a process that never touches a PGP key never starts GPGME.
enum GPGMELibrary {
    /// The oldest GPGME with everything used here (`gpgme_op_encrypt` flags, `gpgme_strerror_r`,
    /// per-context engine info). Debian 12 ships 1.18.
    static let minimumVersion = "1.12.0"

    /// The library's version, or why GPGME cannot be used. Swift runs this initialiser once.
    static let status: Result<String, PGPError> = {
        guard let version = ksecret_gpgme_check_version(minimumVersion) else {
            let installed = ksecret_gpgme_check_version(nil).map { String(cString: $0) } ?? "unknown"
            return .failure(.unavailable(reason: "GPGME \(installed) is older than \(minimumVersion)", cause: nil))
        }
        let engine = gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP)
        if engine != 0 {
            return .failure(.unavailable(reason: "the gpg program (GnuPG's OpenPGP engine) cannot be used", cause: GPGMEError(engine)))
        }
        return .success(String(cString: version))
    }()

    static func ready() throws(PGPError) {
        if case .failure(let error) = status { throw error }
    }
}
