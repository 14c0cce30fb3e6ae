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

/// The shared body of AES-256-GCM and ChaCha20-Poly1305: both are EVP AEADs with a settable IV
/// length and a 16-byte tag.
enum EVPAEAD {
    static let tagLength = 16

    static func seal(cipher: OpaquePointer, key: [UInt8], iv: [UInt8], plaintext: [UInt8], aad: [UInt8])
        throws -> (ciphertext: [UInt8], tag: [UInt8])
    {
        let ctx = try CipherContext()
        try check(EVP_EncryptInit_ex(ctx.pointer, cipher, nil, nil, nil), "EVP_EncryptInit_ex")
        try check(ksecret_cipher_ctrl(ctx.pointer, ksecret_ctrl_aead_set_ivlen(), Int32(iv.count), nil), "EVP_CTRL_AEAD_SET_IVLEN")
        try check(EVP_EncryptInit_ex(ctx.pointer, nil, nil, key, iv), "EVP_EncryptInit_ex")
        var outLength: Int32 = 0
        if !aad.isEmpty {
            try check(EVP_EncryptUpdate(ctx.pointer, nil, &outLength, aad, Int32(aad.count)), "EVP_EncryptUpdate(aad)")
        }
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + 16)
        var written: Int32 = 0
        if !plaintext.isEmpty {
            try check(EVP_EncryptUpdate(ctx.pointer, &ciphertext, &written, plaintext, Int32(plaintext.count)), "EVP_EncryptUpdate")
        }
        var finalLength: Int32 = 0
        try ciphertext.withUnsafeMutableBufferPointer { buffer in
            try check(EVP_EncryptFinal_ex(ctx.pointer, buffer.baseAddress! + Int(written), &finalLength), "EVP_EncryptFinal_ex")
        }
        ciphertext.removeSubrange(Int(written + finalLength)...)
        var tag = [UInt8](repeating: 0, count: tagLength)
        try check(ksecret_cipher_ctrl(ctx.pointer, ksecret_ctrl_aead_get_tag(), Int32(tagLength), &tag), "EVP_CTRL_AEAD_GET_TAG")
        return (ciphertext, tag)
    }

    static func open(cipher: OpaquePointer, key: [UInt8], iv: [UInt8], ciphertext: [UInt8], tag: [UInt8], aad: [UInt8])
        throws -> [UInt8]
    {
        guard tag.count == tagLength else { throw CryptoError.authenticationFailed }
        let ctx = try CipherContext()
        try check(EVP_DecryptInit_ex(ctx.pointer, cipher, nil, nil, nil), "EVP_DecryptInit_ex")
        try check(ksecret_cipher_ctrl(ctx.pointer, ksecret_ctrl_aead_set_ivlen(), Int32(iv.count), nil), "EVP_CTRL_AEAD_SET_IVLEN")
        try check(EVP_DecryptInit_ex(ctx.pointer, nil, nil, key, iv), "EVP_DecryptInit_ex")
        var outLength: Int32 = 0
        if !aad.isEmpty {
            try check(EVP_DecryptUpdate(ctx.pointer, nil, &outLength, aad, Int32(aad.count)), "EVP_DecryptUpdate(aad)")
        }
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count + 16)
        var written: Int32 = 0
        if !ciphertext.isEmpty {
            try check(EVP_DecryptUpdate(ctx.pointer, &plaintext, &written, ciphertext, Int32(ciphertext.count)), "EVP_DecryptUpdate")
        }
        var tagCopy = tag
        try check(ksecret_cipher_ctrl(ctx.pointer, ksecret_ctrl_aead_set_tag(), Int32(tagLength), &tagCopy), "EVP_CTRL_AEAD_SET_TAG")
        var finalLength: Int32 = 0
        let ok = plaintext.withUnsafeMutableBufferPointer { buffer in
            EVP_DecryptFinal_ex(ctx.pointer, buffer.baseAddress! + Int(written), &finalLength)
        }
        guard ok == 1 else {
            ERR_clear_error()
            SecureBytes.zero(&plaintext)
            throw CryptoError.authenticationFailed
        }
        plaintext.removeSubrange(Int(written + finalLength)...)
        return plaintext
    }
}
