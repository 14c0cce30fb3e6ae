import COpenSSL

/// AES-256-GCM under one key for many values: the key schedule is set up once and each operation
/// only sets a new IV, which is what makes encrypting or decrypting 20,000 values of a file cheap.
/// Not for concurrent use.
public final class AESGCMKey {
    private let aead: AEADKey

    public init(key: [UInt8]) throws {
        guard key.count == AESGCM.keyLength else { throw CryptoError.invalidParameter("AES-256 key must be 32 bytes") }
        aead = try AEADKey(cipher: EVP_aes_256_gcm(), provider: ProviderAEAD.aes256GCM, key: key)
    }

    public func seal(iv: [UInt8], plaintext: [UInt8], aad: [UInt8]) throws -> (ciphertext: [UInt8], tag: [UInt8]) {
        guard !iv.isEmpty else { throw CryptoError.invalidParameter("empty GCM IV") }
        return try aead.seal(iv: iv, plaintext: plaintext, aad: aad)
    }

    /// Throws `CryptoError.authenticationFailed` when the value does not verify.
    public func open(iv: [UInt8], ciphertext: [UInt8], tag: [UInt8], aad: [UInt8]) throws -> [UInt8] {
        guard !iv.isEmpty else { throw CryptoError.authenticationFailed }
        return try aead.open(iv: iv, ciphertext: ciphertext, tag: tag, aad: aad)
    }
}
