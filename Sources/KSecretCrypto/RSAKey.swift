import COpenSSL

/// An RSA key for RSAES-OAEP with SHA-256 and an OAEP label (age's ssh-rsa recipients), owning an
/// `EVP_PKEY` built from big-endian components with `EVP_PKEY_fromdata`, or read from a PEM key
/// with `PEM_read_bio_PrivateKey`.
public final class RSAKey: @unchecked Sendable {
    let key: PKey
    /// True when the private half is present (decryption possible).
    public let isPrivate: Bool

    /// A public key from its modulus and public exponent (unsigned big-endian).
    public convenience init(modulus: [UInt8], publicExponent: [UInt8]) throws {
        try self.init(components: [(ksecret_pkey_param_rsa_n(), modulus), (ksecret_pkey_param_rsa_e(), publicExponent)], isPrivate: false)
    }

    /// A private key from n, e, d and the two primes (unsigned big-endian); the CRT exponents and
    /// coefficient are derived here.
    public convenience init(modulus: [UInt8], publicExponent: [UInt8], privateExponent: [UInt8], prime1: [UInt8], prime2: [UInt8]) throws {
        let crt = try BigNumbers.crtParameters(d: privateExponent, p: prime1, q: prime2)
        try self.init(components: [
            (ksecret_pkey_param_rsa_n(), modulus), (ksecret_pkey_param_rsa_e(), publicExponent),
            (ksecret_pkey_param_rsa_d(), privateExponent),
            (ksecret_pkey_param_rsa_p(), prime1), (ksecret_pkey_param_rsa_q(), prime2),
            (ksecret_pkey_param_rsa_dp(), crt.dp), (ksecret_pkey_param_rsa_dq(), crt.dq),
            (ksecret_pkey_param_rsa_qinv(), crt.qinv),
        ], isPrivate: true)
    }

