import Testing
@testable import KSecret

@Suite("Value codec (Format.md §1.3)")
struct ValueCodecTests {
    @Test("floats format like Go's FormatFloat(v, 'f', -1, 64)", arguments: [
        (0.75, "0.75"), (1.0, "1"), (1e10, "10000000000"), (6.02e23, "602000000000000000000000"),
        (1e-6, "0.000001"), (2.5, "2.5"), (-5.0, "-5"), (0.1, "0.1"), (123456.789, "123456.789"),
        (1e21, "1000000000000000000000"), (1.5e-10, "0.00000000015"), (-0.0, "-0"), (0.0, "0"),
        (5e-324, "0." + String(repeating: "0", count: 323) + "5"),
        (Double.infinity, "+Inf"), (-Double.infinity, "-Inf"), (Double.nan, "NaN"),
    ])
    func floats(value: Double, expected: String) {
        #expect(ValueCodec.formatFloat(value) == expected)
    }

    @Test("scalar types encode to sops's bytes and type names")
    func encode() throws {
        #expect(try ValueCodec.encode(.string("héllo")) == (Array("héllo".utf8), "str"))
        #expect(try ValueCodec.encode(.int(31)) == (Array("31".utf8), "int"))
        #expect(try ValueCodec.encode(.int(-5)) == (Array("-5".utf8), "int"))
        #expect(try ValueCodec.encode(.int(Int64.max)) == (Array("9223372036854775807".utf8), "int"))
        #expect(try ValueCodec.encode(.float(1e10)) == (Array("10000000000".utf8), "float"))
        #expect(try ValueCodec.encode(.bool(true)) == (Array("True".utf8), "bool"))
        #expect(try ValueCodec.encode(.bool(false)) == (Array("False".utf8), "bool"))
        #expect(try ValueCodec.encode(.time("2024-01-02T00:00:00Z")) == (Array("2024-01-02T00:00:00Z".utf8), "time"))
        #expect(try ValueCodec.encode(.bytes([0, 0xFF, 0xFE])) == ([0, 0xFF, 0xFE], "str"))
        #expect(throws: KSecretError.self) { try ValueCodec.encode(.null) }
    }

    @Test("bools decode with every Go ParseBool form", arguments: [
        ("1", true), ("t", true), ("T", true), ("TRUE", true), ("true", true), ("True", true),
        ("0", false), ("f", false), ("F", false), ("FALSE", false), ("false", false), ("False", false),
    ])
    func bools(text: String, expected: Bool) throws {
        #expect(try ValueCodec.decode(Array(text.utf8), type: "bool") == .value(.bool(expected)))
    }

    @Test("decoding rejects malformed values with exit 25 and without the value")
    func badDecode() throws {
        for (text, type) in [("yes", "bool"), ("1.5", "int"), ("99999999999999999999", "int"), ("abc", "float"), ("x", "weird"), ("2024-13-01T00:00:00Z", "time")] {
            let error = try #require(throws: KSecretError.self) { try ValueCodec.decode(Array(text.utf8), type: type, path: ["a", "b"]) }
            #expect(error.code == .errorDecryptingTree)
            #expect(error.message.contains(#"["a"]["b"]"#))
            if type != "weird" { #expect(!error.message.contains(text)) }
        }
    }

    @Test("decoding gives typed values, bytes for non-UTF-8 str, and comments")
    func decode() throws {
        #expect(try ValueCodec.decode(Array("8080".utf8), type: "int") == .value(.int(8080)))
        #expect(try ValueCodec.decode(Array("+Inf".utf8), type: "float") == .value(.float(.infinity)))
        #expect(try ValueCodec.decode(Array("-Inf".utf8), type: "float") == .value(.float(-.infinity)))
        guard case .value(.float(let nan)) = try ValueCodec.decode(Array("NaN".utf8), type: "float") else { Issue.record("NaN"); return }
        #expect(nan.isNaN)
        #expect(try ValueCodec.decode(Array("602000000000000000000000".utf8), type: "float") == .value(.float(6.02e23)))
        #expect(try ValueCodec.decode([0x66, 0xFF], type: "str") == .value(.bytes([0x66, 0xFF])))
        #expect(try ValueCodec.decode([0x66, 0xFF], type: "bytes") == .value(.bytes([0x66, 0xFF])))
        #expect(try ValueCodec.decode(Array(" a comment".utf8), type: "comment") == .comment(" a comment"))
        #expect(try ValueCodec.decode(Array("2024-01-02T03:04:05Z".utf8), type: "time") == .value(.time("2024-01-02T03:04:05Z")))
    }

    @Test("RFC 3339 canonicalisation matches Go's Format(time.RFC3339)", arguments: [
        ("2026-11-25T03:42:51Z", "2026-11-25T03:42:51Z"),
        ("2026-11-25T03:42:51+00:00", "2026-11-25T03:42:51Z"),
        ("2026-11-25T03:42:51.123456Z", "2026-11-25T03:42:51Z"),
        ("2026-11-25T05:42:51+02:00", "2026-11-25T05:42:51+02:00"),
        ("2026-11-25T03:42:51-05:30", "2026-11-25T03:42:51-05:30"),
    ])
    func rfc3339(text: String, expected: String) {
        #expect(RFC3339.canonicalize(text) == expected)
    }

    @Test("RFC 3339 rejects non-timestamps", arguments: ["2026-11-25", "2026-11-25 03:42:51Z", "2026-02-30T00:00:00Z", "2026-11-25T03:42:51", "1700000000.5"])
    func rfc3339Rejects(text: String) {
        #expect(RFC3339.canonicalize(text) == nil)
    }
}
