import Testing
@testable import KSecret

@Suite("Selection rules (Format.md §2.4)")
struct SelectionRuleTests {
    @Test("suffix rules look at every component of the path")
    func suffixes() throws {
        let unenc = SelectionRule.unencryptedSuffix("_unencrypted")
        #expect(try unenc.shouldEncrypt(path: ["a", "b"], commentStack: []))
        #expect(try !unenc.shouldEncrypt(path: ["a_unencrypted", "b"], commentStack: []))
        #expect(try !unenc.shouldEncrypt(path: ["a", "b_unencrypted"], commentStack: []))
        let enc = SelectionRule.encryptedSuffix("_secret")
        #expect(try !enc.shouldEncrypt(path: ["a", "b"], commentStack: []))
        #expect(try enc.shouldEncrypt(path: ["db_secret", "b"], commentStack: []))
        #expect(try !enc.shouldEncrypt(path: [], commentStack: []))
    }

    @Test("key regexes are unanchored searches on each component")
    func regexes() throws {
        let enc = SelectionRule.encryptedRegex("^(password|data)$")
        #expect(try enc.shouldEncrypt(path: ["app", "database", "password"], commentStack: []))
        #expect(try !enc.shouldEncrypt(path: ["app", "database", "password2"], commentStack: []))
        let loose = SelectionRule.encryptedRegex("pass")
        #expect(try loose.shouldEncrypt(path: ["app", "mypassword"], commentStack: []))
        let unenc = SelectionRule.unencryptedRegex("^public")
        #expect(try !unenc.shouldEncrypt(path: ["public_key"], commentStack: []))
        #expect(try unenc.shouldEncrypt(path: ["key_public"], commentStack: []))
    }

    @Test("encrypted_comment_regex ignores the marker comment itself but applies to the next key's subtree")
    func encryptedCommentStack() throws {
        let rule = SelectionRule.encryptedCommentRegex("sops:enc")
        #expect(try !rule.shouldEncrypt(path: [], commentStack: [[" sops:enc"]], isComment: true))
        #expect(try rule.shouldEncrypt(path: ["secret"], commentStack: [[" sops:enc"]]))
        #expect(try rule.shouldEncrypt(path: [], commentStack: [[" sops:enc", " next"]], isComment: true))
        #expect(try rule.shouldEncrypt(path: ["nested", "b"], commentStack: [[" another", " sops:enc"], [" inner"]]))
        #expect(try !rule.shouldEncrypt(path: ["after"], commentStack: [[]]))
    }

    @Test("unencrypted_comment_regex exempts the marker, its key's subtree and nothing after")
    func unencryptedCommentStack() throws {
        let rule = SelectionRule.unencryptedCommentRegex("sops:nocrypt")
        #expect(try !rule.shouldEncrypt(path: [], commentStack: [[" sops:nocrypt"]], isComment: true))
        #expect(try !rule.shouldEncrypt(path: ["nested", "a"], commentStack: [[" sops:nocrypt"], []]))
        #expect(try rule.shouldEncrypt(path: [], commentStack: [[" normal comment"]], isComment: true))
        #expect(try rule.shouldEncrypt(path: ["after"], commentStack: [[]]))
    }

    @Test("an invalid regex is reported with exit 1 naming the metadata key")
    func invalidRegex() throws {
        let error = try #require(throws: KSecretError.self) { try SelectionRule.encryptedRegex("(unclosed").compiled() }
        #expect(error.code == .generic)
        #expect(error.message.contains("encrypted_regex"))
    }

    @Test("metadata keys round-trip")
    func keys() {
        for key in SelectionRule.metadataKeys {
            let rule = SelectionRule(metadataKey: key, value: "v")
            #expect(rule?.metadataKey == key)
            #expect(rule?.value == "v")
        }
        #expect(SelectionRule(metadataKey: "other", value: "v") == nil)
    }
}