    /// A private RSA key in PEM (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`), unencrypted.
    public convenience init(pem: [UInt8]) throws {
        guard let bio = pem.withUnsafeBytes({ BIO_new_mem_buf($0.baseAddress, Int32($0.count)) }) else {
            throw CryptoError.fromQueue("BIO_new_mem_buf")
        }
        defer { BIO_free(bio) }
        // No passphrase callback: an encrypted PEM fails here instead of prompting.
        guard let pkey = PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in 0 }, nil) else {
            throw CryptoError.fromQueue("PEM_read_bio_PrivateKey")
        }
        let owned = PKey(owning: pkey)
        guard EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA else { throw CryptoError.invalidParameter("the PEM key is not an RSA key") }
        self.init(key: owned, isPrivate: true)
    }

    /// A new random private key of `bits` bits (EVP_PKEY_generate, public exponent 65537).
    public static func generate(bits: Int) throws -> RSAKey {
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "RSA", nil) else { throw CryptoError.fromQueue("EVP_PKEY_CTX_new_from_name") }
        defer { EVP_PKEY_CTX_free(ctx) }
        try check(EVP_PKEY_keygen_init(ctx), "EVP_PKEY_keygen_init")
        try check(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, Int32(bits)), "EVP_PKEY_CTX_set_rsa_keygen_bits")
        var pkey: OpaquePointer?
        try check(EVP_PKEY_generate(ctx, &pkey), "EVP_PKEY_generate")
        guard let pkey else { throw CryptoError.fromQueue("EVP_PKEY_generate") }
        return RSAKey(key: PKey(owning: pkey), isPrivate: true)
    }

    init(key: PKey, isPrivate: Bool) {
        self.key = key
        self.isPrivate = isPrivate
    }

    private convenience init(components: [(UnsafePointer<CChar>, [UInt8])], isPrivate: Bool) throws {
        guard let builder = OSSL_PARAM_BLD_new() else { throw CryptoError.fromQueue("OSSL_PARAM_BLD_new") }
        defer { OSSL_PARAM_BLD_free(builder) }
        var numbers: [OpaquePointer] = []
        defer { for n in numbers { BN_clear_free(n) } }
        for (name, value) in components {
            guard let bn = BN_bin2bn(value, Int32(value.count), nil) else { throw CryptoError.fromQueue("BN_bin2bn") }
            numbers.append(bn)
            try check(OSSL_PARAM_BLD_push_BN(builder, name, bn), "OSSL_PARAM_BLD_push_BN")
        }
        guard let params = OSSL_PARAM_BLD_to_param(builder) else { throw CryptoError.fromQueue("OSSL_PARAM_BLD_to_param") }
        defer { OSSL_PARAM_free(params) }
        guard let ctx = EVP_PKEY_CTX_new_from_name(nil, "RSA", nil) else { throw CryptoError.fromQueue("EVP_PKEY_CTX_new_from_name") }
        defer { EVP_PKEY_CTX_free(ctx) }
        try check(EVP_PKEY_fromdata_init(ctx), "EVP_PKEY_fromdata_init")
        var pkey: OpaquePointer?
        let selection = isPrivate ? ksecret_pkey_selection_keypair() : ksecret_pkey_selection_public()
        try check(EVP_PKEY_fromdata(ctx, &pkey, selection, params), "EVP_PKEY_fromdata")
        guard let pkey else { throw CryptoError.fromQueue("EVP_PKEY_fromdata") }
        self.init(key: PKey(owning: pkey), isPrivate: isPrivate)
    }

    /// The modulus size in bits.
    public var bitCount: Int { Int(EVP_PKEY_get_bits(key.pointer)) }

    /// The modulus and public exponent (unsigned big-endian), e.g. to rebuild the ssh wire form.
    public func publicComponents() throws -> (modulus: [UInt8], publicExponent: [UInt8]) {
        func get(_ name: UnsafePointer<CChar>) throws -> [UInt8] {
            var bn: OpaquePointer?
            try check(EVP_PKEY_get_bn_param(key.pointer, name, &bn), "EVP_PKEY_get_bn_param")
            guard let bn else { throw CryptoError.fromQueue("EVP_PKEY_get_bn_param") }
            defer { BN_free(bn) }
            var out = [UInt8](repeating: 0, count: Int((BN_num_bits(bn) + 7) / 8))
            _ = BN_bn2bin(bn, &out)
            return out
        }
        return (try get(ksecret_pkey_param_rsa_n()), try get(ksecret_pkey_param_rsa_e()))
    }

    /// RSAES-OAEP with SHA-256 for the hash and MGF1, and `label`.
    public func encryptOAEPSHA256(_ plaintext: [UInt8], label: [UInt8]) throws -> [UInt8] {
        guard let ctx = EVP_PKEY_CTX_new(key.pointer, nil) else { throw CryptoError.fromQueue("EVP_PKEY_CTX_new") }
        defer { EVP_PKEY_CTX_free(ctx) }
        try check(EVP_PKEY_encrypt_init(ctx), "EVP_PKEY_encrypt_init")
        try check(ksecret_rsa_oaep_setup(ctx, label, label.count), "EVP_PKEY_CTX_set_rsa_oaep")
        var length = 0
        try check(EVP_PKEY_encrypt(ctx, nil, &length, plaintext, plaintext.count), "EVP_PKEY_encrypt")
        var out = [UInt8](repeating: 0, count: length)
        try check(EVP_PKEY_encrypt(ctx, &out, &length, plaintext, plaintext.count), "EVP_PKEY_encrypt")
        return Array(out[..<length])
    }

    /// The inverse of `encryptOAEPSHA256`. Throws `authenticationFailed` when the ciphertext is not
    /// for this key and label (OAEP's padding check fails).
    public func decryptOAEPSHA256(_ ciphertext: [UInt8], label: [UInt8]) throws -> [UInt8] {
        guard isPrivate else { throw CryptoError.invalidParameter("decryption needs the private key") }
        guard let ctx = EVP_PKEY_CTX_new(key.pointer, nil) else { throw CryptoError.fromQueue("EVP_PKEY_CTX_new") }
        defer { EVP_PKEY_CTX_free(ctx) }
        try check(EVP_PKEY_decrypt_init(ctx), "EVP_PKEY_decrypt_init")
        try check(ksecret_rsa_oaep_setup(ctx, label, label.count), "EVP_PKEY_CTX_set_rsa_oaep")
        var length = 0
        try check(EVP_PKEY_decrypt(ctx, nil, &length, ciphertext, ciphertext.count), "EVP_PKEY_decrypt")
        var out = [UInt8](repeating: 0, count: length)
        guard EVP_PKEY_decrypt(ctx, &out, &length, ciphertext, ciphertext.count) == 1 else {
            ERR_clear_error()
            SecureBytes.zero(&out)
            throw CryptoError.authenticationFailed
        }
        let result = Array(out[..<length])
        SecureBytes.zero(&out)
        return result
    }
}
