import Foundation
import KSecretCrypto
import Testing
@testable import KSecretAge

/// A recipient with a pinned ephemeral secret, for the known-answer file of age-format.md §13.
private struct PinnedX25519Recipient: AgeRecipient {
    let recipient: X25519Recipient
    let ephemeral: [UInt8]
    func wrap(fileKey: [UInt8]) throws -> [AgeStanza] { try recipient.wrap(fileKey: fileKey, ephemeralSecret: ephemeral) }
}

@Suite("strict base64")
struct AgeBase64Tests {
    @Test("unpadded round trip for every length up to 100")
    func roundTrip() {
        for length in 0...100 {
            let bytes = SecureBytes.random(length)
            let text = AgeBase64.encodeUnpadded(bytes)
            #expect(!text.contains("="))
            #expect(AgeBase64.decodeUnpadded(text) == bytes)
            let padded = AgeBase64.encodePadded(bytes)
            #expect(padded.count % 4 == 0)
            #expect(AgeBase64.decodePadded(Array(padded.utf8)) == bytes)
        }
    }

    @Test("known values match RFC 4648")
    func knownValues() {
        #expect(AgeBase64.encodePadded(Array("foobar".utf8)) == "Zm9vYmFy")
        #expect(AgeBase64.encodePadded(Array("fooba".utf8)) == "Zm9vYmE=")
        #expect(AgeBase64.encodePadded(Array("foob".utf8)) == "Zm9vYg==")
        #expect(AgeBase64.encodeUnpadded(Array("foob".utf8)) == "Zm9vYg")
    }

    @Test("unpadded decoding refuses padding, whitespace, foreign bytes and spare bits",
          arguments: ["Zm9vYg==", "Zm9vY", "Zm9v Yg", "Zm9vYg\n", "Zm9vYg\r", "Zm9v-g", "Zm9vYh", "Zm9vYmE=", "Zm9vYmF"])
    func unpaddedStrict(_ text: String) {
        #expect(AgeBase64.decodeUnpadded(text) == nil)
    }

    @Test("padded decoding refuses missing padding and non-canonical forms",
          arguments: ["Zm9vYg", "Zm9vYh==", "Zm9vYg=", "Zm9vYg===", "Zm9v\nYg==", "=m9vYg==", "Zm==Yg=="])
    func paddedStrict(_ text: String) {
        #expect(AgeBase64.decodePadded(Array(text.utf8)) == nil)
    }
}

