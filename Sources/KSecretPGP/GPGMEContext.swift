import CGPGME

/// Owns one `gpgme_ctx_t` (from `gpgme_new`, freed with `gpgme_release` in `deinit`), set to a
/// protocol (OpenPGP unless said otherwise), ASCII armor, and optionally a GnuPG home directory of
/// its own and an engine (for OpenPGP the gpg binary, for Assuan a socket).
///
/// One context per operation: GPGME contexts must not be shared between threads.
final class GPGMEContext {
    let pointer: gpgme_ctx_t

    /// - Parameter homeDirectory: the GnuPG home for this context (`gpgme_ctx_set_engine_info`);
    ///   nil leaves it to GPGME and gpg, which honour `GNUPGHOME` and default to `~/.gnupg`.
    init(homeDirectory: String?, protocol proto: gpgme_protocol_t = GPGME_PROTOCOL_OpenPGP, engine: String? = nil) throws(PGPError) {
        try GPGMELibrary.ready()
        var ctx: gpgme_ctx_t?
        let created = gpgme_new(&ctx)
        guard created == 0, let ctx else { throw .failed(call: "gpgme_new", cause: GPGMEError(created)) }
        pointer = ctx
        do {
            try GPGMEError.check(gpgme_set_protocol(ctx, proto))
            if homeDirectory != nil || engine != nil {
                try GPGMEError.check(gpgme_ctx_set_engine_info(ctx, proto, engine, homeDirectory))
            }
        } catch {
            throw .failed(call: "setting up the GPGME context", cause: error)
        }
        gpgme_set_armor(ctx, 1)
    }

    deinit { gpgme_release(pointer) }

    /// The public key `fingerprint` names, checked to be one that may be encrypted to.
    func encryptionKey(_ fingerprint: String) throws(PGPError) -> GPGMEKey {
        var found: gpgme_key_t?
        let error = gpgme_get_key(pointer, fingerprint, &found, 0)
        if error != 0 {
            let e = GPGMEError(error)
            if e.is(GPG_ERR_EOF) { throw .keyNotFound(fingerprint: fingerprint) }
            if e.is(GPG_ERR_AMBIGUOUS_NAME) { throw .ambiguousKey(fingerprint: fingerprint) }
            throw .failed(call: "gpgme_get_key", cause: e)
        }
        guard let found else { throw .keyNotFound(fingerprint: fingerprint) }
        let key = GPGMEKey(found)
        if let problem = key.problem { throw .keyUnusable(fingerprint: fingerprint, problem: problem) }
        return key
    }
}

/// Owns one `gpgme_key_t` reference (released with `gpgme_key_unref`).
final class GPGMEKey {
    let pointer: gpgme_key_t

    init(_ pointer: gpgme_key_t) { self.pointer = pointer }

    deinit { gpgme_key_unref(pointer) }

    /// Why the key must not be encrypted to, or nil: the key itself revoked, expired, disabled or
    /// invalid, else no subkey that can encrypt and is itself usable (reporting the reason of the
    /// encryption subkeys when they all share one).
    var problem: PGPError.KeyProblem? {
        let key = pointer.pointee
        if key.revoked != 0 { return .revoked }
        if key.expired != 0 { return .expired }
        if key.disabled != 0 { return .disabled }
        if key.invalid != 0 { return .invalid }
        var reasons: [PGPError.KeyProblem] = []
        var subkey = key.subkeys
        while let s = subkey?.pointee {
            defer { subkey = s.next }
            guard s.can_encrypt != 0 else { continue }
            if s.revoked != 0 { reasons.append(.revoked) }
            else if s.expired != 0 { reasons.append(.expired) }
            else if s.disabled != 0 { reasons.append(.disabled) }
            else if s.invalid != 0 { reasons.append(.invalid) }
            else { return nil }
        }
        if let first = reasons.first, reasons.allSatisfy({ $0 == first }) { return first }
        return .cannotEncrypt
    }
}
