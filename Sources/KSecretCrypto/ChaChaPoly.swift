import COpenSSL

/// ChaCha20-Poly1305 (RFC 8439) in age's layout: the output is `ciphertext ‖ tag`, no nonce.
/// Wraps `EVP_chacha20_poly1305`.
public enum ChaChaPoly {
    public static let keyLength = 32
    public static let nonceLength = 12
    public static let tagLength = 16

    public static func seal(key: [UInt8], nonce: [UInt8], plaintext: [UInt8], aad: [UInt8] = []) throws -> [UInt8] {
        try validate(key: key, nonce: nonce)
        let (ciphertext, tag) = try AEADKey(cipher: EVP_chacha20_poly1305(), provider: ProviderAEAD.chaCha20Poly1305, key: key).seal(iv: nonce, plaintext: plaintext, aad: aad)
        return ciphertext + tag
    }

    /// Opens `ciphertext ‖ tag`; throws `CryptoError.authenticationFailed` when it does not verify.
    public static func open(key: [UInt8], nonce: [UInt8], sealed: [UInt8], aad: [UInt8] = []) throws -> [UInt8] {
        try validate(key: key, nonce: nonce)
        guard sealed.count >= tagLength else { throw CryptoError.authenticationFailed }
        let split = sealed.count - tagLength
        return try AEADKey(cipher: EVP_chacha20_poly1305(), provider: ProviderAEAD.chaCha20Poly1305, key: key)
            .open(iv: nonce, ciphertext: Array(sealed[..<split]), tag: Array(sealed[split...]), aad: aad)
    }

    private static func validate(key: [UInt8], nonce: [UInt8]) throws {
        guard key.count == keyLength else { throw CryptoError.invalidParameter("ChaCha20-Poly1305 key must be 32 bytes") }
        guard nonce.count == nonceLength else { throw CryptoError.invalidParameter("ChaCha20-Poly1305 nonce must be 12 bytes") }
    }
}
