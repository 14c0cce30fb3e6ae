import COpenSSL

/// Modular arithmetic on libcrypto's `BIGNUM`s, for the two places that need it: the RSA CRT
/// parameters, and mapping an Ed25519 public key to its X25519 (Montgomery) form.
enum BigNumbers {
    /// Owns a `BN_CTX` and the numbers made in it, freeing them all at the end of a computation.
    final class Scope {
        let ctx: OpaquePointer
        private var owned: [OpaquePointer] = []

        init() throws {
            guard let ctx = BN_CTX_new() else { throw CryptoError.fromQueue("BN_CTX_new") }
            self.ctx = ctx
        }

        deinit {
            for n in owned { BN_clear_free(n) }
            BN_CTX_free(ctx)
        }

        func new() throws -> OpaquePointer {
            guard let n = BN_new() else { throw CryptoError.fromQueue("BN_new") }
            owned.append(n)
            return n
        }

        func bigEndian(_ bytes: [UInt8]) throws -> OpaquePointer {
            guard let n = BN_bin2bn(bytes, Int32(bytes.count), nil) else { throw CryptoError.fromQueue("BN_bin2bn") }
            owned.append(n)
            return n
        }

        func littleEndian(_ bytes: [UInt8]) throws -> OpaquePointer {
            guard let n = BN_lebin2bn(bytes, Int32(bytes.count), nil) else { throw CryptoError.fromQueue("BN_lebin2bn") }
            owned.append(n)
            return n
        }

        func word(_ value: UInt) throws -> OpaquePointer {
            let n = try new()
            try check(BN_set_word(n, UInt(value)), "BN_set_word")
            return n
        }

        func bytesBigEndian(_ n: OpaquePointer) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: Int((BN_num_bits(n) + 7) / 8))
            _ = BN_bn2bin(n, &out)
            return out
        }
    }

    /// d mod (p−1), d mod (q−1) and q⁻¹ mod p, big-endian.
    static func crtParameters(d: [UInt8], p: [UInt8], q: [UInt8]) throws -> (dp: [UInt8], dq: [UInt8], qinv: [UInt8]) {
        let s = try BigNumbers.Scope()
        let bd = try s.bigEndian(d), bp = try s.bigEndian(p), bq = try s.bigEndian(q)
        let one = try s.word(1)
        let p1 = try s.new(), q1 = try s.new(), dp = try s.new(), dq = try s.new(), qinv = try s.new()
        try check(BN_sub(p1, bp, one), "BN_sub")
        try check(BN_sub(q1, bq, one), "BN_sub")
        try check(BN_div(nil, dp, bd, p1, s.ctx), "BN_mod")
        try check(BN_div(nil, dq, bd, q1, s.ctx), "BN_mod")
        guard BN_mod_inverse(qinv, bq, bp, s.ctx) != nil else { throw CryptoError.fromQueue("BN_mod_inverse") }
        return (s.bytesBigEndian(dp), s.bytesBigEndian(dq), s.bytesBigEndian(qinv))
    }
}

/// Curve25519 form conversions that libcrypto does not offer directly.
public enum Curve25519Conversion {
    /// The X25519 public key (Montgomery u, 32 bytes little-endian) of an Ed25519 public key:
    /// u = (1 + y) / (1 − y) mod 2^255 − 19, where y is the key with its sign bit cleared. Throws
    /// unless the encoding is a point on the curve (x recoverable from y, as decoding requires).
    /// Public data only, so constant time is not needed.
    public static func montgomeryU(ed25519PublicKey key: [UInt8]) throws -> [UInt8] {
        guard key.count == 32 else { throw CryptoError.invalidParameter("Ed25519 public key must be 32 bytes") }
        let s = try BigNumbers.Scope()
        var yBytes = key
        yBytes[31] &= 0x7F
        let p = try s.new()
        try check(BN_set_bit(p, 255), "BN_set_bit")
        try check(BN_sub_word(p, 19), "BN_sub_word")
        let y = try s.new()
        try check(BN_nnmod(y, try s.littleEndian(yBytes), p, s.ctx), "BN_nnmod")
        let one = try s.word(1)

        // On-curve check: x² = (y² − 1) / (d·y² + 1) must be a square, d = −121665/121666.
        let d = try s.new(), y2 = try s.new(), num = try s.new(), den = try s.new(), x2 = try s.new(), inv = try s.new()
        guard BN_mod_inverse(inv, try s.word(121666), p, s.ctx) != nil else { throw CryptoError.fromQueue("BN_mod_inverse") }
        try check(BN_mod_sub(d, p, try s.word(121665), p, s.ctx), "BN_mod_sub")
        try check(BN_mod_mul(d, d, inv, p, s.ctx), "BN_mod_mul")
        try check(BN_mod_sqr(y2, y, p, s.ctx), "BN_mod_sqr")
        try check(BN_mod_sub(num, y2, one, p, s.ctx), "BN_mod_sub")
        try check(BN_mod_mul(den, d, y2, p, s.ctx), "BN_mod_mul")
        try check(BN_mod_add(den, den, one, p, s.ctx), "BN_mod_add")
        guard BN_mod_inverse(inv, den, p, s.ctx) != nil else { throw CryptoError.fromQueue("BN_mod_inverse") }
        try check(BN_mod_mul(x2, num, inv, p, s.ctx), "BN_mod_mul")
        if BN_is_zero(x2) == 0 {
            guard let root = BN_mod_sqrt(nil, x2, p, s.ctx) else {
                ERR_clear_error()
                throw CryptoError.invalidParameter("Ed25519 public key is not a point on the curve")
            }
            BN_free(root)
        }

        // u = (1 + y) · (1 − y)⁻¹
        let a = try s.new(), b = try s.new(), u = try s.new()
        try check(BN_mod_add(a, one, y, p, s.ctx), "BN_mod_add")
        try check(BN_mod_sub(b, one, y, p, s.ctx), "BN_mod_sub")
        guard BN_is_zero(b) == 0 else { throw CryptoError.invalidParameter("Ed25519 public key maps to the point at infinity") }
        guard BN_mod_inverse(inv, b, p, s.ctx) != nil else { throw CryptoError.fromQueue("BN_mod_inverse") }
        try check(BN_mod_mul(u, a, inv, p, s.ctx), "BN_mod_mul")
        var out = [UInt8](repeating: 0, count: 32)
        guard BN_bn2lebinpad(u, &out, 32) == 32 else { throw CryptoError.fromQueue("BN_bn2lebinpad") }
        return out
    }
}
