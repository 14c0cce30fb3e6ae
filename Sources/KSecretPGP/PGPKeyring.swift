import CGPGME

/// A GnuPG keyring reached through GPGME: encrypts a byte string to public keys by fingerprint, and
/// decrypts a message with the secret keys that gpg-agent holds (asking through pinentry when a
/// key has a passphrase).
///
/// Use it for PGP master keys; it knows nothing of sops files. Each call makes its own GPGME
/// context, so a keyring may be used from several threads.
public struct PGPKeyring: Sendable {
    /// The GnuPG home directory, or nil for GPGME's default (`$GNUPGHOME`, else `~/.gnupg`).
    public var homeDirectory: String?

    public init(homeDirectory: String? = nil) {
        self.homeDirectory = homeDirectory
    }

    /// The GPGME version in use, after its one-time initialisation; throws when GPGME or gpg is unusable.
    public static func libraryVersion() throws(PGPError) -> String {
        try GPGMELibrary.status.get()
    }

    /// Encrypts `plaintext` to the keys with these fingerprints, as one ASCII-armored OpenPGP
    /// message (`gpgme_op_encrypt`).
    ///
    /// The keys are trusted as given (`GPGME_ENCRYPT_ALWAYS_TRUST`, as sops's `--trusted-key`
    /// does), and the `encrypt-to` keys of gpg.conf are not added; but a key that is revoked,
    /// expired, disabled or invalid, or has no usable encryption subkey, is refused before anything
    /// is encrypted, naming its fingerprint.
    public func encrypt(_ plaintext: [UInt8], to fingerprints: [String]) throws(PGPError) -> String {
        let context = try GPGMEContext(homeDirectory: homeDirectory)
        var keys: [GPGMEKey] = []
        for fingerprint in fingerprints { keys.append(try context.encryptionKey(fingerprint)) }
        let input = try GPGMEData(copying: plaintext)
        let output = try GPGMEData()
        var recipients: [gpgme_key_t?] = keys.map { $0.pointer } + [nil]
        let flags = gpgme_encrypt_flags_t(GPGME_ENCRYPT_ALWAYS_TRUST.rawValue | GPGME_ENCRYPT_NO_ENCRYPT_TO.rawValue)
        let error = gpgme_op_encrypt(context.pointer, &recipients, flags, input.pointer, output.pointer)
        withExtendedLifetime(keys) {}
        if error != 0 {
            if let recipient = gpgme_op_encrypt_result(context.pointer)?.pointee.invalid_recipients?.pointee {
                let fingerprint = recipient.fpr.map { String(cString: $0) } ?? fingerprints.first ?? ""
                throw .recipientRejected(fingerprint: fingerprint, cause: GPGMEError(recipient.reason))
            }
            throw .failed(call: "gpgme_op_encrypt", cause: GPGMEError(error))
        }
        return String(decoding: output.takeBytes(), as: UTF8.self)
    }

    /// Decrypts an OpenPGP message (armored or binary) with whichever secret key gpg-agent has for
    /// it (`gpgme_op_decrypt`).
    public func decrypt(_ message: [UInt8]) throws(PGPError) -> [UInt8] {
        let context = try GPGMEContext(homeDirectory: homeDirectory)
        let input = try GPGMEData(copying: message)
        let output = try GPGMEData()
        let error = gpgme_op_decrypt(context.pointer, input.pointer, output.pointer)
        if error != 0 {
            let failure = Self.decryptFailure(GPGMEError(error), result: gpgme_op_decrypt_result(context.pointer))
            if case .noSecretKey(let keyIDs) = failure { try diagnoseNoSecretKey(keyIDs, context: context) }
            throw failure
        }
        return output.takeBytes()
    }

    /// gpg says "no secret key" also when it could not reach gpg-agent, which holds the secret keys.
    /// When the keyring has the public key of a recipient (so gpg did ask the agent), ask the agent
    /// directly whether it is there; an agent that does not answer is the real failure.
    private func diagnoseNoSecretKey(_ keyIDs: [String], context: GPGMEContext) throws(PGPError) {
        let known = keyIDs.contains { keyID in
            var key: gpgme_key_t?
            defer { if let key { gpgme_key_unref(key) } }
            return gpgme_get_key(context.pointer, keyID, &key, 0) == 0 && key != nil
        }
        guard known else { return }
        if let unreachable = GPGAgentProbe(homeDirectory: homeDirectory).failure() {
            throw .agentUnavailable(cause: unreachable)
        }
    }

    /// Imports public or secret keys (armored or binary) into this keyring (`gpgme_op_import`);
    /// returns how many keys the data held. Secret keys go to gpg-agent without a passphrase
    /// prompt when they have none.
    @discardableResult
    public func importKeys(_ keys: [UInt8]) throws(PGPError) -> Int {
        let context = try GPGMEContext(homeDirectory: homeDirectory)
        let input = try GPGMEData(copying: keys)
        let error = gpgme_op_import(context.pointer, input.pointer)
        if error != 0 { throw .failed(call: "gpgme_op_import", cause: GPGMEError(error)) }
        let considered = Int(gpgme_op_import_result(context.pointer)?.pointee.considered ?? 0)
        if considered == 0 { throw .malformedMessage(cause: GPGMEError(gpgme_error_t(GPG_ERR_NO_DATA.rawValue))) }
        return considered
    }

    /// Stops the gpg-agent of this home, if one runs (`gpgconf --kill gpg-agent`): for a throwaway
    /// home, before it is removed.
    public func stopAgent() {
        _ = GnuPGConf(homeDirectory: homeDirectory).run(["--kill", "gpg-agent"])
    }

    /// Sorts a decryption failure by cause. gpg reports a missing secret key as "decryption
    /// failed" overall, with `GPG_ERR_NO_SECKEY` on each recipient of the result.
    private static func decryptFailure(_ error: GPGMEError, result: gpgme_decrypt_result_t?) -> PGPError {
        var keyIDs: [String] = []
        var statuses: [GPGMEError] = []
        var recipient = result?.pointee.recipients
        while let r = recipient?.pointee {
            keyIDs.append(r.keyid.map { String(cString: $0) } ?? "unknown")
            statuses.append(GPGMEError(r.status))
            recipient = r.next
        }
        let reasons = [error] + statuses.filter { $0.code != 0 }
        func any(_ codes: gpg_err_code_t...) -> GPGMEError? {
            reasons.first { reason in codes.contains { reason.is($0) } }
        }
        if let e = any(GPG_ERR_BAD_PASSPHRASE) { return .badPassphrase(cause: e) }
        if let e = any(GPG_ERR_CANCELED, GPG_ERR_FULLY_CANCELED) { return .canceled(cause: e) }
        if let e = any(GPG_ERR_NO_PIN_ENTRY, GPG_ERR_PIN_ENTRY, GPG_ERR_NO_PASSPHRASE) { return .pinentryUnavailable(cause: e) }
        if let e = any(GPG_ERR_NO_AGENT, GPG_ERR_AGENT) { return .agentUnavailable(cause: e) }
        if error.is(GPG_ERR_NO_SECKEY) || (!statuses.isEmpty && statuses.allSatisfy { $0.is(GPG_ERR_NO_SECKEY) }) {
            return .noSecretKey(keyIDs: keyIDs)
        }
        if let e = any(GPG_ERR_NO_DATA, GPG_ERR_BAD_DATA, GPG_ERR_INV_PACKET) { return .malformedMessage(cause: e) }
        return .failed(call: "gpgme_op_decrypt", cause: error)
    }
}
