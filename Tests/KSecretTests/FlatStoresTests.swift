import Foundation
import Testing
@testable import KSecret

extension StoresTests {
    @Suite("dotenv store")
    struct Dotenv {
        let store = DotenvStore()

        @Test("enc.env: sops_ lines become the metadata mapping")
        func parseEncrypted() throws {
            let parsed = try store.parse(try Fixtures.bytes("enc.env"), path: "enc.env")
            #expect(Set(metadataKeys(parsed.metadata)) == ["age", "lastmodified", "mac", "unencrypted_suffix", "version"])
            guard case .sequence(let age)? = parsed.metadata?["age"] else { Issue.record("age"); return }
            #expect(age.first?["recipient"]?.stringValue == "age12nkg87vl2khsrrnrnu8gaxdxzs40xm6c3dtm9900f7v6qjxcjs4s4cnxcp")
            #expect(age.first?["enc"]?.stringValue?.contains("\n") == true)
            guard case .mapping(let entries) = parsed.document.branches[0] else { Issue.record("shape"); return }
            #expect(entries.count == 7)
            guard case .comment(let c) = entries[0] else { Issue.record("comment first"); return }
            #expect(c.text.hasPrefix("ENC[AES256_GCM,") && c.text.hasSuffix("type:comment]"))
            #expect(entries.compactMap(\.key) == ["DB_USER", "DB_PASSWORD", "PORT", "EMPTY", "MULTI", "PUBLIC_unencrypted"])
        }

        @Test("plain.env: comment text after #, \\n unescaped, all values strings")
        func parsePlain() throws {
            let parsed = try store.parse(try Fixtures.bytes("plain.env"), path: "plain.env")
            #expect(parsed.metadata == nil)
            guard case .mapping(let entries) = parsed.document.branches[0], case .comment(let c) = entries[0] else { Issue.record("shape"); return }
            #expect(c.text == " dotenv comment")
            #expect(scalarValue(parsed.document.branches[0]["MULTI"]) == .string("line1\nline2"))
            #expect(scalarValue(parsed.document.branches[0]["PORT"]) == .string("8080"))
        }

        @Test("round trips are byte-for-byte", arguments: ["plain.env", "enc.env"])
        func roundTripFixtures(_ name: String) throws {
            let input = try Fixtures.bytes(name)
            #expect(try roundTrip(store, input) == input)
        }

        @Test("comments, blank lines, = in values, export and CR survive a round trip")
        func tricky() throws {
            let input = Array("\n# head\n\nexport A=b=c\nB==\r\n#\nC=x\\ny\n\n\nD=last".utf8)
            #expect(try roundTrip(store, input) == input)
            let parsed = try store.parse(input, path: ".env")
            let root = parsed.document.branches[0]
            #expect(scalarValue(root["export A"]) == .string("b=c"))
            #expect(scalarValue(root["B"]) == .string("=\r"))
            #expect(scalarValue(root["C"]) == .string("x\ny"))
        }

        @Test("changing a value patches only that value; new metadata is appended sorted")
        func patch() throws {
            let input = Array("# c\n\nA=1\nB=two\n".utf8)
            let parsed = try store.parse(input, path: ".env")
            var doc = parsed.document
            doc.branches[0] = setting(doc.branches[0], ["B"], .string("ENC[x]\nz"))
            let meta: Node = .mapping([.pair(key: "version", value: .string("3.11.0")), .pair(key: "mac_only_encrypted", value: .bool(true)),
                                       .pair(key: "age", value: .sequence([.mapping([.pair(key: "enc", value: .string("l1\nl2\n")), .pair(key: "hc", value: .scalar(Scalar(.null)))])]))])
            let out = try store.emit(doc, metadata: meta, source: parsed, options: StoreOptions())
            #expect(text(out) == "# c\n\nA=1\nB=ENC[x]\\nz\nsops_age__list_0__map_enc=l1\\nl2\\n\nsops_mac_only_encrypted=true\nsops_version=3.11.0\n")
            let again = try store.parse(out, path: ".env")
            #expect(again.metadata?["mac_only_encrypted"] == .bool(true))
            #expect(again.metadata?["age"]?.strippingOrigins() == .sequence([.mapping([.pair(key: "enc", value: .string("l1\nl2\n"))])]))
        }

