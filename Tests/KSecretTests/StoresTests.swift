import Foundation
import Testing
@testable import KSecret

/// The file-format stores (Format.md §6); one nested suite per store.
@Suite("Stores")
struct StoresTests {}

/// Fixtures written by sops 3.11 (shared/fixtures/sops, see its README).
enum Fixtures {
    static let dir: URL = {
        if let env = ProcessInfo.processInfo.environment["KSECRET_SHARED_DIR"] {
            return URL(fileURLWithPath: env).appendingPathComponent("fixtures/sops")
        }
        // Tests/KSecretTests/StoresTests.swift -> repo root -> ../shared
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.deletingLastPathComponent().appendingPathComponent("shared/fixtures/sops")
    }()

    static func bytes(_ name: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: dir.appendingPathComponent(name)))
    }
}

func text(_ b: [UInt8]) -> String { String(decoding: b, as: UTF8.self) }

/// Replaces the value at a key path (mapping keys only) in a node.
func setting(_ node: Node, _ path: [String], _ value: ScalarValue) -> Node {
    guard let first = path.first, case .mapping(var entries) = node else {
        if case .scalar(var s) = node { s.value = value; return .scalar(s) }
        return node
    }
    for (i, e) in entries.enumerated() {
        if case .pair(let k, let v) = e, k == first {
            entries[i] = .pair(key: k, value: setting(v, Array(path.dropFirst()), value))
            break
        }
    }
    return .mapping(entries)
}

func roundTrip(_ store: any Store, _ input: [UInt8]) throws -> [UInt8] {
    let parsed = try store.parse(input, path: "x")
    return try store.emit(parsed.document, metadata: parsed.metadata, source: parsed, options: StoreOptions())
}

func scalarValue(_ node: Node?) -> ScalarValue? {
    if case .scalar(let s)? = node { return s.value }
    return nil
}

func metadataKeys(_ node: Node?) -> [String] {
    guard case .mapping(let entries)? = node else { return [] }
    return entries.compactMap(\.key)
}

extension StoresTests {
    @Suite("Go float formatting")
    struct FloatFormat {
        @Test("json floats render like encoding/json", arguments: [
            (8080.0, "8080"), (0.75, "0.75"), (1e21, "1e+21"), (1e20, "100000000000000000000"), (1e-7, "1e-7"),
            (0.000001, "0.000001"), (-2.5, "-2.5"), (0, "0"), (12345678901234567890, "12345678901234567000"), (1.5e300, "1.5e+300"),
        ])
        func json(_ value: Double, _ expected: String) {
            #expect(GoFloatFormat.json(value) == expected)
        }

        @Test("plaintext floats use the 'f' form of sops")
        func fixed() {
            #expect(GoFloatFormat.fixed(1) == "1")
            #expect(GoFloatFormat.fixed(1e10) == "10000000000")
            #expect(GoFloatFormat.fixed(6.02e23) == "602000000000000000000000")
            #expect(GoFloatFormat.fixed(.infinity) == "+Inf")
            #expect(GoFloatFormat.fixed(-.infinity) == "-Inf")
            #expect(GoFloatFormat.fixed(.nan) == "NaN")
            #expect(GoFloatFormat.fixed(0.000001) == "0.000001")
        }

        @Test("dotenv and ini stringify floats with the 'G' form and a decimal")
        func valString() {
            #expect(GoFloatFormat.sopsValString(8080) == "8080.0")
            #expect(GoFloatFormat.sopsValString(0.75) == "0.75")
            #expect(GoFloatFormat.sopsValString(1234567) == "1.234567E+06")
            #expect(GoFloatFormat.sopsValString(0.00001) == "1E-05")
        }
    }
}

extension StoresTests {
    @Suite("JSON store")
    struct JSON {
        let store = JSONStore()

        @Test("enc.json: metadata is split off with natural types and ENC strings stay intact")
        func parseEncrypted() throws {
            let parsed = try store.parse(try Fixtures.bytes("enc.json"), path: "enc.json")
            #expect(metadataKeys(parsed.metadata) == ["age", "lastmodified", "mac", "unencrypted_suffix", "version"])
            #expect(parsed.metadata?["version"]?.stringValue == "3.11.0")
            guard case .sequence(let age)? = parsed.metadata?["age"] else { Issue.record("age is not a list"); return }
            #expect(metadataKeys(age.first) == ["recipient", "enc"])
            #expect(age.first?["enc"]?.stringValue?.hasPrefix("-----BEGIN AGE ENCRYPTED FILE-----\n") == true)
            let root = parsed.document.branches[0]
            #expect(metadataKeys(root) == ["app", "description", "public_unencrypted", "list_of_maps", "nothing"])
            #expect(root["app"]?["port"]?.stringValue?.hasPrefix("ENC[AES256_GCM,data:9I+/Qg==,") == true)
            #expect(scalarValue(root["nothing"]) == .null)
        }

