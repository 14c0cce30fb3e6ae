import COpenSSL

/// AES-256-GCM as sops uses it: any IV length on open (sops writes 32-byte IVs), a detached
/// 16-byte tag. Wraps `EVP_aes_256_gcm` through `EVP_Encrypt*`/`EVP_Decrypt*`.
public enum AESGCM {
    public static let keyLength = 32
    public static let tagLength = 16

    public static func seal(key: [UInt8], iv: [UInt8], plaintext: [UInt8], aad: [UInt8]) throws
        -> (ciphertext: [UInt8], tag: [UInt8])
    {
        guard key.count == keyLength else { throw CryptoError.invalidParameter("AES-256 key must be 32 bytes") }
        return try AESGCMKey(key: key).seal(iv: iv, plaintext: plaintext, aad: aad)
    }

    /// Throws `CryptoError.authenticationFailed` on a wrong key, IV, AAD, tag or ciphertext.
    public static func open(key: [UInt8], iv: [UInt8], ciphertext: [UInt8], tag: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        guard key.count == keyLength else { throw CryptoError.invalidParameter("AES-256 key must be 32 bytes") }
        return try AESGCMKey(key: key).open(iv: iv, ciphertext: ciphertext, tag: tag, aad: aad)
    }
}
