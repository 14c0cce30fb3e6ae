import COpenSSL

/// Owns an `EVP_MD_CTX`: an incremental SHA-256 or SHA-512, used where input arrives in pieces
/// (the sops MAC hashes every leaf in walk order without building one buffer).
public final class Hasher {
    public enum Algorithm: Sendable { case sha256, sha512 }
    private let pointer: OpaquePointer

    public init(_ algorithm: Algorithm) {
        // EVP_MD_CTX_new fails only when out of memory; there is no sensible recovery.
        pointer = EVP_MD_CTX_new()!
        let md = algorithm == .sha256 ? EVP_sha256() : EVP_sha512()
        precondition(EVP_DigestInit_ex(pointer, md, nil) == 1, "EVP_DigestInit_ex failed")
    }

    deinit { EVP_MD_CTX_free(pointer) }

    public func update(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        _ = bytes.withUnsafeBytes { EVP_DigestUpdate(pointer, $0.baseAddress, $0.count) }
    }

    public func update<S: StringProtocol>(_ text: S) {
        var copy = String(text)
        copy.withUTF8 { buffer in
            if buffer.count > 0 { _ = EVP_DigestUpdate(pointer, buffer.baseAddress, buffer.count) }
        }
    }

    public func finalize() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        precondition(EVP_DigestFinal_ex(pointer, &out, &length) == 1, "EVP_DigestFinal_ex failed")
        return Array(out[..<Int(length)])
    }
}

public enum Digest {
    public static func sha256(_ bytes: [UInt8]) -> [UInt8] { let h = Hasher(.sha256); h.update(bytes); return h.finalize() }
    public static func sha512(_ bytes: [UInt8]) -> [UInt8] { let h = Hasher(.sha512); h.update(bytes); return h.finalize() }
}

/// HMAC-SHA-256 through libcrypto's one-shot `HMAC`.
public enum HMAC {
    public static func sha256(key: [UInt8], data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let keyPointer = key.isEmpty ? [0] : key
        _ = COpenSSL.HMAC(EVP_sha256(), keyPointer, Int32(key.count), data, data.count, &out, &length)
        return out
    }

    /// Constant-time comparison of an expected MAC with a received one.
    public static func isValid(_ mac: [UInt8], for data: [UInt8], key: [UInt8]) -> Bool {
        SecureBytes.constantTimeEqual(sha256(key: key, data: data), mac)
    }
}