        @Test("a tree without a source is written like sops")
        func canonical() throws {
            for name in ["decrypted/enc.env", "enc.env"] {
                let input = try Fixtures.bytes(name)
                let parsed = try store.parse(input, path: name)
                #expect(text(try store.emit(parsed.document, metadata: parsed.metadata, source: nil, options: StoreOptions())) == text(input))
            }
            let doc = Document(branches: [.mapping([.pair(key: "F", value: .scalar(Scalar(.float(8080)))), .pair(key: "I", value: .int(3)), .pair(key: "T", value: .bool(false))])])
            #expect(text(try store.emit(doc, metadata: nil, source: nil, options: StoreOptions())) == "F=8080.0\nI=3\nT=false\n")
        }

        @Test("shamir_threshold comes back as an int, also from the old float form")
        func shamir() throws {
            let a = try store.parse(Array("A=1\nsops_shamir_threshold=2\n".utf8), path: ".env")
            #expect(a.metadata?["shamir_threshold"] == .int(2))
            let b = try store.parse(Array("sops_shamir_threshold=2.000000\n".utf8), path: ".env")
            #expect(b.metadata?["shamir_threshold"] == .int(2))
            #expect(throws: KSecretError.self) { try store.parse(Array("sops_shamir_threshold=2.5\n".utf8), path: ".env") }
        }

        @Test("a line without = is an error with its line number")
        func missingEquals() {
            do {
                _ = try store.parse(Array("A=1\n# ok\nsecretvalue\n".utf8), path: "x.env")
                Issue.record("no error")
            } catch let e as KSecretError {
                #expect(e.code == .couldNotReadInputFile)
                #expect(e.location?.line == 3)
                #expect(e.location?.column == 12)
                #expect(!e.message.contains("secretvalue"))
            } catch { Issue.record("wrong error") }
        }

        @Test("nested values cannot be written and the error names the key")
        func nested() {
            let doc = Document(branches: [.mapping([.pair(key: "obj", value: .mapping([.pair(key: "x", value: .string("y"))]))])])
            do {
                _ = try store.emit(doc, metadata: nil, source: nil, options: StoreOptions())
                Issue.record("no error")
            } catch let e as KSecretError {
                #expect(e.code == .errorDumpingTree)
                #expect(e.location?.keyPath == ["obj"])
            } catch { Issue.record("wrong error") }
        }
    }
}

extension StoresTests {
    @Suite("INI store")
    struct INI {
        let store = INIStore()

        @Test("plain.ini: DEFAULT first, section comment first, key comments after their key")
        func treeShape() throws {
            let parsed = try store.parse(try Fixtures.bytes("plain.ini"), path: "plain.ini")
            let expected: Node = .mapping([
                .pair(key: "DEFAULT", value: .mapping([])),
                .pair(key: "database", value: .mapping([
                    .comment(Comment("INI comment on section")),
                    .pair(key: "user", value: .string("admin")),
                    .pair(key: "password", value: .string("s3cr3t")),
                    .comment(Comment("trailing comment?")),
                    .pair(key: "port", value: .string("5432")),
                ])),
                .pair(key: "app", value: .mapping([
                    .pair(key: "name", value: .string("demo")),
                    .comment(Comment("hash comment")),
                    .pair(key: "debug", value: .string("true")),
                ])),
            ])
            #expect(parsed.document.branches[0].strippingOrigins() == expected)
            #expect(parsed.metadata == nil)
        }

        @Test("enc.ini: the [sops] section becomes the metadata mapping")
        func parseEncrypted() throws {
            let parsed = try store.parse(try Fixtures.bytes("enc.ini"), path: "enc.ini")
            #expect(Set(metadataKeys(parsed.metadata)) == ["age", "lastmodified", "mac", "unencrypted_suffix", "version"])
            #expect(parsed.metadata?["lastmodified"]?.stringValue == "2026-11-25T03:42:51Z")
            guard case .sequence(let age)? = parsed.metadata?["age"] else { Issue.record("age"); return }
            #expect(age.first?["enc"]?.stringValue?.hasSuffix("-----END AGE ENCRYPTED FILE-----\n") == true)
            let root = parsed.document.branches[0]
            #expect(metadataKeys(root) == ["DEFAULT", "database", "app"])
            #expect(root["database"]?["user"]?.stringValue?.hasPrefix("ENC[AES256_GCM,data:8pAaCqA=,") == true)
        }

        @Test("round trips are byte-for-byte", arguments: ["plain.ini", "enc.ini", "decrypted/enc.ini"])
        func roundTripFixtures(_ name: String) throws {
            let input = try Fixtures.bytes(name)
            #expect(try roundTrip(store, input) == input)
        }