        @Test("plain.json: numbers are floats, bools and null keep their type")
        func parsePlainTypes() throws {
            let parsed = try store.parse(try Fixtures.bytes("plain.json"), path: "plain.json")
            #expect(parsed.metadata == nil)
            let app = parsed.document.branches[0]["app"]
            guard case .scalar(let port)? = app?["port"], case .scalar(let debug)? = app?["debug"] else { Issue.record("shape"); return }
            #expect(port.value == .float(8080))
            #expect(debug.value == .bool(true))
            #expect(port.origin != nil && debug.origin != nil && port.origin != debug.origin)
            guard case .sequence(let replicas)? = app?["database"]?["replicas"] else { Issue.record("replicas"); return }
            #expect(replicas.count == 3)
        }

        @Test("round trips are byte-for-byte", arguments: ["plain.json", "enc.json", "enc-yaml-as.json", "decrypted/enc.json"])
        func roundTripFixtures(_ name: String) throws {
            let input = try Fixtures.bytes(name)
            #expect(try roundTrip(store, input) == input)
        }

        @Test("tricky JSON round trips byte-for-byte and keeps duplicates and escapes")
        func trickyRoundTrip() throws {
            let input = Array("""
              {"a":1,   "a" : [ [1,2 ,[ ]], {} ,"x\\u00e9\\ud83d\\ude00\\n\\"" ],
            \t"b":{"c" :null},"e": -0.5e+3 ,"f":true}\r\n\n
            """.utf8)
            #expect(try roundTrip(store, input) == input)
            let parsed = try store.parse(input, path: "t.json")
            guard case .mapping(let entries) = parsed.document.branches[0] else { Issue.record("shape"); return }
            #expect(entries.compactMap(\.key) == ["a", "a", "b", "e", "f"])
            guard case .pair(_, .sequence(let items)) = entries[1] else { Issue.record("array"); return }
            #expect(items[2].stringValue == "xé😀\n\"")
            #expect(scalarValue(parsed.document.branches[0]["e"]) == .float(-500))
        }

        @Test("changing one leaf rewrites only that token")
        func patchOneLeaf() throws {
            let input = try Fixtures.bytes("plain.json")
            let parsed = try store.parse(input, path: "plain.json")
            var doc = parsed.document
            doc.branches[0] = setting(doc.branches[0], ["app", "port"], .string("ENC[x<y>]"))
            let out = try store.emit(doc, metadata: nil, source: parsed, options: StoreOptions())
            #expect(text(out) == text(input).replacingOccurrences(of: "\"port\": 8080", with: "\"port\": \"ENC[x\\u003cy\\u003e]\""))
        }

        @Test("changed metadata replaces the sops member in place; unchanged metadata is kept")
        func patchMetadata() throws {
            let input = try Fixtures.bytes("enc.json")
            let parsed = try store.parse(input, path: "enc.json")
            let meta = setting(parsed.metadata!, ["version"], .string("3.12.0"))
            let out = try store.emit(parsed.document, metadata: meta, source: parsed, options: StoreOptions())
            #expect(text(out) == text(input).replacingOccurrences(of: "\"version\": \"3.11.0\"", with: "\"version\": \"3.12.0\""))
            // Without metadata, the sops member and its comma go away.
            let bare = try store.emit(parsed.document, metadata: nil, source: parsed, options: StoreOptions())
            #expect(text(bare).hasSuffix("\t\"nothing\": null\n}\n"))
        }

        @Test("a sops member that is not last is moved to the end when the metadata changes", arguments: [
            ("{\n  \"sops\": {\"v\": \"1\"},\n  \"a\": 1\n}\n", "{\n  \"a\": 1,\n  \"sops\": {\n    \"v\": \"2\"\n  }\n}\n"),
            ("{\"sops\": {\"v\": \"1\"}}", "{\n\t\"sops\": {\n\t\t\"v\": \"2\"\n\t}\n}"),
            ("{\"a\": [1], \"sops\": 0, \"b\": {}}\n", "{\"a\": [1], \"b\": {},\n\t\"sops\": {\n\t\t\"v\": \"2\"\n\t}}\n"),
        ])
        func moveMetadata(_ input: String, _ expected: String) throws {
            let parsed = try store.parse(Array(input.utf8), path: "m.json")
            let meta: Node = .mapping([.pair(key: "v", value: .string("2"))])
            let out = try store.emit(parsed.document, metadata: meta, source: parsed, options: StoreOptions())
            #expect(text(out) == expected)
            #expect(try store.parse(out, path: "m.json").metadata == meta)
        }

        @Test("metadata added to a two-space file follows the file's indentation")
        func addMetadataToPlain() throws {
            let plain = try store.parse(try Fixtures.bytes("plain.json"), path: "plain.json")
            let meta: Node = .mapping([.pair(key: "lastmodified", value: .string("2026-01-01T00:00:00Z")),
                                       .pair(key: "shamir_threshold", value: .int(2)),
                                       .pair(key: "age", value: .sequence([.mapping([.pair(key: "enc", value: .string("a\nb"))])]))])
            let out = try store.emit(plain.document, metadata: meta, source: plain, options: StoreOptions())
            #expect(text(out).hasSuffix("""
              "nothing": null,
              "sops": {
                "lastmodified": "2026-01-01T00:00:00Z",
                "shamir_threshold": 2,
                "age": [
                  {
                    "enc": "a\\nb"
                  }
                ]
              }
            }

