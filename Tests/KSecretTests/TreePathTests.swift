import Testing
@testable import KSecret

@Suite("Tree paths and document edits (Format.md §8.2)")
struct TreePathTests {
    @Test("parses quoted keys and bare indices")
    func parse() throws {
        #expect(try TreePath.parse(#"["a"]["b"][0]"#) == [.key("a"), .key("b"), .index(0)])
        #expect(try TreePath.parse("['a']['with space'][12]") == [.key("a"), .key("with space"), .index(12)])
        #expect(try TreePath.parse(#"["key:with:colons"]"#) == [.key("key:with:colons")])
        #expect(try TreePath.parse(#"["it's"]"#) == [.key("it's")])
        #expect(try TreePath.parse("") == [])
    }

    @Test("rejects malformed paths with the caller's exit code", arguments: [#"["a""#, "a", "[x]", "[-1]", #"["a"]b"#, "["])
    func malformed(text: String) throws {
        let e91 = try #require(throws: KSecretError.self) { try TreePath.parse(text) }
        #expect(e91.code == .invalidTreePathFormat)
        let e7 = try #require(throws: KSecretError.self) { try TreePath.parse(text, errorCode: .invalidSetFormat) }
        #expect(e7.code == .invalidSetFormat)
    }

    static let doc = Document(branches: [.mapping([
        .pair(key: "a", value: .mapping([.pair(key: "b", value: .string("x")), .pair(key: "list", value: .sequence([.int(1), .int(2)]))])),
        .pair(key: "c", value: .string("y")),
    ])])

    @Test("value(at:) finds values and reports missing components like sops")
    func value() throws {
        #expect(try Self.doc.value(at: [.key("a"), .key("b")]) == .string("x"))
        #expect(try Self.doc.value(at: [.key("a"), .key("list"), .index(1)]) == .int(2))
        #expect(try Self.doc.value(at: []) == Self.doc.branches[0])
        let missing = try #require(throws: KSecretError.self) { try Self.doc.value(at: [.key("a"), .key("zz")]) }
        #expect(missing.message == "component ['zz'] not found")
        let bounds = try #require(throws: KSecretError.self) { try Self.doc.value(at: [.key("a"), .key("list"), .index(2)]) }
        #expect(bounds.message == "component [2] accesses out of bounds")
    }

    @Test("setting replaces, creates missing keys and appends past the end of lists")
    func setting() throws {
        let replaced = Self.doc.setting(.string("z"), at: [.key("a"), .key("b")])
        #expect(try replaced.value(at: [.key("a"), .key("b")]) == .string("z"))
        let created = Self.doc.setting(.int(5), at: [.key("new"), .key("deep")])
        #expect(created.branches[0]["new"] == .mapping([.pair(key: "deep", value: .int(5))]))
        guard case .mapping(let entries) = created.branches[0] else { return }
        #expect(entries.last?.key == "new")
        let appended = Self.doc.setting(.int(3), at: [.key("a"), .key("list"), .index(7)])
        #expect(appended.branches[0]["a"]?["list"] == .sequence([.int(1), .int(2), .int(3)]))
        let throughScalar = Self.doc.setting(.int(1), at: [.key("c"), .key("d")])
        #expect(throughScalar.branches[0]["c"] == .mapping([.pair(key: "d", value: .int(1))]))
    }

    @Test("unsetting removes keys and elements and reports missing ones")
    func unsetting() throws {
        let removed = try Self.doc.unsetting(at: [.key("a"), .key("b")])
        #expect(removed.branches[0]["a"]?["b"] == nil)
        let element = try Self.doc.unsetting(at: [.key("a"), .key("list"), .index(0)])
        #expect(element.branches[0]["a"]?["list"] == .sequence([.int(2)]))
        #expect(throws: KSecretError.self) { try Self.doc.unsetting(at: [.key("nope")]) }
    }

    @Test("keys that differ only in normalization: a path takes the one with its bytes, else an equivalent one, and keeps its spelling")
    func normalizationForms() throws {
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        let both = Document(branches: [.mapping([.pair(key: composed, value: .int(1)), .pair(key: decomposed, value: .mapping([.pair(key: "x", value: .int(2))]))])])
        #expect(try both.value(at: [.key(composed)]) == .int(1))
        #expect(try both.value(at: [.key(decomposed), .key("x")]) == .int(2))
        let set = both.setting(.int(9), at: [.key(decomposed), .key("x")])
        #expect(try set.value(at: [.key(composed)]) == .int(1))
        #expect(try set.value(at: [.key(decomposed), .key("x")]) == .int(9))

        // Only the decomposed spelling in the file; the path is composed.
        let one = Document(branches: [.mapping([.pair(key: decomposed, value: .mapping([.pair(key: "x", value: .int(2)), .pair(key: "y", value: .int(3))]))])])
        #expect(try one.value(at: [.key(composed), .key("x")]) == .int(2))
        let unset = try one.unsetting(at: [.key(composed), .key("x")])
        guard case .mapping(let entries) = unset.branches[0], case .pair(let key, _) = entries[0] else { Issue.record("shape"); return }
        #expect(Array(key.utf8) == Array(decomposed.utf8))
    }
}