@Suite("Bech32")
struct Bech32Tests {
    @Test("the sops fixture key's recipient derives from its identity and round-trips")
    func fixtureKey() throws {
        let keyFile = try AgeTestSupport.read(AgeTestSupport.sopsFixtures.appendingPathComponent("key.txt"))
        let expected = try String(contentsOf: AgeTestSupport.sopsFixtures.appendingPathComponent("recipient.txt"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let parsed = try AgeKeyFile.parseIdentities(keyFile)
        let identity = try #require(parsed.identities.first as? X25519Identity)
        #expect(identity.recipient.string == expected)
        #expect(try X25519Recipient(expected).string == expected)
        let line = String(decoding: keyFile, as: UTF8.self).split(separator: "\n").first { $0.hasPrefix("AGE-SECRET-KEY-1") }
        #expect(identity.string == line.map(String.init))
    }

    @Test("BIP-173 valid strings decode, including an HRP containing 1 and uppercase",
          arguments: ["A12UEL5L", "a12uel5l", "an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
                      "abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw", "split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w"])
    func validVectors(_ text: String) {
        #expect(Bech32.decode(text) != nil)
    }

    @Test("mixed case, bad checksum, no separator and short checksums are refused",
          arguments: ["A12UeL5L", "a12uel5m", "pzry9x0s0muk", "1pzry9x0s0muk", "a1rzg", "x1b4n0q5v", "li1dgmt3", "A1G7SGD8"])
    func invalidVectors(_ text: String) {
        #expect(Bech32.decode(text) == nil)
    }

    @Test("there is no 90-character limit")
    func longStrings() throws {
        let data = SecureBytes.random(1216)
        let text = try #require(Bech32.encode(hrp: "age1pq", data: data))
        #expect(text.count > 1900)
        let decoded = try #require(Bech32.decode(text))
        #expect(decoded.hrp == "age1pq" && decoded.data == data)
    }

    @Test("age CLI case rules: uppercase recipients and lowercase identities are refused")
    func caseRules() throws {
        let (identity, recipient) = AgeKeyGen.generate()
        #expect(throws: AgeError.self) { try X25519Recipient(recipient.uppercased()) }
        #expect(throws: AgeError.self) { try X25519Identity(identity.lowercased()) }
        #expect(try X25519Identity(identity).recipient.string == recipient)
    }
}

@Suite("armor")
struct AgeArmorTests {
    @Test("lines are 64 columns, LF only, and END follows the last line directly", arguments: [0, 1, 47, 48, 49, 96, 1000])
    func encoding(_ length: Int) throws {
        let file = SecureBytes.random(length)
        let text = String(decoding: AgeArmor.encode(file), as: UTF8.self)
        #expect(!text.contains("\r"))
        #expect(!text.contains("\n\n"))
        #expect(text.hasPrefix("-----BEGIN AGE ENCRYPTED FILE-----\n"))
        #expect(text.hasSuffix("\n-----END AGE ENCRYPTED FILE-----\n"))
        let lines = text.split(separator: "\n").dropFirst().dropLast()
        #expect(lines.dropLast().allSatisfy { $0.count == 64 })
        #expect(try AgeArmor.decode(AgeArmor.encode(file)) == file)
    }

    @Test("CRLF line endings and surrounding whitespace are accepted")
    func tolerated() throws {
        let file = SecureBytes.random(100)
        let text = String(decoding: AgeArmor.encode(file), as: UTF8.self)
        #expect(try AgeArmor.decode(Array(text.replacingOccurrences(of: "\n", with: "\r\n").utf8)) == file)
        #expect(try AgeArmor.decode(Array(("\n \t\n" + text + "\n\n  ").utf8)) == file)
        #expect(try AgeArmor.decode(Array(text.dropLast().utf8)) == file)
    }

    @Test("malformed armor is an armor error", arguments: [
        "", "garbage", "-----BEGIN AGE ENCRYPTED FILE-----\nAAAA\n",
        "-----BEGIN AGE ENCRYPTED FILE-----\n\nAAAA\n-----END AGE ENCRYPTED FILE-----\n",
        "-----BEGIN AGE ENCRYPTED FILE-----\n AAAA\n-----END AGE ENCRYPTED FILE-----\n",
        "-----BEGIN AGE ENCRYPTED FILE-----\nAA\n-----END AGE ENCRYPTED FILE-----\n",
        "-----BEGIN AGE ENCRYPTED FILE-----\nAAAA\nAAAA\n-----END AGE ENCRYPTED FILE-----\n",
        "-----BEGIN AGE ENCRYPTED FILE-----\nAAAA\n-----END AGE ENCRYPTED FILE-----\nx",
        "-----BEGIN AGE FILE-----\nAAAA\n-----END AGE FILE-----\n",
        String(repeating: " ", count: 1025) + "-----BEGIN AGE ENCRYPTED FILE-----\nAAAA\n-----END AGE ENCRYPTED FILE-----\n",
    ])
    func malformed(_ text: String) {
        #expect(throws: AgeError.self) { try AgeArmor.decode(Array(text.utf8)) }
        do { _ = try AgeArmor.decode(Array(text.utf8)) } catch { #expect(outcomeClass(error) == "armor failure") }
    }
}

@Suite("STREAM and round trips")
struct AgeStreamTests {
    static let sizes = [0, 1, 65535, 65536, 65537, 131072, 131073]

    @Test("payload size follows header + 16 + P + 16·max(1, ceil(P/64Ki))", arguments: sizes)
    func sizeFormula(_ size: Int) throws {
        let identity = X25519Identity.generate()
        let plaintext = SecureBytes.random(size)
        let file = try Age.encrypt(plaintext, to: [identity.recipient])
        let header = try AgeHeader.parse(file)
        let chunks = max(1, (size + 65535) / 65536)
        #expect(file.count == header.length + 16 + size + 16 * chunks)
        #expect(try Age.decrypt(file, identities: [identity]) == plaintext)
        let armored = try Age.encrypt(plaintext, to: [identity.recipient], armor: true)
        #expect(try Age.decrypt(armored, identities: [identity]) == plaintext)
    }

    @Test("every flipped byte of a small file is refused")
    func tampering() throws {
        let identity = X25519Identity.generate()
        let file = try Age.encrypt(Array("a secret value".utf8), to: [identity.recipient])
        for index in file.indices {
            var tampered = file
            tampered[index] ^= 0x01
            #expect(throws: AgeError.self) { try Age.decrypt(tampered, identities: [identity]) }
        }
        #expect(throws: AgeError.self) { try Age.decrypt(Array(file.dropLast()), identities: [identity]) }
        #expect(throws: AgeError.self) { try Age.decrypt(file + [0], identities: [identity]) }
    }

    @Test("a whole number of chunks ends with a full final chunk, not an empty one")
    func fullFinalChunk() throws {
        let key = SecureBytes.random(32)
        let sealed = try AgeStream.seal([UInt8](repeating: 7, count: 65536), key: key)
        #expect(sealed.count == 65552)
        // Appending an empty final chunk after it is refused.
        let empty = try ChaChaPoly.seal(key: key, nonce: AgeStream.chunkNonce(1, last: true), plaintext: [])
        let nonFinal = try ChaChaPoly.seal(key: key, nonce: AgeStream.chunkNonce(0, last: false), plaintext: [UInt8](repeating: 7, count: 65536))
        #expect(throws: AgeError.payload("last chunk is empty")) {
            try AgeStream.open((nonFinal + empty)[...], key: key) { _ in }
        }
    }

    @Test("multiple recipients each decrypt, and a stranger gets no match with the stanza types")
    func multipleRecipients() throws {
        let alice = X25519Identity.generate(), bob = X25519Identity.generate(), eve = X25519Identity.generate()
        let file = try Age.encrypt(Array("hi".utf8), to: [alice.recipient, bob.recipient])
        #expect(try Age.decrypt(file, identities: [bob]) == Array("hi".utf8))
        #expect(try Age.decrypt(file, identities: [eve, alice]) == Array("hi".utf8))
        #expect(throws: AgeError.noMatch(["X25519", "X25519"])) { try Age.decrypt(file, identities: [eve]) }
    }

    @Test("scrypt round trip, wrong passphrase is no match, and scrypt cannot be mixed", .tags(.slow))
    func scrypt() throws {
        let recipient = try ScryptRecipient(passphrase: Array("correct horse".utf8), workFactor: 10)
        let file = try Age.encrypt(Array("hi".utf8), to: [recipient])
        #expect(try Age.decrypt(file, identities: [ScryptIdentity(passphrase: Array("correct horse".utf8))]) == Array("hi".utf8))
        #expect(throws: AgeError.noMatch(["scrypt"])) {
            try Age.decrypt(file, identities: [ScryptIdentity(passphrase: Array("wrong".utf8))])
        }
        #expect(throws: AgeError.self) {
            try Age.encrypt([], to: [recipient, X25519Identity.generate().recipient])
        }
        #expect(throws: AgeError.self) {
            try Age.decrypt(file, identities: [ScryptIdentity(passphrase: Array("correct horse".utf8), maxWorkFactor: 9)])
        }
    }

    @Test("the deterministic X25519 file of age-format.md §13 is reproduced byte for byte")
    func knownAnswer() throws {
        let identity = try X25519Identity("AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0")
        #expect(identity.recipient.string == "age1xmwwc06ly3ee5rytxm9mflaz2u56jjj36s0mypdrwsvlul66mv4q47ryef")
        let pinned = PinnedX25519Recipient(recipient: identity.recipient, ephemeral: [UInt8](repeating: 0x42, count: 32))
        let file = try Age.encrypt(Array("age interop\n".utf8), to: [pinned], fileKey: Array("YELLOW SUBMARINE".utf8),
                                   nonce: Array(0..<16))
        #expect(file.count == 212)
        #expect(AgeTestSupport.sha256Hex(file) == "9305f06fc2d721d6896bb1b2f3fbd200ffa0c5fbf791ae668c35b919339c4d7d")
        #expect(try Age.decrypt(file, identities: [identity]) == Array("age interop\n".utf8))
    }

    @Test("the header MAC key of YELLOW SUBMARINE matches the known answer")
    func macKey() throws {
        #expect(AgeTestSupport.hex(try AgeHeader.macKey(fileKey: Array("YELLOW SUBMARINE".utf8)))
            == "a4bf3b9f4e908993e678eb71e558faedac5829d1d632c50225217c066fec77d2")
    }

    @Test("the streaming API releases only authenticated chunks before a payload failure")
    func streamingRelease() throws {
        let identity = X25519Identity.generate()
        let plaintext = SecureBytes.random(65536 * 2 + 10)
        var file = try Age.encrypt(plaintext, to: [identity.recipient])
        file[file.count - 1] ^= 1
        var released: [UInt8] = []
        #expect(throws: AgeError.self) {
            try Age.decrypt(file, identities: [identity]) { released.append(contentsOf: $0) }
        }
        #expect(released == Array(plaintext[..<131072]))
    }
}