        @Test("tricky INI (DEFAULT keys, both comment kinds, quotes, continuation) round trips")
        func tricky() throws {
            let input = Array("top = 1\n  ; indented\n# hash\n[s1] ; on header\nk1: v1\nk2 = \"  spaced \" # why\nk3 = `a;b`\nk4 = '''x'''\n\n[s2]\nm = \"\"\"line1\nline2\"\"\"\ncont = a \\\n  b\nempty =\n".utf8)
            #expect(try roundTrip(store, input) == input)
            let root = try store.parse(input, path: "t.ini").document.branches[0]
            #expect(root["DEFAULT"]?["top"]?.stringValue == "1")
            #expect(root["s1"]?["k1"]?.stringValue == "v1")
            #expect(root["s1"]?["k2"]?.stringValue == "  spaced ")
            #expect(root["s1"]?["k3"]?.stringValue == "a;b")
            #expect(root["s2"]?["m"]?.stringValue == "line1\nline2")
            #expect(root["s2"]?["cont"]?.stringValue == "a b")
            #expect(root["s2"]?["empty"]?.stringValue == "")
            guard case .mapping(let s1)? = root["s1"], case .comment(let c) = s1[0] else { Issue.record("section comment"); return }
            #expect(c.text == "indented\n# hash\n; on header")
        }

        @Test("changing values and comments patches them in place")
        func patch() throws {
            let input = try Fixtures.bytes("plain.ini")
            let parsed = try store.parse(input, path: "plain.ini")
            guard case .mapping(var top) = parsed.document.branches[0], case .pair(let k, .mapping(var db)) = top[1],
                  case .comment(var c) = db[3] else { Issue.record("shape"); return }
            c.text = "ENC[c]"
            db[3] = .comment(c)
            top[1] = .pair(key: k, value: .mapping(db))
            var root = Node.mapping(top)
            root = setting(root, ["app", "debug"], .string(" pad"))
            let out = try store.emit(Document(branches: [root]), metadata: nil, source: parsed, options: StoreOptions())
            let expected = text(input)
                .replacingOccurrences(of: "password = s3cr3t ; trailing comment?", with: "password = s3cr3t ; ENC[c]")
                .replacingOccurrences(of: "debug = true", with: "debug = \" pad\"")
            #expect(text(out) == expected)
            let again = try store.parse(out, path: "x.ini").document.branches[0]
            #expect(again["app"]?["debug"]?.stringValue == " pad")

            // A value that must be quoted now, before its inline comment: go-ini drops what follows a
            // quoted value on its line, so the file is written canonically, the comment on its own line.
            root = setting(root, ["database", "password"], .string("has;semi"))
            let quoted = try store.emit(Document(branches: [root]), metadata: nil, source: parsed, options: StoreOptions())
            let reread = try store.parse(quoted, path: "x.ini").document.branches[0]
            #expect(reread["database"]?["password"]?.stringValue == "has;semi")
            guard case .mapping(let section)? = reread["database"] else { Issue.record("database"); return }
            #expect(section.contains { if case .comment(let c) = $0 { return c.text == "ENC[c]" } else { return false } }, "\(text(quoted))")
        }

        @Test("new metadata replaces [sops] and goes last")
        func patchMetadata() throws {
            let input = try Fixtures.bytes("enc.ini")
            let parsed = try store.parse(input, path: "enc.ini")
            let meta = setting(parsed.metadata!, ["version"], .string("3.12.0"))
            let out = text(try store.emit(parsed.document, metadata: meta, source: parsed, options: StoreOptions()))
            let dataPart = text(input).components(separatedBy: "[sops]")[0]
            #expect(out.hasPrefix(dataPart + "[sops]\n"))
            let again = try store.parse(Array(out.utf8), path: "x.ini")
            #expect(again.metadata?["version"]?.stringValue == "3.12.0")
            #expect(again.metadata?["mac"] == parsed.metadata?["mac"])
            #expect(out.contains("\nversion                    = 3.12.0\n"))
        }

        @Test("a tree without a source is written like go-ini")
        func canonical() throws {
            let expected = try Fixtures.bytes("decrypted/enc.ini")
            for name in ["plain.ini", "decrypted/enc.ini"] {
                let parsed = try store.parse(try Fixtures.bytes(name), path: name)
                #expect(text(try store.emit(parsed.document, metadata: nil, source: nil, options: StoreOptions())) == text(expected))
            }
            let enc = try store.parse(try Fixtures.bytes("enc.ini"), path: "enc.ini")
            let written = text(try store.emit(enc.document, metadata: enc.metadata, source: nil, options: StoreOptions()))
            #expect(written.components(separatedBy: "[sops]")[0] == text(try Fixtures.bytes("enc.ini")).components(separatedBy: "[sops]")[0])
            #expect(try store.parse(Array(written.utf8), path: "x").metadata == enc.metadata.map { _ in try! store.parse(Array(written.utf8), path: "x").metadata! })
            #expect(try store.parse(Array(written.utf8), path: "x").metadata?["mac"] == enc.metadata?["mac"])
        }

