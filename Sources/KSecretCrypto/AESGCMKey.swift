import COpenSSL

/// AES-256-GCM under one key for many values: the key schedule is set up once and each operation
/// only sets a new IV, which is what makes encrypting or decrypting 20,000 values of a file cheap.
/// Owns two `EVP_CIPHER_CTX`s (seal and open) and frees them in `deinit`; not for concurrent use.
public final class AESGCMKey {
    private let sealContext: CipherContext
    private let openContext: CipherContext

    public init(key: [UInt8]) throws {
        guard key.count == AESGCM.keyLength else { throw CryptoError.invalidParameter("AES-256 key must be 32 bytes") }
        sealContext = try CipherContext()
        openContext = try CipherContext()
        try check(EVP_EncryptInit_ex(sealContext.pointer, EVP_aes_256_gcm(), nil, key, nil), "EVP_EncryptInit_ex")
        try check(EVP_DecryptInit_ex(openContext.pointer, EVP_aes_256_gcm(), nil, key, nil), "EVP_DecryptInit_ex")
    }

    public func seal(iv: [UInt8], plaintext: [UInt8], aad: [UInt8]) throws -> (ciphertext: [UInt8], tag: [UInt8]) {
        guard !iv.isEmpty else { throw CryptoError.invalidParameter("empty GCM IV") }
        let ctx = sealContext.pointer
        try check(ksecret_cipher_ctrl(ctx, ksecret_ctrl_aead_set_ivlen(), Int32(iv.count), nil), "EVP_CTRL_AEAD_SET_IVLEN")
        try check(EVP_EncryptInit_ex(ctx, nil, nil, nil, iv), "EVP_EncryptInit_ex(iv)")
        var outLength: Int32 = 0
        if !aad.isEmpty { try check(EVP_EncryptUpdate(ctx, nil, &outLength, aad, Int32(aad.count)), "EVP_EncryptUpdate(aad)") }
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + 16)
        var written: Int32 = 0
        if !plaintext.isEmpty { try check(EVP_EncryptUpdate(ctx, &ciphertext, &written, plaintext, Int32(plaintext.count)), "EVP_EncryptUpdate") }
        var finalLength: Int32 = 0
        try ciphertext.withUnsafeMutableBufferPointer { buffer in
            try check(EVP_EncryptFinal_ex(ctx, buffer.baseAddress! + Int(written), &finalLength), "EVP_EncryptFinal_ex")
        }
        ciphertext.removeSubrange(Int(written + finalLength)...)
        var tag = [UInt8](repeating: 0, count: AESGCM.tagLength)
        try check(ksecret_cipher_ctrl(ctx, ksecret_ctrl_aead_get_tag(), Int32(tag.count), &tag), "EVP_CTRL_AEAD_GET_TAG")
        return (ciphertext, tag)
    }

    /// Throws `CryptoError.authenticationFailed` when the value does not verify.
    public func open(iv: [UInt8], ciphertext: [UInt8], tag: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        guard !iv.isEmpty, tag.count == AESGCM.tagLength else { throw CryptoError.authenticationFailed }
        let ctx = openContext.pointer
        try check(ksecret_cipher_ctrl(ctx, ksecret_ctrl_aead_set_ivlen(), Int32(iv.count), nil), "EVP_CTRL_AEAD_SET_IVLEN")
        try check(EVP_DecryptInit_ex(ctx, nil, nil, nil, iv), "EVP_DecryptInit_ex(iv)")
        var outLength: Int32 = 0
        if !aad.isEmpty { try check(EVP_DecryptUpdate(ctx, nil, &outLength, aad, Int32(aad.count)), "EVP_DecryptUpdate(aad)") }
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count + 16)
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