@Suite("key files and key generation")
struct AgeKeyFileTests {
    static let identity = "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0"

    @Test("comments, blank lines, CRLF and a missing final newline are accepted")
    func accepted() throws {
        let text = "# created: now\r\n\r\n# public key: age1…\r\n\(Self.identity)\r\n\n\(Self.identity)"
        #expect(try AgeKeyFile.parseIdentities(Array(text.utf8)).identities.count == 2)
    }

    @Test("BOM, surrounding spaces, indented comments, lowercase keys and empty files are refused", arguments: [
        "\u{FEFF}\(identity)\n", " \(identity)\n", "\(identity) \n", "  # c\n\(identity)\n", "\(identity.lowercased())\n",
        "", "# only a comment\n", "age1xmwwc06ly3ee5rytxm9mflaz2u56jjj36s0mypdrwsvlul66mv4q47ryef\n",
    ])
    func refused(_ text: String) {
        #expect(throws: AgeError.self) { try AgeKeyFile.parseIdentities(Array(text.utf8)) }
    }

    @Test("errors name the line but never the key")
    func noKeyInErrors() {
        let broken = String(Self.identity.dropLast()) + "q"
        do {
            _ = try AgeKeyFile.parseIdentities(Array("# c\n\(broken)\n".utf8))
            Issue.record("a bad checksum was accepted")
        } catch {
            let message = "\(error)"
            #expect(message.contains("line 2"))
            #expect(!message.contains("AGE-SECRET-KEY"))
            #expect(message == message.lowercased() || message.contains("Bech32"))
            #expect(!message.hasSuffix("."))
        }
    }

