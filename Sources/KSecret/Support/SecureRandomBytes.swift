import KSecretSystem
import KSecretCrypto

/// The default randomness: libcrypto's CSPRNG, drawn in 8 KiB batches. Encrypting a file takes a
/// fresh 32-byte IV per value, and one `RAND_bytes` call per IV cost a sixth of the encryption time
/// of a 20,000-value file; a batch serves 256 IVs. Requests above 256 bytes go straight through.
public enum SecureRandomBytes {
    private static let lock = Lock()
    nonisolated(unsafe) private static var pool: [UInt8] = []

    public static func get(_ count: Int) -> [UInt8] {
        guard count <= 256 else { return SecureBytes.random(count) }
        lock.lock()
        defer { lock.unlock() }
        if pool.count < count {
            SecureBytes.zero(&pool)
            pool = SecureBytes.random(8192)
        }
        let out = Array(pool[(pool.count - count)...])
        // Taken bytes are wiped before they leave the pool.
        for i in (pool.count - count)..<pool.count { pool[i] = 0 }
        pool.removeLast(count)
        return out
    }
}
