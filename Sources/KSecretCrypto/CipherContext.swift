import COpenSSL

/// Owns an `EVP_CIPHER_CTX` and frees it in `deinit`; the AEAD types use it for one operation each.
final class CipherContext {
    let pointer: OpaquePointer

    init() throws {
        guard let ctx = EVP_CIPHER_CTX_new() else { throw CryptoError.fromQueue("EVP_CIPHER_CTX_new") }
        pointer = ctx
    }

    deinit { EVP_CIPHER_CTX_free(pointer) }
}

/// An EVP AEAD (AES-256-GCM or ChaCha20-Poly1305) with its key set up once: each seal or open only
/// sets a new IV. Owns one context per direction; not for concurrent use. The one-shot `AESGCM` and
/// `ChaChaPoly` functions and the reusable `AESGCMKey` are all this type.
final class AEADKey {
    static let tagLength = 16
    private let sealContext: CipherContext
    private let openContext: CipherContext
    /// The IV length each context is set to: setting it goes through OpenSSL's parameter lookup,
    /// so it is only set when it changes (sops writes 32 bytes for every value).
    private var sealIVLength = -1
    private var openIVLength = -1

    init(cipher: OpaquePointer, key: [UInt8]) throws {
        sealContext = try CipherContext()
        openContext = try CipherContext()
        try check(EVP_EncryptInit_ex(sealContext.pointer, cipher, nil, key, nil), "EVP_EncryptInit_ex")
        try check(EVP_DecryptInit_ex(openContext.pointer, cipher, nil, key, nil), "EVP_DecryptInit_ex")
    }

    func seal(iv: [UInt8], plaintext: [UInt8], aad: [UInt8]) throws -> (ciphertext: [UInt8], tag: [UInt8]) {
        let ctx = sealContext.pointer
        if iv.count != sealIVLength {
            try check(ksecret_cipher_ctrl(ctx, ksecret_ctrl_aead_set_ivlen(), Int32(iv.count), nil), "EVP_CTRL_AEAD_SET_IVLEN")
            sealIVLength = iv.count
        }
        try check(EVP_EncryptInit_ex(ctx, nil, nil, nil, iv), "EVP_EncryptInit_ex(iv)")
        var outLength: Int32 = 0
        if !aad.isEmpty { try check(EVP_EncryptUpdate(ctx, nil, &outLength, aad, Int32(aad.count)), "EVP_EncryptUpdate(aad)") }
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + Self.tagLength)
        var written: Int32 = 0
        if !plaintext.isEmpty { try check(EVP_EncryptUpdate(ctx, &ciphertext, &written, plaintext, Int32(plaintext.count)), "EVP_EncryptUpdate") }
        var finalLength: Int32 = 0
        try ciphertext.withUnsafeMutableBufferPointer { buffer in
            try check(EVP_EncryptFinal_ex(ctx, buffer.baseAddress! + Int(written), &finalLength), "EVP_EncryptFinal_ex")
        }
        ciphertext.removeSubrange(Int(written + finalLength)...)
        var tag = [UInt8](repeating: 0, count: Self.tagLength)
        try check(ksecret_cipher_ctrl(ctx, ksecret_ctrl_aead_get_tag(), Int32(tag.count), &tag), "EVP_CTRL_AEAD_GET_TAG")
        return (ciphertext, tag)
    }

    /// Throws `CryptoError.authenticationFailed` when the value does not verify; no plaintext escapes.
    func open(iv: [UInt8], ciphertext: [UInt8], tag: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        guard tag.count == Self.tagLength else { throw CryptoError.authenticationFailed }
        let ctx = openContext.pointer
        if iv.count != openIVLength {
            try check(ksecret_cipher_ctrl(ctx, ksecret_ctrl_aead_set_ivlen(), Int32(iv.count), nil), "EVP_CTRL_AEAD_SET_IVLEN")
            openIVLength = iv.count
        }
        try check(EVP_DecryptInit_ex(ctx, nil, nil, nil, iv), "EVP_DecryptInit_ex(iv)")
        var outLength: Int32 = 0
        if !aad.isEmpty { try check(EVP_DecryptUpdate(ctx, nil, &outLength, aad, Int32(aad.count)), "EVP_DecryptUpdate(aad)") }
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count + Self.tagLength)
        var written: Int32 = 0
        if !ciphertext.isEmpty { try check(EVP_DecryptUpdate(ctx, &plaintext, &written, ciphertext, Int32(ciphertext.count)), "EVP_DecryptUpdate") }
        var tagCopy = tag
        try check(ksecret_cipher_ctrl(ctx, ksecret_ctrl_aead_set_tag(), Int32(tagCopy.count), &tagCopy), "EVP_CTRL_AEAD_SET_TAG")
        var finalLength: Int32 = 0
        let ok = plaintext.withUnsafeMutableBufferPointer { EVP_DecryptFinal_ex(ctx, $0.baseAddress! + Int(written), &finalLength) }
        guard ok == 1 else {
            ERR_clear_error()
            SecureBytes.zero(&plaintext)
            throw CryptoError.authenticationFailed
        }
        plaintext.removeSubrange(Int(written + finalLength)...)
        return plaintext
    }
}
