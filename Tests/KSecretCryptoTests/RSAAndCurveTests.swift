import Testing
@testable import KSecretCrypto

private func hex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []; var i = s.startIndex
    while i < s.endIndex { let j = s.index(i, offsetBy: 2); out.append(UInt8(s[i..<j], radix: 16)!); i = j }
    return out
}

@Suite("RSA-OAEP and Curve25519 conversion")
struct RSAAndCurveTests {
    @Test("RSA-OAEP-SHA256 with a label round-trips through a public key rebuilt from n and e")
    func oaepRoundTrip() throws {
        let key = try RSAKey.generate(bits: 2048)
        #expect(key.bitCount == 2048)
        let (n, e) = try key.publicComponents()
        #expect(e == [0x01, 0x00, 0x01])
        let publicOnly = try RSAKey(modulus: n, publicExponent: e)
        #expect(!publicOnly.isPrivate)
        let label = Array("age-encryption.org/v1/ssh-rsa".utf8)
        let secret = SecureBytes.random(16)
        let c1 = try publicOnly.encryptOAEPSHA256(secret, label: label)
        let c2 = try publicOnly.encryptOAEPSHA256(secret, label: label)
        #expect(c1.count == 256)
        #expect(c1 != c2, "OAEP is randomized")
        #expect(try key.decryptOAEPSHA256(c1, label: label) == secret)
        #expect(throws: CryptoError.authenticationFailed) { try key.decryptOAEPSHA256(c1, label: Array("other".utf8)) }
        var tampered = c1; tampered[100] ^= 1
        #expect(throws: CryptoError.authenticationFailed) { try key.decryptOAEPSHA256(tampered, label: label) }
        #expect(throws: CryptoError.self) { try publicOnly.decryptOAEPSHA256(c1, label: label) }
    }

    @Test("Ed25519 to X25519: the RFC 8032 test-1 public key maps to u = (1+y)/(1-y)")
    func edwardsToMontgomery() throws {
        // Expected value computed independently with Python integers: u = (1+y)*pow(1-y, p-2, p) % p.
        let pk = hex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
        #expect(try Curve25519Conversion.montgomeryU(ed25519PublicKey: pk)
                == hex("d85e07ec22b0ad881537c2f44d662d1a143cf830c57aca4305d85c7a90f6b62e"))
    }

    @Test("Ed25519 to X25519 refuses an encoding that is not a curve point")
    func offCurve() throws {
        // y = 2: (y²−1)/(d·y²+1) is not a square mod 2^255−19 (checked with Euler's criterion in Python).
        var y2 = [UInt8](repeating: 0, count: 32); y2[0] = 2
        #expect(throws: CryptoError.self) { try Curve25519Conversion.montgomeryU(ed25519PublicKey: y2) }
        // y = 3 is on the curve.
        var y3 = [UInt8](repeating: 0, count: 32); y3[0] = 3
        #expect(try Curve25519Conversion.montgomeryU(ed25519PublicKey: y3).count == 32)
        #expect(throws: CryptoError.self) { try Curve25519Conversion.montgomeryU(ed25519PublicKey: [1, 2, 3]) }
    }

    @Test("HKDF-SHA256 accepts an empty input key (the ssh-ed25519 tweak uses one)")
    func hkdfEmptyIKM() throws {
        // RFC 5869 test case 3 uses an empty salt; here the IKM is empty, cross-checked with Python's hmac:
        // PRK = HMAC-SHA256(salt="salt", ""), OKM = HMAC-SHA256(PRK, "info" || 0x01).
        let okm = try HKDF.sha256(ikm: [], salt: Array("salt".utf8), info: Array("info".utf8), count: 32)
        #expect(okm == hex("7aac7b8120501c2c8e1ee50e6cde135361e99ceb9d8d406ac528b9e9175614c0"))
    }
}
