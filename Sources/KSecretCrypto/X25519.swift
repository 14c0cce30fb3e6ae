import COpenSSL

/// X25519 (RFC 7748) through `EVP_PKEY_X25519`. Private keys are raw 32-byte scalars, stored
/// unclamped as age does; libcrypto clamps internally.
public enum X25519 {
    public static let keyLength = 32

    /// The public key (`X25519(scalar, 9)`) of a raw private scalar.
    public static func publicKey(privateKey: [UInt8]) throws -> [UInt8] {
        try PrivateKey(privateKey).publicKey
    }

    /// The shared secret. Throws when the result is all zeros (a low-order or identity point),
    /// which libcrypto's `EVP_PKEY_derive` refuses: age requires that check.
    public static func sharedSecret(privateKey: [UInt8], publicKey: [UInt8]) throws -> [UInt8] {
        try PrivateKey(privateKey).sharedSecret(publicKey: publicKey)
    }

    /// A private scalar loaded into libcrypto once, for a key that computes both its public key and
    /// shared secrets (an age identity, an ephemeral share). libcrypto computes the public key when
    /// it loads the scalar, a fixed-base scalar multiplication: loading the scalar again for each
    /// derivation did that work twice in every age decryption. libcrypto zeroes its copy when freed.
    public final class PrivateKey: @unchecked Sendable {
        private let key: PKey
        /// The public key, as libcrypto computed it on loading.
        public let publicKey: [UInt8]

        public init(_ raw: [UInt8]) throws {
            key = try PKey(x25519Private: raw)
            publicKey = try key.rawPublicKey()
        }

        /// The shared secret with `publicKey`; throws for an all-zero result (see `sharedSecret`).
        public func sharedSecret(publicKey: [UInt8]) throws -> [UInt8] {
            guard publicKey.count == keyLength else { throw CryptoError.invalidParameter("X25519 public key must be 32 bytes") }
            let theirs = try PKey(x25519Public: publicKey)
            guard let ctx = EVP_PKEY_CTX_new(key.pointer, nil) else { throw CryptoError.fromQueue("EVP_PKEY_CTX_new") }
            defer { EVP_PKEY_CTX_free(ctx) }
            try check(EVP_PKEY_derive_init(ctx), "EVP_PKEY_derive_init")
            try check(EVP_PKEY_derive_set_peer(ctx, theirs.pointer), "EVP_PKEY_derive_set_peer")
            var length = keyLength
            var secret = [UInt8](repeating: 0, count: keyLength)
            guard EVP_PKEY_derive(ctx, &secret, &length) == 1, length == keyLength else {
                ERR_clear_error()
                throw CryptoError.invalidParameter("X25519 shared secret is all zeros")
            }
            guard secret.contains(where: { $0 != 0 }) else {
                throw CryptoError.invalidParameter("X25519 shared secret is all zeros")
            }
            return secret
        }
    }
}

/// Owns an `EVP_PKEY` and frees it in `deinit`.
final class PKey {
    let pointer: OpaquePointer

    init(owning pointer: OpaquePointer) { self.pointer = pointer }

    convenience init(x25519Private raw: [UInt8]) throws {
        guard raw.count == X25519.keyLength else { throw CryptoError.invalidParameter("X25519 private key must be 32 bytes") }
        guard let key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, nil, raw, raw.count) else {
            throw CryptoError.fromQueue("EVP_PKEY_new_raw_private_key")
        }
        self.init(owning: key)
    }

    convenience init(x25519Public raw: [UInt8]) throws {
        guard let key = EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, nil, raw, raw.count) else {
            throw CryptoError.fromQueue("EVP_PKEY_new_raw_public_key")
        }
        self.init(owning: key)
    }

    func rawPublicKey() throws -> [UInt8] {
        var length = 0
        try check(EVP_PKEY_get_raw_public_key(pointer, nil, &length), "EVP_PKEY_get_raw_public_key")
        var out = [UInt8](repeating: 0, count: length)
        try check(EVP_PKEY_get_raw_public_key(pointer, &out, &length), "EVP_PKEY_get_raw_public_key")
        return out
    }

    deinit { EVP_PKEY_free(pointer) }
}
