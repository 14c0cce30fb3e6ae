import Testing
@testable import KSecret

@Suite("regular expressions of sops rules")
struct RegularExpressionTests {
    @Test("a match anywhere, as Go's MatchString", arguments: [
        (#"secrets.*\.yaml$"#, "charts/app/secrets.prod.yaml", true),
        (#"secrets.*\.yaml$"#, "charts/app/secrets.yaml.bak", false),
        (#"\.enc\.ya?ml$"#, "a/b.enc.yml", true),
        (#"^(data|stringData)$"#, "stringData", true),
        (#"^(data|stringData)$"#, "metadata", false),
        (#"(?i)password"#, "DB_PASSWORD", true),
        (#"prod/"#, "env/prod/values.yaml", true),
        (#"^\d{4}-\w+\s?$"#, "2026-abc", true),
    ])
    func matches(pattern: String, text: String, expected: Bool) throws {
        #expect(try RegularExpression(pattern).matches(text) == expected)
    }

    @Test("Unicode scalars, not grapheme clusters: CRLF is two characters, a combining mark one")
    func scalars() throws {
        #expect(try RegularExpression("a\\r?\\nb").matches("a\r\nb"))
        #expect(try RegularExpression("^e.$").matches("e\u{301}"))
        #expect(try RegularExpression("^.$").matches("e\u{301}") == false)
        #expect(try RegularExpression("^caf\\u{E9}$").matches("cafe\u{301}") == false)
    }

    @Test("Go's own escapes: one-letter Unicode classes and octal codes", arguments: [
        (#"^\pL+$"#, "été", true), (#"^\pL+$"#, "a1", false), (#"\PN"#, "1", false), (#"[\pN_]+$"#, "1_2", true),
        (#"\141"#, "a", true), (#"\0"#, "a\u{0}b", true), (#"\012"#, "a\nb", true), (#"\\p"#, "\\p", true),
        (#"\p{Greek}"#, "α", true), (#"[\\]141"#, "\\141", true),
    ])
    func goEscapes(pattern: String, text: String, expected: Bool) throws {
        #expect(try RegularExpression(pattern).matches(text) == expected)
    }

    @Test("a pattern that does not compile throws")
    func invalid() {
        #expect(throws: (any Error).self) { try RegularExpression("(unclosed") }
        #expect(throws: (any Error).self) { try RegularExpression("a{2,1}") }
    }
}
