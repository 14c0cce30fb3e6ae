/// Shamir's secret sharing over GF(2^8) exactly as sops does it (Format.md §5): the AES polynomial
/// x^8+x^4+x^3+x+1, an independent random polynomial per secret byte, x-coordinates 1…N in group
/// order, and each share laid out as the y bytes followed by its x byte.
enum Shamir {
    static func split(_ secret: [UInt8], parts: Int, threshold: Int, random: (Int) -> [UInt8]) throws -> [[UInt8]] {
        guard parts >= 2, parts <= 255, threshold >= 2, threshold <= parts else {
            throw KSecretError(.generic, "invalid Shamir parameters: \(threshold) of \(parts)")
        }
        var shares = (1...parts).map { _ in [UInt8](repeating: 0, count: secret.count + 1) }
        for (i, x) in (1...parts).enumerated() { shares[i][secret.count] = UInt8(x) }
        for (byteIndex, byte) in secret.enumerated() {
            var coefficients = random(threshold - 1)
            coefficients.insert(byte, at: 0)
            for i in 0..<parts {
                shares[i][byteIndex] = evaluate(coefficients, at: UInt8(i + 1))
            }
            for j in coefficients.indices { coefficients[j] = 0 }
        }
        return shares
    }

    static func combine(_ shares: [[UInt8]]) throws -> [UInt8] {
        guard shares.count >= 2, let length = shares.first?.count, length >= 2, shares.allSatisfy({ $0.count == length }) else {
            throw KSecretError(.couldNotRetrieveKey, "the key shares are inconsistent")
        }
        let xs = shares.map { $0[length - 1] }
        guard Set(xs).count == xs.count else { throw KSecretError(.couldNotRetrieveKey, "two key shares have the same index") }
        var secret = [UInt8](repeating: 0, count: length - 1)
        for byteIndex in 0..<(length - 1) {
            var value: UInt8 = 0
            for (i, share) in shares.enumerated() {
                // Lagrange basis at x = 0: prod_j x_j / (x_j - x_i); subtraction is XOR in GF(2^8).
                var basis: UInt8 = 1
                for (j, xj) in xs.enumerated() where j != i {
                    basis = multiply(basis, divide(xj, xj ^ xs[i]))
                }
                value ^= multiply(share[byteIndex], basis)
            }
            secret[byteIndex] = value
        }
        return secret
    }

    static func evaluate(_ coefficients: [UInt8], at x: UInt8) -> UInt8 {
        var result: UInt8 = 0
        for c in coefficients.reversed() { result = multiply(result, x) ^ c }
        return result
    }

    static func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
        var a = a, b = b, p: UInt8 = 0
        for _ in 0..<8 {
            if b & 1 != 0 { p ^= a }
            let carry = a & 0x80
            a <<= 1
            if carry != 0 { a ^= 0x1B }
            b >>= 1
        }
        return p
    }

    static func inverse(_ a: UInt8) -> UInt8 {
        // a^254 = a^-1 in GF(2^8).
        var result: UInt8 = 1, base = a, e = 254
        while e > 0 {
            if e & 1 != 0 { result = multiply(result, base) }
            base = multiply(base, base)
            e >>= 1
        }
        return result
    }

    static func divide(_ a: UInt8, _ b: UInt8) -> UInt8 { multiply(a, inverse(b)) }
}
