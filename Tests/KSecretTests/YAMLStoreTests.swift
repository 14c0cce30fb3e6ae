import Foundation
import Testing
@testable import KSecret

private enum YAMLFixtures {
    static var shared: URL {
        if let dir = ProcessInfo.processInfo.environment["KSECRET_SHARED_DIR"] { return URL(fileURLWithPath: dir) }
        // <repo>/Tests/KSecretTests/this file -> <repo>/../shared
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared")
    }
    static func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: shared.appendingPathComponent("fixtures/sops/" + relative)))
    }
    static func corpus() -> [String] {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus/yaml")
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }
    static func corpusBytes(_ name: String) throws -> [UInt8] {
        let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus/yaml")
        return [UInt8](try Data(contentsOf: dir.appendingPathComponent(name)))
    }
}

@Suite("YAML store (Format.md §4)")
struct YAMLStoreTests {
    let store = YAMLStore()

    @Test("parse then write of an unchanged document gives the same bytes", arguments: [
        "plain.yaml", "plain-edge.yaml", "plain-multidoc.yaml", "plain-listcomment.yaml", "enc.yaml", "enc-edge.yaml",
        "enc-multidoc.yaml", "enc-listcomment.yaml", "enc-encrypted-regex.yaml", "comment-regex/plain-enc-marker.yaml",
    ])
    func identityRoundTrip(name: String) throws {
        let bytes = try YAMLFixtures.bytes(name)
        let parsed = try store.parse(bytes, path: name)
        let out = try store.emit(parsed.document, metadata: parsed.metadata, source: parsed, options: StoreOptions())
        #expect(String(decoding: out, as: UTF8.self) == String(decoding: bytes, as: UTF8.self))
    }

    @Test("values are typed as sops's YAML library types them")
    func typing() throws {
        let parsed = try store.parse(try YAMLFixtures.bytes("plain-edge.yaml"), path: "plain-edge.yaml")
        let root = parsed.document.branches[0]
        func value(_ key: String) -> ScalarValue? { if case .scalar(let s)? = root[key] { return s.value } else { return nil } }
        #expect(value("date") == .time("2024-01-02T00:00:00Z"))
        #expect(value("datetime") == .time("2024-01-02T03:04:05Z"))
        #expect(value("hex") == .int(31))
        #expect(value("octal") == .int(15))
        #expect(value("big") == .int(Int64.max))
        #expect(value("one_float") == .float(1))
        #expect(value("exp") == .float(1e10))
        #expect(value("quoted_num") == .string("123"))
        #expect(value("yes_str") == .string("yes"))
        #expect(value("tilde") == .null)
        #expect(value("bin") == .string("hello"))
        #expect(value("tagged") == .string("foo"))
        #expect(root["alias"] == .mapping([.pair(key: "x", value: .scalar(Scalar(.int(1))))]) || {
            if case .mapping(let e)? = root["alias"], case .pair("x", .scalar(let s)) = e[0] { return s.value == .int(1) } else { return false }
        }())
    }

    @Test("comments are tree nodes in the collection that contains them")
    func commentPlacement() throws {
        let src = "# top\napp:\n  a: 1 # inline\n  # inside app\n  b:\n    - x\n    # in list\n    - y\n# before c\nc: 2\n# tail\n"
        let parsed = try store.parse(Array(src.utf8), path: "t.yaml")
        guard case .mapping(let top) = parsed.document.branches[0] else { Issue.record("not a mapping"); return }
        let topComments = top.compactMap { if case .comment(let c) = $0 { return c.text } else { return nil } }
        #expect(topComments == [" top", " before c", " tail"])
        guard case .mapping(let app)? = parsed.document.branches[0]["app"] else { Issue.record("no app"); return }
        #expect(app.compactMap { if case .comment(let c) = $0 { return c.text } else { return nil } } == [" inline", " inside app"])
        guard case .sequence(let items)? = parsed.document.branches[0]["app"]?["b"] else { Issue.record("no list"); return }
        #expect(items.count == 3 && items[1] == .comment(Comment(" in list", origin: items[1].commentOrigin)))
    }

    @Test("a changed value is written in place in its original quoting, the rest untouched")
    func patchOneValue() throws {
        let src = "a: 'one'   # keep me\nb:\n    c: \"two\"\n    d: |\n      line1\n      line2\n\n# end\n"
        let parsed = try store.parse(Array(src.utf8), path: "t.yaml")
        var doc = parsed.document
        doc.branches[0] = replace(doc.branches[0], key: "a", with: .string("uno"))
        let out = String(decoding: try store.emit(doc, metadata: nil, source: parsed, options: StoreOptions()), as: UTF8.self)
        #expect(out == src.replacingOccurrences(of: "'one'", with: "'uno'"))
    }

    @Test("malformed YAML reports file, line, column and a caret")
    func malformed() throws {
        let src = "a: 1\nb: [1, 2\nc: 3\n"
        do {
            _ = try store.parse(Array(src.utf8), path: "bad.yaml")
            Issue.record("expected an error")
        } catch let error as KSecretError {
            #expect(error.code == .couldNotReadInputFile)
            #expect(error.location?.file == "bad.yaml")
            #expect(error.location?.line != nil && error.location?.column != nil)
            #expect(error.location?.snippet?.contains("^") == true)
        }
    }

    @Test("duplicate keys and non-string keys are refused with their position")
    func badKeys() throws {
        #expect(throws: KSecretError.self) { try store.parse(Array("a: 1\na: 2\n".utf8), path: "d.yaml") }
        do {
            _ = try store.parse(Array("x: 1\n1: a\n".utf8), path: "k.yaml")
            Issue.record("expected an error")
        } catch let error as KSecretError {
            #expect(error.code == .errorEncryptingTree)
            #expect(error.location?.line == 2)
        }
        // Composed and decomposed "café" are one key to Swift's strings, two to sops (bytes differ):
        // both are kept, in order, each with its own bytes.
        let parsed = try store.parse(Array("caf\u{E9}: 1\ncafe\u{301}: 2\n".utf8), path: "n.yaml")
        guard case .mapping(let entries)? = parsed.document.branches.first else { Issue.record("not a mapping"); return }
        #expect(entries.compactMap { $0.key.map { Array($0.utf8) } } == [Array("caf\u{E9}".utf8), Array("cafe\u{301}".utf8)])
        // Either spelling repeated is a duplicate, on its own line.
        for repeated in ["caf\u{E9}", "cafe\u{301}"] {
            let error = try #require(throws: KSecretError.self) {
                try store.parse(Array("caf\u{E9}: 1\ncafe\u{301}: 2\n\(repeated): 3\n".utf8), path: "n.yaml")
            }
            #expect(error.message.contains("duplicate mapping key") && error.location?.line == 3)
        }
    }

    @Test("an empty file is refused with sops's code 92")
    func empty() {
        #expect(throws: KSecretError.self) { try store.parse([], path: "e.yaml") }
    }

    private func replace(_ node: Node, key: String, with value: ScalarValue) -> Node {
        guard case .mapping(var entries) = node else { return node }
        for (i, e) in entries.enumerated() {
            if case .pair(key, .scalar(var s)) = e { s.value = value; entries[i] = .pair(key: key, value: .scalar(s)) }
        }
        return .mapping(entries)
    }
}

extension Node {
    var commentOrigin: Int? { if case .comment(let c) = self { return c.origin } else { return nil } }
}
