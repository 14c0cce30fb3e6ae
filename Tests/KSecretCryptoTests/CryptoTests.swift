import Testing
import COpenSSL
@testable import KSecretCrypto

private func hex(_ s: String) -> [UInt8] {
    var out: [UInt8] = []; var i = s.startIndex
    while i < s.endIndex { let j = s.index(i, offsetBy: 2); out.append(UInt8(s[i..<j], radix: 16)!); i = j }
    return out
}
private func toHex(_ b: [UInt8]) -> String { b.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined() }

@Suite("libcrypto wrappers")
struct CryptoTests {
    @Test("a libcrypto failure names the call and the queued reason, and clears the queue")
    func libraryError() throws {
        #expect {
            _ = try KDFContext(algorithm: "NO-SUCH-KDF")
        } throws: { error in
            guard case .library(let call, let reason) = error as? CryptoError else { return false }
            return call == "EVP_KDF_fetch(NO-SUCH-KDF)" && !reason.isEmpty && reason != "unknown error"
        }
        #expect(ERR_peek_error() == 0)
    }

    /// Every AEAD test vector and tamper check, through EVP and through the provider's functions.
    static let aeadPaths: [(String, ProviderAEAD?, ProviderAEAD?)] = [
        ("EVP", nil, nil),
        ("provider dispatch", ProviderAEAD(name: "AES-256-GCM"), ProviderAEAD(name: "ChaCha20-Poly1305")),
    ]

    @Test("both AEAD paths: NIST GCM case 16, RFC 8439, 32-byte IVs, empty inputs, tampering refused",
          arguments: 0..<2)
    func aeadPathsAgree(path: Int) throws {
        let (_, gcm, chacha) = Self.aeadPaths[path]
        if path == 1 { try #require(gcm != nil && chacha != nil, "the default provider's AES-256-GCM and ChaCha20-Poly1305") }
        // NIST SP 800-38D test case 16 (60-byte IV).
        let key = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
        let iv = hex("9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b")
        let pt = hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
        let aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let aes = try AEADKey(cipher: EVP_aes_256_gcm(), provider: gcm, key: key)
        let (ct, tag) = try aes.seal(iv: iv, plaintext: pt, aad: aad)
        #expect(toHex(ct) == "5a8def2f0c9e53f1f75d7853659e2a20eeb2b22aafde6419a058ab4f6f746bf40fc0c3b780f244452da3ebf1c5d82cdea2418997200ef82e44ae7e3f")
        #expect(toHex(tag) == "a44a8266ee1c8eb0c8b5d4cf5ae9f19a")
        #expect(try aes.open(iv: iv, ciphertext: ct, tag: tag, aad: aad) == pt)
        // The same key for many values with 32-byte IVs (sops), one of them empty, as AESGCMKey uses it.
        for text in [[UInt8](), Array("a".utf8), Array(repeating: 7, count: 1000)] {
            let iv32 = SecureBytes.random(32)
            let (c, t) = try aes.seal(iv: iv32, plaintext: text, aad: Array("k:".utf8))
            #expect(try aes.open(iv: iv32, ciphertext: c, tag: t, aad: Array("k:".utf8)) == text)
            var badTag = t; badTag[15] ^= 0x80
            #expect(throws: CryptoError.authenticationFailed) { try aes.open(iv: iv32, ciphertext: c, tag: badTag, aad: Array("k:".utf8)) }
            #expect(throws: CryptoError.authenticationFailed) { try aes.open(iv: iv32, ciphertext: c, tag: t, aad: Array("x:".utf8)) }
        }
        #expect(ERR_peek_error() == 0)
        // RFC 8439 section 2.8.2.
        let ckey = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
        let nonce = hex("070000004041424344454647")
        let cpt = Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)
        let caad = hex("50515253c0c1c2c3c4c5c6c7")
        let box = try AEADKey(cipher: EVP_chacha20_poly1305(), provider: chacha, key: ckey)
        let (cct, ctag) = try box.seal(iv: nonce, plaintext: cpt, aad: caad)
        #expect(toHex(ctag) == "1ae10b594f09e26a7e902ecbd0600691")
        #expect(toHex(Array(cct.prefix(16))) == "d31a8d34648e60db7b86afbc53ef7ec2")
        #expect(try box.open(iv: nonce, ciphertext: cct, tag: ctag, aad: caad) == cpt)
        var flipped = cct; flipped[0] ^= 1
        #expect(throws: CryptoError.authenticationFailed) { try box.open(iv: nonce, ciphertext: flipped, tag: ctag, aad: caad) }
    }

    @Test("without libcrypto's error texts, the reason gives the code, the function and how to read it")
    func reasonWithoutTexts() {
        #expect(CryptoError.reason(code: 0x1C80_0064, function: "ossl_gcm_stream_final")
                == "error 1C800064 in ossl_gcm_stream_final (`openssl errstr 1C800064` gives its text)")
        #expect(CryptoError.reason(code: 0x64, function: nil) == "error 00000064 (`openssl errstr 00000064` gives its text)")
    }

    @Test("AES-256-GCM with a 32-byte IV round-trips and rejects tampering")
    func aesGCM32ByteIV() throws {
        let key = SecureBytes.random(32), iv = SecureBytes.random(32)
        let plaintext = Array("hello sops".utf8), aad = Array("a:b:".utf8)
        let (ct, tag) = try AESGCM.seal(key: key, iv: iv, plaintext: plaintext, aad: aad)
        #expect(ct.count == plaintext.count && tag.count == 16)
        #expect(try AESGCM.open(key: key, iv: iv, ciphertext: ct, tag: tag, aad: aad) == plaintext)
        #expect(throws: CryptoError.authenticationFailed) { try AESGCM.open(key: key, iv: iv, ciphertext: ct, tag: tag, aad: Array("a:c:".utf8)) }
        var bad = ct; bad[0] ^= 1
        #expect(throws: CryptoError.authenticationFailed) { try AESGCM.open(key: key, iv: iv, ciphertext: bad, tag: tag, aad: aad) }
    }

    @Test("AES-256-GCM matches the NIST GCM test case 16 (60-byte IV)")
    func aesGCMKnownAnswer() throws {
        // NIST SP 800-38D test case 16 (gcmEncryptExtIV256 style): 60-byte IV, AAD, 60-byte plaintext.
        let key = hex("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308")
        let iv = hex("9313225df88406e555909c5aff5269aa6a7a9538534f7da1e4c303d2a318a728c3c0c95156809539fcf0e2429a6b525416aedbf5a0de6a57a637b39b")
        let pt = hex("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39")
        let aad = hex("feedfacedeadbeeffeedfacedeadbeefabaddad2")
        let (ct, tag) = try AESGCM.seal(key: key, iv: iv, plaintext: pt, aad: aad)
        #expect(toHex(ct) == "5a8def2f0c9e53f1f75d7853659e2a20eeb2b22aafde6419a058ab4f6f746bf40fc0c3b780f244452da3ebf1c5d82cdea2418997200ef82e44ae7e3f")
        #expect(toHex(tag) == "a44a8266ee1c8eb0c8b5d4cf5ae9f19a")
    }

    @Test("ChaCha20-Poly1305 matches RFC 8439 section 2.8.2")
    func chachaKnownAnswer() throws {
        let key = hex("808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f")
        let nonce = hex("070000004041424344454647")
        let aad = hex("50515253c0c1c2c3c4c5c6c7")
        let pt = Array("Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it.".utf8)
        let sealed = try ChaChaPoly.seal(key: key, nonce: nonce, plaintext: pt, aad: aad)
        #expect(toHex(Array(sealed.suffix(16))) == "1ae10b594f09e26a7e902ecbd0600691")
        #expect(try ChaChaPoly.open(key: key, nonce: nonce, sealed: sealed, aad: aad) == pt)
        var bad = sealed; bad[bad.count - 1] ^= 0x80
        #expect(throws: CryptoError.authenticationFailed) { try ChaChaPoly.open(key: key, nonce: nonce, sealed: bad, aad: aad) }
    }

    @Test("X25519 matches RFC 7748 section 6.1 and refuses an all-zero secret")
    func x25519() throws {
        let alice = hex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a")
        let bobPublic = hex("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
        #expect(toHex(try X25519.publicKey(privateKey: alice)) == "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        #expect(toHex(try X25519.sharedSecret(privateKey: alice, publicKey: bobPublic)) == "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742")
        #expect(throws: (any Error).self) { try X25519.sharedSecret(privateKey: alice, publicKey: [UInt8](repeating: 0, count: 32)) }
    }

    @Test("A loaded X25519 private key gives RFC 7748's public key and the same secret on every derivation")
    func x25519LoadedKey() throws {
        let bob = try X25519.PrivateKey(hex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb"))
        #expect(toHex(bob.publicKey) == "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f")
        let alicePublic = hex("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a")
        let shared = "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"
        #expect(toHex(try bob.sharedSecret(publicKey: alicePublic)) == shared)
        #expect(throws: (any Error).self) { try bob.sharedSecret(publicKey: [UInt8](repeating: 0, count: 32)) }
        #expect(toHex(try bob.sharedSecret(publicKey: alicePublic)) == shared)
        #expect(throws: (any Error).self) { try X25519.PrivateKey([UInt8](repeating: 1, count: 31)) }
    }

    @Test("HKDF-SHA256 matches RFC 5869 test case 1 and age's header key")
    func hkdf() throws {
        let okm = try HKDF.sha256(ikm: hex("0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b"), salt: hex("000102030405060708090a0b0c"),
                                  info: hex("f0f1f2f3f4f5f6f7f8f9"), count: 42)
        #expect(toHex(okm) == "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865")
        // age-format.md section 4: file key "YELLOW SUBMARINE", empty salt, info "header".
        let macKey = try HKDF.sha256(ikm: Array("YELLOW SUBMARINE".utf8), salt: [], info: Array("header".utf8), count: 32)
        #expect(toHex(macKey) == "a4bf3b9f4e908993e678eb71e558faedac5829d1d632c50225217c066fec77d2")
    }

    @Test("HMAC-SHA256 matches RFC 4231 test case 2")
    func hmac() {
        let mac = HMAC.sha256(key: Array("Jefe".utf8), data: Array("what do ya want for nothing?".utf8))
        #expect(toHex(mac) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(HMAC.isValid(mac, for: Array("what do ya want for nothing?".utf8), key: Array("Jefe".utf8)))
    }

    @Test("SHA-512 and incremental hashing agree with the FIPS 180 'abc' vector")
    func sha512() {
        let h = Hasher(.sha512); h.update("a"); h.update([]); h.update("bc")
        let expected = "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f"
        #expect(toHex(h.finalize()) == expected)
        #expect(toHex(Digest.sha512(Array("abc".utf8))) == expected)
    }

    @Test("scrypt matches RFC 7914 section 12 (N=16, r=1, p=1)")
    func scrypt() throws {
        let out = try Scrypt.derive(password: [], salt: [], logN: 4, r: 1, p: 1, count: 64)
        #expect(toHex(out) == "77d6576238657b203b19ca42c18a0497f16b4844e3074ae8dfdffa3fede21442fcd0069ded0948f8326a753a0fc81f17e8d3e0fb2e0d3628cf35e20c38d18906")
    }
}