            """))
            let again = try store.parse(out, path: "x.json")
            #expect(again.metadata == meta)
            #expect(again.document.branches[0].strippingOrigins() == plain.document.branches[0].strippingOrigins())
        }

        @Test("a tree without a source is written like sops (tab indent, Go numbers)")
        func canonical() throws {
            let expected = try Fixtures.bytes("decrypted/enc.json")
            let plain = try store.parse(try Fixtures.bytes("plain.json"), path: "plain.json")
            #expect(text(try store.emit(plain.document, metadata: nil, source: nil, options: StoreOptions())) == text(expected))
            let enc = try store.parse(try Fixtures.bytes("enc.json"), path: "enc.json")
            let written = try store.emit(enc.document, metadata: enc.metadata, source: nil, options: StoreOptions())
            #expect(text(written) == text(try Fixtures.bytes("enc.json")))
        }

        @Test("indent option: 0 gives newlines without indentation, 2 gives two spaces, < -1 fails")
        func indentOption() throws {
            let doc = Document(branches: [.mapping([.pair(key: "a", value: .sequence([.int(1), .mapping([])]))])])
            #expect(text(try store.emit(doc, metadata: nil, source: nil, options: StoreOptions(jsonIndent: 0))) == "{\n\"a\": [\n1,\n{}\n]\n}\n")
            #expect(text(try store.emit(doc, metadata: nil, source: nil, options: StoreOptions(jsonIndent: 2))) == "{\n  \"a\": [\n    1,\n    {}\n  ]\n}\n")
            #expect(throws: KSecretError.self) { try store.emit(doc, metadata: nil, source: nil, options: StoreOptions(jsonIndent: -2)) }
        }

        @Test("strings are escaped like Go's encoding/json with HTML escaping")
        func escaping() throws {
            let out = try store.emitValue(.string("<a & b>\u{2028}\u{2029}\t\u{1}\u{8}\u{c}\"\\é\u{7f}"), options: StoreOptions())
            #expect(text(out) == "\"\\u003ca \\u0026 b\\u003e\\u2028\\u2029\\t\\u0001\\b\\f\\\"\\\\é\u{7f}\"")
        }

        @Test("emitValue writes scalars bare and subtrees indented")
        func emitValue() throws {
            #expect(text(try store.emitValue(.scalar(Scalar(.float(8080))), options: StoreOptions())) == "8080")
            #expect(text(try store.emitValue(.mapping([.pair(key: "a", value: .bool(true))]), options: StoreOptions())) == "{\n\t\"a\": true\n}")
            #expect(throws: KSecretError.self) { try store.emitValue(.scalar(Scalar(.float(.infinity))), options: StoreOptions()) }
        }

        @Test("comments: mapping comments are dropped, list comments kept only when encrypted")
        func comments() throws {
            let doc = Document(branches: [.mapping([
                .comment(Comment(" top")),
                .pair(key: "l", value: .sequence([.comment(Comment(" plain")), .comment(Comment("ENC[AES256_GCM,data:x,type:comment]")), .int(3)])),
            ])])
            let out = try store.emit(doc, metadata: nil, source: nil, options: StoreOptions())
            #expect(text(out) == "{\n\t\"l\": [\n\t\t\"ENC[AES256_GCM,data:x,type:comment]\",\n\t\t3\n\t]\n}\n")
        }

        @Test("errors carry a code, line and column", arguments: [
            ("[1, 2]", 1, 1), ("{\n  \"a\": tru\n}", 2, 11), ("{\"a\": 1,}", 1, 9), ("{\"a\": 1e400}", 1, 7), ("", 1, 1), ("{\"a\": \"x\n\"}", 1, 9),
        ])
        func errors(_ input: String, _ line: Int, _ column: Int) {
            do {
                _ = try store.parse(Array(input.utf8), path: "bad.json")
                Issue.record("no error")
            } catch let e as KSecretError {
                #expect(e.code == .couldNotReadInputFile)
                #expect(e.location?.line == line)
                #expect(e.location?.column == column)
                #expect(e.location?.file == "bad.json")
            } catch { Issue.record("wrong error type") }
        }

        @Test("a 3 MB file parses and emits quickly")
        func performance() throws {
            var s = "{\n"
            for i in 0..<40_000 { s += "\t\"key\(i)\": {\"v\": \"ENC[AES256_GCM,data:abcdefghij,iv:x,tag:y,type:str]\", \"n\": \(i).5},\n" }
            s += "\t\"end\": null\n}\n"
            let input = Array(s.utf8)
            #expect(input.count > 3_000_000)
            let start = Date()
            let parsed = try store.parse(input, path: "big.json")
            let out = try store.emit(parsed.document, metadata: parsed.metadata, source: parsed, options: StoreOptions())
            let canonical = try store.emit(parsed.document, metadata: nil, source: nil, options: StoreOptions())
            let elapsed = Date().timeIntervalSince(start)
            #expect(out == input)
            #expect(canonical.count > 3_000_000)
            // Release builds take well under 100 ms; debug builds are ~10x slower.
            #expect(elapsed < 5)
        }
    }
}