    @Test("unsupported forms are recognised and can be skipped")
    func unsupported() throws {
        let pq = Bech32.encode(hrp: "AGE-SECRET-KEY-PQ-", data: SecureBytes.random(32))!
        let plugin = Bech32.encode(hrp: "AGE-PLUGIN-YUBIKEY-", data: [1, 2, 3])!
        let text = "\(pq)\n\(plugin)\n\(Self.identity)\n"
        #expect(throws: AgeError.self) { try AgeKeyFile.parseIdentities(Array(text.utf8)) }
        let parsed = try AgeKeyFile.parseIdentities(Array(text.utf8), skippingUnsupported: true)
        #expect(parsed.identities.count == 1)
        #expect(parsed.skipped.map(\.line) == [1, 2])
        // A PEM file is read as an ssh key: a truncated one is malformed, an ecdsa one unsupported.
        #expect(throws: AgeError.invalidKey("malformed ssh private key: bad PEM armor")) {
            try AgeKeyFile.parseIdentities(Array("-----BEGIN OPENSSH PRIVATE KEY-----\n".utf8))
        }
        #expect(throws: AgeError.self) {
            try AgeKeyFile.parseIdentities(Array("-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n".utf8))
        }
    }

    @Test("recipients: age1 and ssh keys parse; secret keys are an error; pq and plugins are unsupported")
    func recipients() throws {
        let recipient = "age1xmwwc06ly3ee5rytxm9mflaz2u56jjj36s0mypdrwsvlul66mv4q47ryef"
        let pq = Bech32.encode(hrp: "age1pq", data: SecureBytes.random(1216))!
        let plugin = Bech32.encode(hrp: "age1yubikey", data: [1, 2, 3])!
        let ssh = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHm1Vi6P5lT5QHixEuipi6eQH4U65pW+1+DjkQutBJZk me@host"
        let text = "# team\n\(recipient)\n\(pq)\n\(plugin)\n\(ssh)\n"
        #expect(throws: AgeError.self) { try AgeKeyFile.parseRecipients(Array(text.utf8)) }
        let parsed = try AgeKeyFile.parseRecipients(Array(text.utf8), skippingUnsupported: true)
        #expect(parsed.recipients.count == 2)
        #expect(parsed.recipients.last is SSHEd25519Recipient)
        #expect(parsed.skipped.map(\.kind) == ["post-quantum recipients are not supported yet",
                                                "plugin recipients are not supported yet"])
        #expect(throws: AgeError.self) { try AgeKeyFile.parseRecipients(Array("\(recipient)\n\(Self.identity)\n".utf8)) }
    }

    @Test("an identity file in age-keygen's format round-trips")
    func keygen() throws {
        let (identity, recipient) = AgeKeyGen.generate()
        let text = try AgeKeyGen.identityFile(identity: identity, createdAt: 1_795_577_836)
        #expect(text == "# created: 2026-11-25T03:37:16Z\n# public key: \(recipient)\n\(identity)\n")
        let parsed = try AgeKeyFile.parseIdentities(Array(text.utf8))
        #expect((parsed.identities.first as? X25519Identity)?.recipient.string == recipient)
        #expect(AgeKeyGen.rfc3339(0) == "1970-01-01T00:00:00Z")
        #expect(AgeKeyGen.rfc3339(951_782_400) == "2000-02-29T00:00:00Z")
    }
}

