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

/// The default provider's implementation of an AEAD, called without EVP (`ksecret_aead` in the
/// shim says why). Found once per process; nil when EVP is to be used.
final class ProviderAEAD: @unchecked Sendable {
    let functions: UnsafeMutablePointer<ksecret_aead>

    init?(name: String) {
        functions = .allocate(capacity: 1)
        guard ksecret_aead_find(name, functions) == 1 else {
            functions.deallocate()
            ERR_clear_error()   // EVP is used instead: its errors must not carry this one's
            return nil
        }
    }

    static let aes256GCM = CryptoLibrary.usesProviderDispatch ? ProviderAEAD(name: "AES-256-GCM") : nil
    static let chaCha20Poly1305 = CryptoLibrary.usesProviderDispatch ? ProviderAEAD(name: "ChaCha20-Poly1305") : nil
}

/// AES-256-GCM or ChaCha20-Poly1305 with its key set up once: each seal or open only sets a new
/// IV. Owns one context per direction; not for concurrent use. The one-shot `AESGCM` and
/// `ChaChaPoly` functions and the reusable `AESGCMKey` are all this type. Runs through EVP, or
/// through the provider's functions directly (`ProviderAEAD`): the same implementation either way.
final class AEADKey {
    static let tagLength = 16

    private enum Contexts {
        case evp(seal: CipherContext, open: CipherContext)
        case provider(ProviderAEAD, seal: UnsafeMutableRawPointer, open: UnsafeMutableRawPointer)
    }
    private let contexts: Contexts
    /// The IV length each EVP context is set to: setting it goes through OpenSSL's parameter
    /// lookup, so it is only set when it changes (sops writes 32 bytes for every value).
    private var sealIVLength = -1
    private var openIVLength = -1

    /// `provider` when given and usable, else the EVP cipher.
    init(cipher: OpaquePointer, provider: ProviderAEAD?, key: [UInt8]) throws {
        if let provider {
            guard let seal = ksecret_aead_newctx(provider.functions) else { throw CryptoError.fromQueue("OSSL_FUNC_cipher_newctx") }
            guard let open = ksecret_aead_newctx(provider.functions) else {
                ksecret_aead_freectx(provider.functions, seal)
                throw CryptoError.fromQueue("OSSL_FUNC_cipher_newctx")
            }
            contexts = .provider(provider, seal: seal, open: open)
            // The IV comes with each operation; the key is set here once.
            try check(ksecret_aead_init(provider.functions, seal, 1, key, key.count, nil, 0), "OSSL_FUNC_cipher_encrypt_init")
            try check(ksecret_aead_init(provider.functions, open, 0, key, key.count, nil, 0), "OSSL_FUNC_cipher_decrypt_init")
        } else {
            let seal = try CipherContext(), open = try CipherContext()
            contexts = .evp(seal: seal, open: open)
            try check(EVP_EncryptInit_ex(seal.pointer, cipher, nil, key, nil), "EVP_EncryptInit_ex")
            try check(EVP_DecryptInit_ex(open.pointer, cipher, nil, key, nil), "EVP_DecryptInit_ex")
        }
    }

    deinit {
        if case .provider(let provider, let seal, let open) = contexts {
            ksecret_aead_freectx(provider.functions, seal)
            ksecret_aead_freectx(provider.functions, open)
        }
    }

