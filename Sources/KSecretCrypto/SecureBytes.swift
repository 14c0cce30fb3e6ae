import COpenSSL

/// Randomness and hygiene for key material.
public enum SecureBytes {
    /// `count` bytes from libcrypto's CSPRNG (`RAND_bytes`). Fails only if the RNG cannot be seeded.
    public static func random(_ count: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        if count > 0 { precondition(RAND_bytes(&out, Int32(count)) == 1, "RAND_bytes failed: the system RNG is unavailable") }
        return out
    }

    /// Overwrites the array's storage with zeros (`OPENSSL_cleanse`, which the optimiser keeps).
    public static func zero(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { if let base = $0.baseAddress { OPENSSL_cleanse(base, $0.count) } }
    }

    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        if a.isEmpty { return true }
        return CRYPTO_memcmp(a, b, a.count) == 0
    }
}