/// A recipient that adds a rage-style grease stanza next to a real one (trap 8).
private struct GreasedRecipient: AgeRecipient {
    let inner: X25519Recipient
    let greaseBody: [UInt8]
    func wrap(fileKey: [UInt8]) throws -> [AgeStanza] {
        try inner.wrap(fileKey: fileKey) + [AgeStanza(type: "p-grease", arguments: ["]Qq", "\\G/Q8%t", "w*"], body: greaseBody)]
    }
}

@Suite("header")
struct AgeHeaderTests {
    @Test("stanza bodies that are a multiple of 48 bytes end with an empty line and parse back", arguments: [0, 1, 47, 48, 96, 99, 384])
    func bodyLines(_ length: Int) throws {
        let identity = X25519Identity.generate()
        let body = SecureBytes.random(length)
        let file = try Age.encrypt(Array("grease".utf8), to: [GreasedRecipient(inner: identity.recipient, greaseBody: body)])
        let header = try AgeHeader.parse(file)
        #expect(header.stanzas.last?.body == body)
        #expect(header.serialized == Array(file[..<header.length]))
        // The grease stanza comes last: its final short line is empty exactly when 48 divides the body.
        let text = String(decoding: file[..<header.length], as: UTF8.self)
        #expect(text.contains("\n\n---") == (length % 48 == 0))
        #expect(try Age.decrypt(file, identities: [identity]) == Array("grease".utf8))
    }

    @Test("a header with no stanza is no match, as in Go")
    func noStanza() throws {
        let file = Array("age-encryption.org/v1\n--- \(AgeBase64.encodeUnpadded([UInt8](repeating: 0, count: 32)))\n".utf8) + [UInt8](repeating: 0, count: 32)
        #expect(throws: AgeError.noMatch([])) { try Age.decrypt(file, identities: [X25519Identity.generate()]) }
    }

    @Test("malformed headers are header failures", arguments: [
        "", "age-encryption.org/v1", "age-encryption.org/v2\n", "age-encryption.org/v1\r\n",
        "age-encryption.org/v1\n-> X25519\n",
        "age-encryption.org/v1\n->  X25519 a\n\n--- AAAA\n",
        "age-encryption.org/v1\n-> a \n\n--- AAAA\n",
        "age-encryption.org/v1\n->\n\n--- AAAA\n",
        "age-encryption.org/v1\n-- a\n\n",
        "age-encryption.org/v1\n-> a\n\n\n--- AAAA\n",
        "age-encryption.org/v1\n-> a\n" + String(repeating: "A", count: 64) + "\n--- AAAA\n",
        "age-encryption.org/v1\n-> a\nAA==\n--- AAAA\n",
        "age-encryption.org/v1\n-> a\n\n---\n",
        "age-encryption.org/v1\n-> a\n\n---  " + String(repeating: "A", count: 43) + "\n",
        "age-encryption.org/v1\n-> a\n\n--- " + String(repeating: "A", count: 42) + "\n",
    ])
    func malformed(_ text: String) {
        #expect(throws: AgeError.self) { try AgeHeader.parse(Array(text.utf8)) }
        do { _ = try AgeHeader.parse(Array(text.utf8)) } catch { #expect(outcomeClass(error) == "header failure") }
    }
}