    func seal(iv: [UInt8], plaintext: [UInt8], aad: [UInt8]) throws -> (ciphertext: [UInt8], tag: [UInt8]) {
        var ciphertext = [UInt8](repeating: 0, count: plaintext.count + Self.tagLength)
        var tag = [UInt8](repeating: 0, count: Self.tagLength)
        switch contexts {
        case .provider(let provider, let ctx, _):
            let f = provider.functions
            try check(ksecret_aead_init(f, ctx, 1, nil, 0, iv, iv.count), "OSSL_FUNC_cipher_encrypt_init(iv)")
            var written = 0, finalLength = 0
            if !aad.isEmpty { try check(ksecret_aead_update(f, ctx, nil, &written, aad, aad.count), "OSSL_FUNC_cipher_update(aad)") }
            written = 0
            if !plaintext.isEmpty { try check(ksecret_aead_update(f, ctx, &ciphertext, &written, plaintext, plaintext.count), "OSSL_FUNC_cipher_update") }
            try ciphertext.withUnsafeMutableBufferPointer { buffer in
                try check(ksecret_aead_final(f, ctx, buffer.baseAddress! + written, &finalLength), "OSSL_FUNC_cipher_final")
            }
            ciphertext.removeSubrange((written + finalLength)...)
            try check(ksecret_aead_get_tag(f, ctx, &tag, tag.count), "OSSL_CIPHER_PARAM_AEAD_TAG")
        case .evp(let context, _):
            let ctx = context.pointer
            if iv.count != sealIVLength {
                try check(ksecret_cipher_ctrl(ctx, ksecret_ctrl_aead_set_ivlen(), Int32(iv.count), nil), "EVP_CTRL_AEAD_SET_IVLEN")
                sealIVLength = iv.count
            }
            try check(EVP_EncryptInit_ex(ctx, nil, nil, nil, iv), "EVP_EncryptInit_ex(iv)")
            var outLength: Int32 = 0
            if !aad.isEmpty { try check(EVP_EncryptUpdate(ctx, nil, &outLength, aad, Int32(aad.count)), "EVP_EncryptUpdate(aad)") }
            var written: Int32 = 0
            if !plaintext.isEmpty { try check(EVP_EncryptUpdate(ctx, &ciphertext, &written, plaintext, Int32(plaintext.count)), "EVP_EncryptUpdate") }
            var finalLength: Int32 = 0
            try ciphertext.withUnsafeMutableBufferPointer { buffer in
                try check(EVP_EncryptFinal_ex(ctx, buffer.baseAddress! + Int(written), &finalLength), "EVP_EncryptFinal_ex")
            }
            ciphertext.removeSubrange(Int(written + finalLength)...)
            try check(ksecret_cipher_ctrl(ctx, ksecret_ctrl_aead_get_tag(), Int32(tag.count), &tag), "EVP_CTRL_AEAD_GET_TAG")
        }
        return (ciphertext, tag)
    }

    /// Throws `CryptoError.authenticationFailed` when the value does not verify; no plaintext escapes.
    func open(iv: [UInt8], ciphertext: [UInt8], tag: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        guard tag.count == Self.tagLength else { throw CryptoError.authenticationFailed }
        var plaintext = [UInt8](repeating: 0, count: ciphertext.count + Self.tagLength)
        var tagCopy = tag
        let verified: Bool
        var length = 0
        switch contexts {
        case .provider(let provider, _, let ctx):
            let f = provider.functions
            try check(ksecret_aead_init(f, ctx, 0, nil, 0, iv, iv.count), "OSSL_FUNC_cipher_decrypt_init(iv)")
            var written = 0, finalLength = 0
            if !aad.isEmpty { try check(ksecret_aead_update(f, ctx, nil, &written, aad, aad.count), "OSSL_FUNC_cipher_update(aad)") }
            written = 0
            if !ciphertext.isEmpty { try check(ksecret_aead_update(f, ctx, &plaintext, &written, ciphertext, ciphertext.count), "OSSL_FUNC_cipher_update") }
            try check(ksecret_aead_set_tag(f, ctx, &tagCopy, tagCopy.count), "OSSL_CIPHER_PARAM_AEAD_TAG")
            verified = plaintext.withUnsafeMutableBufferPointer { ksecret_aead_final(f, ctx, $0.baseAddress! + written, &finalLength) } == 1
            length = written + finalLength
        case .evp(_, let context):
            let ctx = context.pointer
            if iv.count != openIVLength {
                try check(ksecret_cipher_ctrl(ctx, ksecret_ctrl_aead_set_ivlen(), Int32(iv.count), nil), "EVP_CTRL_AEAD_SET_IVLEN")
                openIVLength = iv.count
            }
            try check(EVP_DecryptInit_ex(ctx, nil, nil, nil, iv), "EVP_DecryptInit_ex(iv)")
            var outLength: Int32 = 0
            if !aad.isEmpty { try check(EVP_DecryptUpdate(ctx, nil, &outLength, aad, Int32(aad.count)), "EVP_DecryptUpdate(aad)") }
            var written: Int32 = 0
            if !ciphertext.isEmpty { try check(EVP_DecryptUpdate(ctx, &plaintext, &written, ciphertext, Int32(ciphertext.count)), "EVP_DecryptUpdate") }
            try check(ksecret_cipher_ctrl(ctx, ksecret_ctrl_aead_set_tag(), Int32(tagCopy.count), &tagCopy), "EVP_CTRL_AEAD_SET_TAG")
            var finalLength: Int32 = 0
            verified = plaintext.withUnsafeMutableBufferPointer { EVP_DecryptFinal_ex(ctx, $0.baseAddress! + Int(written), &finalLength) } == 1
            length = Int(written + finalLength)
        }
        guard verified else {
            ERR_clear_error()
            SecureBytes.zero(&plaintext)
            throw CryptoError.authenticationFailed
        }
        plaintext.removeSubrange(length...)
        return plaintext
    }
}
