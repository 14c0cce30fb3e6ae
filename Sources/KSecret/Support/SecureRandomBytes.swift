import KSecretCrypto

/// The default randomness: libcrypto's CSPRNG.
public enum SecureRandomBytes {
    public static func get(_ count: Int) -> [UInt8] { SecureBytes.random(count) }
}
