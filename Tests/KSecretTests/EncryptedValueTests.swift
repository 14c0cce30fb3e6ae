import Foundation
import Testing
@testable import KSecret

@Suite("ENC[...] values (Format.md §1.2)")
struct EncryptedValueTests {
    // From enc.yaml: app.port.
    let sample = "ENC[AES256_GCM,data:zXPxdA==,iv:svDtzGM5/o1G2oz2IMbe3VpP94Hmv4sdbw2iN7MX8SI=,tag:L0H0lAcp1tzZuqA2UOMWjw==,type:int]"

    @Test("parses a value sops wrote and formats it back byte for byte")
    func roundTrip() throws {
        let v = try EncryptedValue.parse(sample)
        #expect(v.data == [0xCD, 0x73, 0xF1, 0x74])
        #expect(v.iv.count == 32)
        #expect(v.tag.count == 16)
        #expect(v.type == "int")
        #expect(v.text == sample)
    }

    @Test("formats with 32-byte IV, padded base64 and fixed field order")
    func format() {
        let v = EncryptedValue(data: [1, 2, 3, 4], iv: [UInt8](repeating: 0, count: 32), tag: [UInt8](repeating: 0xFF, count: 16), type: "str")
        #expect(v.text == "ENC[AES256_GCM,data:AQIDBA==,iv:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=,tag://///////////////////w==,type:str]")
    }

    @Test("accepts other IV lengths and trailing text after the bracket, like sops's unanchored pattern")
    func lenient() throws {
        let v = try EncryptedValue.parse("ENC[AES256_GCM,data:AQ==,iv:AAAAAAAAAAAAAAAA,tag:AAAAAAAAAAAAAAAAAAAAAA==,type:str]xyz")
        #expect(v.iv.count == 12)
        #expect(v.type == "str")
    }

    @Test("rejects malformed values with exit 25, naming the key path but not the value", arguments: [
        "ENC[AES256_GCM,data:,iv:AAAA,tag:AAAA,type:str]",
        "ENC[AES256_GCM,data:AQ==,iv:AAAA,tag:AAAA]",
        "ENC[AES256_GCM,data:A*Q=,iv:AAAA,tag:AAAA,type:str]",
        "ENC[AES256_GCM,data:AQ=,iv:AAAA,tag:AAAA,type:str]",
        "ENC[AES256_GCM,data:AQ==,iv:AAAA,tag:AAAA,type:str",
        "ENC[CHACHA,data:AQ==,iv:AAAA,tag:AAAA,type:str]",
        "plain secret",
    ])
    func malformed(text: String) throws {
        let error = try #require(throws: KSecretError.self) { try EncryptedValue.parse(text, path: ["db", "password"]) }
        #expect(error.code == .errorDecryptingTree)
        #expect(error.message.contains(#"["db"]["password"]"#))
        #expect(!error.description.contains(text))
    }
}

@Suite("base64 fields of ENC[...] values")
struct Base64FieldTests {
    /// Every length from 0 to 99 (all three padding cases many times), against Foundation's encoder.
    @Test("decodes what Foundation's encoder writes, at every padding")
    func decodesFoundationOutput() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<100 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = Data(bytes).base64EncodedString()
            #expect(Base64.decode(Array(text.utf8)[...]) == bytes, "length \(length)")
            #expect(Base64.encode(bytes) == text)
        }
    }

    @Test("refuses a byte outside the alphabet in any position, padding inside the text, and a length not a multiple of 4")
    func refuses() {
        let valid = Array("AQIDBAUGBwgJ".utf8)   // 9 bytes, no padding
        for position in valid.indices {
            for bad in [UInt8(ascii: "*"), UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: " "), 0x0A, 0x00, 0xC3] {
                var text = valid
                text[position] = bad
                #expect(Base64.decode(text[...]) == nil, "byte \(bad) at \(position)")
            }
        }
        for text in ["AQ=A", "A===", "====", "AQ==AQ==", "=AQI", "AQI", "AQIDB", "AQ=", "AQIDBA=", "AQ==\n"] {
            #expect(Base64.decode(Array(text.utf8)[...]) == nil, "\(text)")
        }
        #expect(Base64.decode(Array("AQ==".utf8)[...]) == [1])
        #expect(Base64.decode(Array("AQI=".utf8)[...]) == [1, 2])
        #expect(Base64.decode(Array("".utf8)[...]) == [])
    }
}