        @Test("go-ini quoting of keys and values, DEFAULT keys without header")
        func quoting() throws {
            let doc = Document(branches: [.mapping([
                .pair(key: "DEFAULT", value: .mapping([.pair(key: "a", value: .string("1"))])),
                .pair(key: "s", value: .mapping([
                    .comment(Comment("sec")),
                    .pair(key: "k=x", value: .string("v#1")),
                    .pair(key: "long", value: .string("a\nb")),
                    .comment(Comment("about long")),
                    .pair(key: "n", value: .scalar(Scalar(.float(2)))),
                ])),
            ])])
            let out = text(try store.emit(doc, metadata: nil, source: nil, options: StoreOptions()))
            #expect(out == "a = 1\n\n; sec\n[s]\n`k=x` = `v#1`\n; about long\nlong  = \"\"\"a\nb\"\"\"\nn     = 2.0\n")
        }

        @Test("a repeated key is not patched: the canonical layout drops the shadowed value")
        func duplicates() throws {
            let input = Array("[s]\na = secret1\na = two\n".utf8)
            let parsed = try store.parse(input, path: "d.ini")
            #expect(parsed.document.branches[0]["s"]?.strippingOrigins() == .mapping([.pair(key: "a", value: .string("two"))]))
            let out = text(try roundTrip(store, input))
            #expect(!out.contains("secret1"))
        }

        @Test("syntax errors carry line and column", arguments: [("[s]\nno delimiter here\n", 2), ("a=1\n[unclosed\n", 2), ("[s]\n= v\n", 2), ("[s]\nk = \"\"\"open\nmore\n", 2)])
        func errors(_ input: String, _ line: Int) {
            do {
                _ = try store.parse(Array(input.utf8), path: "bad.ini")
                Issue.record("no error")
            } catch let e as KSecretError {
                #expect(e.code == .couldNotReadInputFile)
                #expect(e.location?.line == line)
                #expect(e.location?.column != nil)
            } catch { Issue.record("wrong error") }
        }
    }
}

extension StoresTests {
    @Suite("binary store")
    struct Binary {
        let store = BinaryStore()

        @Test("a plain file is one data leaf with all its bytes and writes back unchanged")
        func plain() throws {
            let input = try Fixtures.bytes("plain.bin")
            let parsed = try store.parse(input, path: "plain.bin")
            #expect(parsed.metadata == nil)
            #expect(scalarValue(parsed.document.branches[0]["data"]) == .bytes(input))
            #expect(try store.emit(parsed.document, metadata: nil, source: parsed, options: StoreOptions()) == input)
            let asString = Document(branches: [.mapping([.pair(key: "data", value: .string("hé"))])])
            #expect(try store.emit(asString, metadata: nil, source: nil, options: StoreOptions()) == Array("hé".utf8))
        }

        @Test("enc.bin is recognised as a JSON envelope and round trips")
        func encrypted() throws {
            let input = try Fixtures.bytes("enc.bin")
            let parsed = try store.parse(input, path: "enc.bin")
            #expect(metadataKeys(parsed.metadata) == ["age", "lastmodified", "mac", "version"])
            #expect(parsed.document.branches[0]["data"]?.stringValue?.hasPrefix("ENC[AES256_GCM,data:OC+/02") == true)
            #expect(try roundTrip(store, input) == input)
            #expect(try store.emit(parsed.document, metadata: parsed.metadata, source: nil, options: StoreOptions()) == input)
        }

        @Test("a JSON file without sops is plain data; errors for missing or typed data")
        func edges() throws {
            let json = Array("{\"data\": 1}".utf8)
            #expect(scalarValue(try store.parse(json, path: "x").document.branches[0]["data"]) == .bytes(json))
            #expect(throws: KSecretError.self) { try store.emit(Document(branches: [.mapping([])]), metadata: nil, source: nil, options: StoreOptions()) }
            #expect(throws: KSecretError.self) {
                try store.emit(Document(branches: [.mapping([.pair(key: "data", value: .int(1))])]), metadata: nil, source: nil, options: StoreOptions())
            }
            #expect(throws: KSecretError.self) { try store.emitValue(.string("x"), options: StoreOptions()) }
        }
    }
}
