import Foundation
import Testing
@testable import KSecret

/// Inputs the libFuzzer targets (Fuzz/, `make fuzz`) found to break a property, kept as regression
/// tests in the normal suite. Each test names the target and the property (Documentation/Robustness.md).
@Suite("fuzz regressions")
struct FuzzRegressionTests {
    static var fixtures: URL {
        if let dir = ProcessInfo.processInfo.environment["KSECRET_SHARED_DIR"] { return URL(fileURLWithPath: dir).appendingPathComponent("fixtures/sops") }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("shared/fixtures/sops")
    }

    static func engine() -> SecretsEngine {
        SecretsEngine(environment: KSecretEnvironment(variables: ["SOPS_AGE_KEY_FILE": fixtures.appendingPathComponent("key.txt").path, "HOME": "/nonexistent"]))
    }

    static func encrypt(_ text: String) throws -> [UInt8] {
        let recipient = try String(contentsOf: fixtures.appendingPathComponent("recipient.txt"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return try engine().encrypt(Array(text.utf8), options: EncryptOptions(path: "f.yaml", inputFormat: .yaml, outputFormat: .yaml,
                                                                              keys: KeyPlan(groups: [KeyGroupRule(age: [recipient])])))
    }

    /// Encrypts a YAML text with the fixture key and checks that it decrypts to the values its
    /// parse holds, and that what decrypt prints reads back to them too. Returns the encrypted file.
    @discardableResult
    static func expectEncryptDecrypt(_ plain: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws -> [UInt8] {
        let parsed = try YAMLStore().parse(Array(plain.utf8), path: "f.yaml")
        let encrypted = try encrypt(plain)
        let opened = try engine().open(encrypted, path: "f.yaml", format: .yaml)
        #expect(values(opened.document) == values(parsed.document), sourceLocation: sourceLocation)
        let printed = try YAMLStore().parse(try opened.plaintext(format: .yaml), path: "f.yaml")
        #expect(values(printed.document) == values(parsed.document), sourceLocation: sourceLocation)
        return encrypted
    }

    static func values(_ d: Document) -> [String] {
        var out: [String] = []
        func walk(_ n: Node) {
            switch n {
            case .scalar(let s): out.append("\(s.value)")
            case .mapping(let e): for case .pair(let k, let v) in e { out.append(k); walk(v) }
            case .sequence(let items): items.forEach(walk)
            case .comment(let c): out.append("#" + c.text)
            }
        }
        d.branches.forEach(walk)
        return out
    }

    @Test("FuzzEncryptDecrypt: an alias in clear text to an anchor whose value is encrypted decrypts (was a MAC mismatch)",
          arguments: [
              // a merge key under a _unencrypted key, its anchor encrypted
              "base: &defaults\n  adapter: postgres\n  pool: 5\ndevelopment_unencrypted:\n  <<: *defaults\n  database: dev\n",
              // a scalar alias in clear text to an encrypted scalar
              "region: &region eu-west-1\nclear_unencrypted:\n  backup: *region\n",
              // a sequence alias in clear text to an encrypted sequence
              "hosts: &hosts\n  - a\n  - b\nmirror_unencrypted: *hosts\n",
          ])
    func aliasToEncryptedAnchor(plain: String) throws {
        let encrypted = try Self.encrypt(plain)
        let opened = try Self.engine().open(encrypted, path: "f.yaml", format: .yaml)
        let parsed = try YAMLStore().parse(Array(plain.utf8), path: "f.yaml")
        #expect(Self.values(opened.document) == Self.values(parsed.document))
        // No clear-text copy of the anchored values is left behind an alias that now reads ciphertext.
        #expect(!String(decoding: encrypted, as: UTF8.self).contains("*"), "an alias to encrypted content was kept")
    }

    @Test("FuzzEncryptDecrypt: a YAML file of only comments is refused, not written back in clear without a sops block")
    func commentOnlyFileIsRefused() throws {
        #expect(throws: KSecretError.self) { try Self.encrypt("# only a comment\n") }
        #expect(throws: KSecretError.self) { try YAMLStore().parse(Array("# a\n\n# b\n".utf8), path: "f.yaml") }
        do {
            _ = try YAMLStore().parse(Array("# only a comment\n".utf8), path: "f.yaml")
        } catch let error as KSecretError {
            #expect(error.code == .couldNotReadInputFile)
        }
    }

    @Test("FuzzEncryptDecrypt: metadata appended to an indented root mapping stands at its column (was invalid YAML)",
          arguments: ["# key groups\n\n  n: 73\n", "   a: 1\n   b:\n     c: x\n"])
    func indentedRootMapping(plain: String) throws {
        let encrypted = try Self.encrypt(plain)
        let opened = try Self.engine().open(encrypted, path: "f.yaml", format: .yaml)
        let parsed = try YAMLStore().parse(Array(plain.utf8), path: "f.yaml")
        #expect(Self.values(opened.document) == Self.values(parsed.document))
        // Written back (a value changed, or unchanged) the file stays readable.
        let resealed = try Self.engine().reseal(opened, document: opened.document)
        #expect(Self.values(try Self.engine().open(resealed, path: "f.yaml", format: .yaml).document) == Self.values(parsed.document))
    }

    @Test("FuzzINIStore, FuzzDotenvStore: a huge list index in flattened sops metadata is refused, not a crash",
          arguments: ["9223372036854775807", "4000000000"])
    func hugeMetadataListIndex(index: String) throws {
        let dotenv = "a=1\nsops_age__list_\(index)__map_recipient=age1x\nsops_version=3.11.0\n"
        #expect(throws: KSecretError.self) { try DotenvStore().parse(Array(dotenv.utf8), path: "f.env") }
        let ini = "[x]\na = 1\n\n[sops]\nage__list_\(index)__map_recipient = age1x\nversion = 3.11.0\n"
        #expect(throws: KSecretError.self) { try INIStore().parse(Array(ini.utf8), path: "f.ini") }
        // The same files with index 0 read (so the refusal above is the index's).
        let age = { (m: Node?) -> Bool in if case .mapping(let e)? = m { return e.contains { $0.key == "age" } } else { return false } }
        #expect(age(try DotenvStore().parse(Array(dotenv.replacingOccurrences(of: index, with: "0").utf8), path: "f.env").metadata))
        #expect(age(try INIStore().parse(Array(ini.replacingOccurrences(of: index, with: "0").utf8), path: "f.ini").metadata))
    }
}

/// The YAML findings of the long run (Documentation/Robustness.md): files ksecret wrote and could
/// not read back.
extension FuzzRegressionTests {
    /// The values of a parse of `bytes`, failing the test when it does not parse.
    static func yamlValues(_ bytes: [UInt8]) throws -> [String] {
        values(try YAMLStore().parse(bytes, path: "f.yaml").document)
    }

    @Test("FuzzEncryptDecrypt: a CRLF file with block scalars and a lone CR line break decrypts (was a MAC mismatch, exit 51)",
          arguments: [
              // encrypt-decrypt-yaml-mac-mismatch, shortened: the lone CR after `-----BEGIN-----` ends a line
              "---\r\nnest: |\r\n  line one\r\n  line two\r\n\r\nfolded: >-\r\n  paragraph one\r\n\r\n  paragraph two\r\nkeep: |+\r\n  kept\r\n\r\n\r\n"
                  + "---\r\nnested:\r\n  cert: |\r\n   -----BEGIN-----\r  next: |\r\n   x\r\n",
              // only lone CRs (classic Mac line ends), a plain scalar and a comment among them
              "a: |\r  one\r  two\rb: plain\r# note\rc: 3\r",
              // NEL (U+0085) is a line break to YAML as well
              "a: |\u{85}  one\u{85}b: 2\n",
          ])
    func loneCarriageReturn(plain: String) throws {
        let encrypted = try Self.encrypt(plain)
        let opened = try Self.engine().open(encrypted, path: "f.yaml", format: .yaml)
        #expect(Self.values(opened.document) == (try Self.yamlValues(Array(plain.utf8))))
        // Written back after a change (the layout-preserving path), the file still opens.
        let resealed = try Self.engine().reseal(opened, document: opened.document)
        #expect(Self.values(try Self.engine().open(resealed, path: "f.yaml", format: .yaml).document) == Self.values(opened.document))
    }

    @Test("FuzzYAMLStore: the canonical writer quotes what libyaml cannot read unquoted (was: control characters, tab indentation)",
          arguments: [
              "\u{82}BC",                       // a C1 control character (yaml-canonical-control-character)
              "\t\n\tover two lines",            // a tab first, then lines (yaml-canonical-invalid-indent)
              "\t",
              "a\u{85}b",                        // NEL inside a line
              "a\u{2028}b\nc",                   // LS inside a multi-line value
              "x\u{FFFE}y",                      // not a character: needs an escape
              "\u{FEFF}bom",
              "tab\tinside\nand a line",
              "  leading\n\tand a tab",
          ])
    func canonicalWriterQuotes(value: String) throws {
        for key in ["k", value] where !key.isEmpty {
            let document = Document(branches: [.mapping([.pair(key: key, value: .scalar(Scalar(.string(value)))),
                                                         .pair(key: "list", value: .sequence([.scalar(Scalar(.string(value)))]))])])
            let written = try YAMLStore().emit(document, metadata: nil, source: nil, options: StoreOptions())
            let read = try YAMLStore().parse(written, path: "f.yaml")
            let v = "\(ScalarValue.string(value))"
            #expect(Self.values(read.document) == [key, v, "list", v], "written as \(String(reflecting: String(decoding: written, as: UTF8.self)))")
        }
    }

    @Test("FuzzYAMLStore: a CRLF multi-document file with stray CRs and a sops block keeps its metadata (yaml-crlf-metadata-round-trip)")
    func crlfMetadataRoundTrip() throws {
        // The input as the fuzzer found it (Fuzz/Findings/yaml-crlf-metadata-round-trip).
        let text = "---\r\n# CZLF with block s@calars and several documents\r\nscript: |\r t`e list\n  - alpha\n  # between\r\r\r\r\r\r\r\r\r\r\r\r#ENC[AES256_GCM,data:/u1Kqj6lWZ4WjQdeQjmA==,type:int]\nsops:\n    shamir_threshold: 2\n    key_groups:\n        - hc_vault: []\n          age:\n            - reci      enc: |\n                -----BEGIN AGE ENCRYPTED FILE-----\n                        ai8YZXNFbHVMamNoTHVRcnZVcTNTYlFqcEUwCkpXR1VQL3JYZktwNEFwMTVk lTEpQ\n                Tko4SGdaVStVUVlDSHYxWDVuRDgvU]\r"
        let parsed = try YAMLStore().parse(Array(text.utf8), path: "f.yaml")
        for source in [nil, parsed] as [ParsedFile?] {
            let written = try YAMLStore().emit(parsed.document, metadata: parsed.metadata, source: source, options: StoreOptions())
            let again = try YAMLStore().parse(written, path: "f.yaml")
            #expect(again.metadata?.strippingOrigins() == parsed.metadata?.strippingOrigins())
            #expect(Self.values(again.document) == Self.values(parsed.document))
        }
    }

    @Test("FuzzYAMLStore: a stream with a sops block in several documents reads and writes back (the first block is the file's)",
          arguments: [
              "a: 1\nsops:\n  version: 3.11.0\n---\nb: 2\nsops:\n  version: 3.11.0\n",
              "a: 1\nsops:\n  version: 3.11.0\n---\nb: 2\nsops:\n  version: 3.12.0\n",
              "sops:\n  version: 3.11.0\na: 1\n---\nsops:\n  version: 3.11.0\nb: 2\n",
              "  a: 1\n  sops:\n    version: 3.11.0\n---\nb: 2\nsops:\n  version: 3.11.0",
              "{a: 1, sops: {version: 3.11.0}}\n---\nb: 2\nsops:\n  version: 3.11.0\n",
              "- a\n---\nsops:\n  version: 3.11.0\n---\n- b\n---\nsops:\n  version: 3.11.0\n",
          ])
    func severalSopsBlocks(text: String) throws {
        let parsed = try YAMLStore().parse(Array(text.utf8), path: "f.yaml")
        #expect(parsed.metadata?["version"]?.stringValue == "3.11.0")
        for source in [nil, parsed] as [ParsedFile?] {
            let written = try YAMLStore().emit(parsed.document, metadata: parsed.metadata, source: source, options: StoreOptions())
            let again = try YAMLStore().parse(written, path: "f.yaml")
            #expect(again.metadata?.strippingOrigins() == parsed.metadata?.strippingOrigins())
            #expect(Self.values(again.document) == Self.values(parsed.document))
        }
    }
}

/// The flat-store findings: INI files ksecret wrote and could not decrypt, keys and values the INI
/// writer spelled as other text, and flattened sops metadata that changed shape (Format.md §6).
extension FuzzRegressionTests {
    static func encryptINI(_ bytes: [UInt8], from format: FileFormat = .ini) throws -> [UInt8] {
        let recipient = try String(contentsOf: fixtures.appendingPathComponent("recipient.txt"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return try engine().encrypt(bytes, options: EncryptOptions(path: "f.ini", inputFormat: format, outputFormat: .ini,
                                                                   keys: KeyPlan(groups: [KeyGroupRule(age: [recipient])])))
    }

    @Test("FuzzEncryptDecrypt: an INI file with a control or non-UTF-8 byte is refused at its line and column, naming the byte (was a file that did not decrypt)",
          arguments: [
              // encrypt-decrypt-ini-mac-mismatch, its first line: a NUL right after `-=`
              ("-=\u{0}\u{0}t0o:tag\n", 1, 3, "0x00"),
              ("[s]\nkey = val\rue\n", 2, 10, "0x0D"),          // a CR inside a line
              ("[s]\nk\u{01}ey = v\n", 2, 2, "0x01"),
              ("[s]\nkey = v\n; note \u{1B}[0m\n", 3, 8, "0x1B"),
          ] as [(String, Int, Int, String)])
    func iniControlCharacterRefused(text: String, line: Int, column: Int, byte: String) throws {
        let error = try #require(throws: KSecretError.self) { try Self.encryptINI(Array(text.utf8)) }
        #expect(error.code == .couldNotReadInputFile)
        #expect(error.location?.line == line && error.location?.column == column, "at \(String(describing: error.location))")
        #expect(error.message.contains(byte) && error.message.contains("control character"), "\(error.message)")
        // A CRLF file is not refused for its line ends, nor a tab.
        _ = try Self.encryptINI(Array("[s]\r\nkey = v\tw\r\n".utf8))
    }

    @Test("FuzzEncryptDecrypt: an INI file that is not UTF-8 is refused at the byte (was a value that did not decrypt)")
    func iniInvalidUTF8Refused() throws {
        // encrypt-decrypt-ini-key-bytes: a key of 0xD5 bytes (no UTF-8 continuation)
        let bytes = Array("[s]\nok = 1\ntag-".utf8) + [0xD5, 0xD5] + Array("My = v\n".utf8)
        let error = try #require(throws: KSecretError.self) { try Self.encryptINI(bytes) }
        #expect(error.location?.line == 3 && error.location?.column == 5)
        #expect(error.message.contains("not valid UTF-8") && error.message.contains("0xD5"), "\(error.message)")
        // Overlong forms and surrogates are not UTF-8 either; a real multi-byte character is.
        #expect(throws: KSecretError.self) { try INIStore().parse(Array("k = ".utf8) + [0xC0, 0xAF] + [0x0A], path: "f.ini") }
        #expect(throws: KSecretError.self) { try INIStore().parse(Array("k = ".utf8) + [0xED, 0xA0, 0x80] + [0x0A], path: "f.ini") }
        #expect(throws: KSecretError.self) { try DotenvStore().parse(Array("K=".utf8) + [0xFF] + [0x0A], path: "f.env") }
        _ = try Self.encryptINI(Array("[s]\nk = café 🔑\n".utf8))
    }

    @Test("FuzzEncryptDecrypt: go-ini's `-` keys (read as #1, #2) decrypt, and a key named `-` is refused when written (was a MAC mismatch)")
    func iniDashKeys() throws {
        let plain = "[s]\n- = first\n- = second\nkey = value\n"
        let parsed = try INIStore().parse(Array(plain.utf8), path: "f.ini")
        #expect(Self.values(parsed.document) == ["DEFAULT", "s", "#1", "string(\"first\")", "#2", "string(\"second\")", "key", "string(\"value\")"])
        let opened = try Self.engine().open(try Self.encryptINI(Array(plain.utf8)), path: "f.ini", format: .ini)
        #expect(Self.values(opened.document) == Self.values(parsed.document))
        // The canonical writer (a file converted from YAML) spells `#1` so that it is not a comment.
        let fromYAML = try Self.encryptINI(Array("s:\n  \"#1\": first\n  \";x\": y\n".utf8), from: .yaml)
        let reopened = try Self.engine().open(fromYAML, path: "f.ini", format: .ini)
        #expect(Self.values(reopened.document) == ["DEFAULT", "s", "#1", "string(\"first\")", ";x", "string(\"y\")"])
        // A key that is `-` itself cannot be written: go-ini numbers it, quoted or not.
        let dash = Document(branches: [.mapping([.pair(key: "s", value: .mapping([.pair(key: "-", value: .scalar(Scalar(.string("v"))))]))])])
        let error = try #require(throws: KSecretError.self) { try INIStore().emit(dash, metadata: nil, source: nil, options: StoreOptions()) }
        #expect(error.code == .errorDumpingTree && error.location?.keyPath == ["s", "-"])
    }

    @Test("FuzzINIStore: INI keys and values with quotes, backquotes, delimiters and a final backslash are written so they read back",
          arguments: [
              "k\"e`y",            // both quote kinds (encrypt-decrypt-ini-key-bytes)
              "\"quoted\"", "'single'", "`tick`", "a=b", "a:b", "#hash", ";semi", "[bracket", "\"\"\"triple",
              "x\"", "ends\\", "a \\", "mid;dle", "spaced \"in\" side", "tab\tinside",
          ])
    func iniQuoting(text: String) throws {
        let document = Document(branches: [.mapping([.pair(key: "s", value: .mapping([.pair(key: text, value: .scalar(Scalar(.string(text)))),
                                                                                    .pair(key: "next", value: .scalar(Scalar(.string("n"))))]))])])
        let written: [UInt8]
        do { written = try INIStore().emit(document, metadata: nil, source: nil, options: StoreOptions()) } catch let error as KSecretError {
            // Refusing is allowed only for what no spelling can carry.
            Issue.record("refused: \(error.message)"); return
        }
        let read = try INIStore().parse(written, path: "f.ini")
        #expect(Self.values(read.document) == ["DEFAULT", "s", text, "string(\(String(reflecting: text)))", "next", "string(\"n\")"],
                "written as \(String(reflecting: String(decoding: written, as: UTF8.self)))")
        // Encrypted and decrypted, the same tree (the key is in the AAD).
        let json = "{\"s\": {\(String(reflecting: text).replacingOccurrences(of: "\\'", with: "'")): \"v\"}}"
        let opened = try Self.engine().open(try Self.encryptINI(Array(json.utf8), from: .json), path: "f.ini", format: .ini)
        #expect(Self.values(opened.document).contains(text))
    }

    @Test("FuzzDotenvStore, FuzzINIStore: flattened metadata with an empty key segment keeps its shape (dotenv-/ini-metadata-odd-keys)")
    func metadataEmptySegment() throws {
        let dotenv = "a=1\nsops___map_r__map_recipient=age1x\nsops_version=3.11.0\n"
        let ini = "[x]\na = 1\n\n[sops]\n__map_r__map_recipient = age1x\nversion = 3.11.0\n"
        for (store, text) in [(DotenvStore() as any Store, dotenv), (INIStore() as any Store, ini)] {
            let parsed = try store.parse(Array(text.utf8), path: "f")
            #expect(parsed.metadata?[""]?["r"]?["recipient"]?.stringValue == "age1x")
            let written = try store.emit(parsed.document, metadata: parsed.metadata, source: nil, options: StoreOptions())
            let again = try store.parse(written, path: "f")
            #expect(again.metadata?[""]?["r"]?["recipient"]?.stringValue == "age1x", "written as \(String(decoding: written, as: UTF8.self))")
        }
    }

    @Test("fuzz smoke run: a flattened INI metadata value ending in a backslash is not joined to the next line")
    func metadataTrailingBackslash() throws {
        let metadata = Node.mapping([.pair(key: "lastmodified", value: .scalar(Scalar(.string("x\\")))),
                                     .pair(key: "mac", value: .scalar(Scalar(.string("m")))), .pair(key: "version", value: .scalar(Scalar(.string("3.11.0"))))])
        let document = Document(branches: [.mapping([.pair(key: "s", value: .mapping([.pair(key: "k", value: .scalar(Scalar(.string("v"))))]))])])
        let written = try INIStore().emit(document, metadata: metadata, source: nil, options: StoreOptions())
        let again = try INIStore().parse(written, path: "f.ini")
        #expect(again.metadata?["lastmodified"]?.stringValue == "x\\")
        #expect(again.metadata?["mac"]?.stringValue == "m", "written as \(String(decoding: written, as: UTF8.self))")
    }

    @Test("FuzzDotenvStore: a flattened metadata list index that is not a number is refused (was silently item 0)")
    func metadataIndexNotANumber() throws {
        let error = try #require(throws: KSecretError.self) {
            try DotenvStore().parse(Array("a=1\nsops_age__list_0x__map_recipient=age1x\nsops_version=3.11.0\n".utf8), path: "f.env")
        }
        #expect(error.message.contains("not a number"))
        #expect(throws: KSecretError.self) { try INIStore().parse(Array("[sops]\nage__list___map_recipient = a\n".utf8), path: "f.ini") }
    }
}

/// Writer defects of the same classes found while fixing the above: a converted file that did not
/// read back as the tree it was written from.
extension FuzzRegressionTests {
    static func encryptConverting(_ text: String, from input: FileFormat, to output: FileFormat) throws -> [UInt8] {
        let recipient = try String(contentsOf: fixtures.appendingPathComponent("recipient.txt"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return try engine().encrypt(Array(text.utf8), options: EncryptOptions(path: "f", inputFormat: input, outputFormat: output,
                                                                              keys: KeyPlan(groups: [KeyGroupRule(age: [recipient])])))
    }

    @Test("YAML canonical writer: a key past libyaml's 1,024-character simple-key limit is written as an explicit key (was invalid YAML)",
          arguments: [129, 1_030, 4_000])
    func longYAMLKey(length: Int) throws {
        let key = String(repeating: "k", count: length)
        let json = "{\"\(key)\": {\"n\": \"v\"}, \"s\": [{\"\(key)\": \"1\"}]}"
        let encrypted = try Self.encryptConverting(json, from: .json, to: .yaml)
        let opened = try Self.engine().open(encrypted, path: "f.yaml", format: .yaml)
        #expect(Self.values(opened.document) == [key, "n", "string(\"v\")", "s", key, "string(\"1\")"])
        // The decrypted YAML reads back too.
        #expect(Self.values(try YAMLStore().parse(try opened.plaintext(format: .yaml), path: "f.yaml").document) == Self.values(opened.document))
    }

    @Test("dotenv writer: a key dotenv cannot spell is refused with its key path (was a file whose value did not decrypt)",
          arguments: ["a=b", "#c", "sops_x", "line\nbreak"])
    func dotenvUnwritableKey(key: String) throws {
        let json = "{\(String(reflecting: key)): \"v\", \"z\": \"1\"}"
        let error = try #require(throws: KSecretError.self) { try Self.encryptConverting(json, from: .json, to: .dotenv) }
        #expect(error.code == .errorDumpingTree && error.location?.keyPath == [key])
        // Keys dotenv reads back as they are still go through.
        _ = try Self.encryptConverting("{\" sp\": \"v\", \"export X\": \"w\"}", from: .json, to: .dotenv)
    }

    // MARK: the 10-million-execution run (Documentation/Robustness.md)

    /// parse -> write (in place, and canonical) -> parse keeps the values and the metadata.
    static func expectYAMLRoundTrip(_ text: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        let parsed = try YAMLStore().parse(Array(text.utf8), path: "f.yaml")
        for source in [parsed, nil] as [ParsedFile?] {
            let written = try YAMLStore().emit(parsed.document, metadata: parsed.metadata, source: source, options: StoreOptions())
            let shown = String(reflecting: String(decoding: written, as: UTF8.self))
            let again = try #require(try? YAMLStore().parse(written, path: "f.yaml"), "written as \(shown)", sourceLocation: sourceLocation)
            #expect(Self.values(again.document) == Self.values(parsed.document), "written as \(shown)", sourceLocation: sourceLocation)
            #expect(again.metadata?.strippingOrigins() == parsed.metadata?.strippingOrigins(), "written as \(shown)", sourceLocation: sourceLocation)
        }
    }

    @Test("FuzzDecrypt: a negative list index in flattened INI or dotenv metadata is refused, not a trap",
          arguments: ["[sops]\nage__list_-2__map_recipient = x\n", "sops_age__list_-2__map_recipient=x\n"])
    func negativeMetadataIndex(text: String) throws {
        let store: any Store = text.hasPrefix("[") ? INIStore() : DotenvStore()
        let error = try #require(throws: KSecretError.self) { try store.parse(Array(text.utf8), path: "f") }
        #expect(error.message.contains("not a number"))
    }

    @Test("FuzzYAMLStore: a plain value that starts like ENC[...] written by value for an alias reads back (was an unreadable quoted scalar)",
          arguments: ["e: &s\n d: ENC[AES256_GCM,\\\nf: *s\n", "e: &s ENC[AES256_GCM,\"x'\\\nf: *s\n", "a: 'ENC[AES256_GCM,''q'\nb: x\n"])
    func aliasByValueQuoting(text: String) throws {
        try Self.expectYAMLRoundTrip(text)
    }

    @Test("FuzzYAMLStore: an alias to an anchor in the sops block is refused at the alias (was a file whose alias no longer resolved)",
          arguments: ["sops: &g\no: *g\n", "sops:\n    version: &v 3.11.0\na:\n  - *v\n"])
    func aliasToSopsBlock(text: String) throws {
        let error = try #require(throws: KSecretError.self) { try YAMLStore().parse(Array(text.utf8), path: "f.yaml") }
        #expect(error.message.contains("anchor in the sops metadata"))
        #expect(error.location?.line == text.split(separator: "\n").firstIndex { $0.contains("*") }.map { $0 + 1 })
        // An anchor in the sops block that nothing outside refers to is fine.
        try Self.expectYAMLRoundTrip("sops:\n    version: &v 3.11.0\na: 1\n")
    }

    @Test("FuzzYAMLStore: a block scalar in the sops block keeps its line break before a final comment (file without a final newline)")
    func metadataBlockScalarBeforeFinalComment() throws {
        try Self.expectYAMLRoundTrip("a: 1\nsops:\n    enc: |\n        line\n# c")
    }

    @Test("FuzzEncryptDecrypt: a tag before the root mapping does not move the sops block to the tag's column (was invalid YAML)")
    func taggedRootColumn() throws {
        let plain = "  !t\nk: v\n"
        let encrypted = try Self.encrypt(plain)
        let opened = try Self.engine().open(encrypted, path: "f.yaml", format: .yaml)
        #expect(Self.values(opened.document) == ["k", "string(\"v\")"])
    }

    @Test("FuzzEncryptDecrypt: an anchor name ends where libyaml ends it (`&a:b x` anchors `:b x`), so the value is replaced, not spliced (was undecryptable)",
          arguments: ["blank: &a:b x\n", "blank: &a:'b' x\n", "k: &a-1_b value\nl: *a-1_b\n"])
    func anchorNameEnd(plain: String) throws {
        try Self.expectEncryptDecrypt(plain)
    }

    @Test("FuzzYAMLStore, ksecret encrypt: nesting beyond the limit is refused at its line and column (was a stack overflow)",
          arguments: [YAMLParser.maxDepth + 1, 100_000])
    func deepNesting(levels: Int) throws {
        let text = String(repeating: "- ", count: levels) + "x\n"
        let error = try #require(throws: KSecretError.self) { try YAMLStore().parse(Array(text.utf8), path: "f.yaml") }
        #expect(error.message.contains("nested deeper than"))
        #expect(error.location?.line == 1)
        let json = "{\"a\": " + String(repeating: "[", count: levels) + String(repeating: "]", count: levels) + "}"
        let jsonError = try #require(throws: KSecretError.self) { try JSONStore().parse(Array(json.utf8), path: "f.json") }
        #expect(jsonError.message.contains("nested deeper than"))
        // At the limit itself, a file still reads.
        let deepest = String(repeating: "- ", count: YAMLParser.maxDepth - 1) + "x\n"
        #expect(throws: Never.self) { try YAMLStore().parse(Array(deepest.utf8), path: "f.yaml") }
    }

    @Test("FuzzYAMLStore: a block scalar left in clear at the end of a file without a final line break keeps its value once the sops block follows it, and after decryption (was a MAC mismatch)",
          arguments: [
              ("a: 1\nb_unencrypted: |\n  abc", "abc"),
              ("a: 1\nb_unencrypted: >+\n  abc\n  def", "abc def"),
              ("a: 1\nb_unencrypted: |2\n   abc", " abc"),
              // a last line of spaces ends the content line: keep and clip read one line break
              ("a: 1\nb_unencrypted: |+\n  abc\n  ", "abc\n"),
              ("a: 1\nb_unencrypted: |\n  abc\n  ", "abc\n"),
              // no chomping indicator carries two line breaks here: the value is written double-quoted
              ("a: 1\nb_unencrypted: |+\n  abc\n\n  ", "abc\n\n"),
          ])
    func blockScalarAtUnterminatedEnd(plain: String, value: String) throws {
        let encrypted = try Self.encrypt(plain)
        // What sops reads: the file as it stands, sops block included.
        let stored = try YAMLStore().parse(encrypted, path: "f.yaml")
        let clear = "string(\(String(reflecting: value)))"
        #expect(Self.values(stored.document).last == clear)
        let opened = try Self.engine().open(encrypted, path: "f.yaml", format: .yaml)
        let printed = try YAMLStore().parse(try opened.plaintext(format: .yaml), path: "f.yaml")
        #expect(Self.values(opened.document) == ["a", "int(1)", "b_unencrypted", clear])
        #expect(Self.values(printed.document) == ["a", "int(1)", "b_unencrypted", clear])
    }

    @Test("FuzzYAMLStore: a collection holding only a comment keeps it in the canonical layout (was a null value and a comment of the parent)",
          arguments: ["empty_list: [] # a comment\n", "m: {} # a comment\nn: 1\n", "top:\n  - [] # a comment\n  - {} # another\n"])
    func commentOnlyCollection(text: String) throws {
        try Self.expectYAMLRoundTrip(text)
    }

    @Test("FuzzEncryptDecrypt: a comment after an INI section header is encrypted on a line of its own (was a section renamed by the `]` of its ENC[...])")
    func iniSectionHeaderComment() throws {
        let plain = "[app] ; hash comment\nname = x\n"
        let recipient = try String(contentsOf: Self.fixtures.appendingPathComponent("recipient.txt"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let encrypted = try Self.engine().encrypt(Array(plain.utf8), options: EncryptOptions(path: "f.ini", inputFormat: .ini, outputFormat: .ini,
                                                                                            keys: KeyPlan(groups: [KeyGroupRule(age: [recipient])])))
        let text = String(decoding: encrypted, as: UTF8.self)
        #expect(text.split(separator: "\n").contains("[app]"), "the section header holds only its name: \(text)")
        #expect(!text.contains("hash comment"))
        let opened = try Self.engine().open(encrypted, path: "f.ini", format: .ini)
        #expect(Self.values(opened.document) == ["DEFAULT", "app", "name", "string(\"x\")"])
        guard case .mapping(let sections) = opened.document.branches[0], case .pair("app", .mapping(let app)) = sections[1] else {
            Issue.record("no [app] section"); return
        }
        let comment: String? = if case .comment(let c) = app.first { c.text } else { nil }
        #expect(comment?.trimmingCharacters(in: .whitespaces) == "hash comment")
    }

    @Test("FuzzEncryptDecrypt: a block scalar holding only lines of spaces under an indented key gets its ENC[...] right of the key (was invalid YAML)",
          arguments: ["           key: |+\n \n", "a:\n    b: |+\n  \n\n    c: 1\n"])
    func blockOfSpacesUnderIndentedKey(plain: String) throws {
        try Self.expectEncryptDecrypt(plain)
    }

    @Test("FuzzINIStore: a `;`, `#`, `\"` or leading space followed by a combining mark is still seen by the writers (was a value cut at the `;` on reading back)",
          arguments: ["x;\u{0EB1}A", "#\u{0EB1}", "\"\"\"\u{0301}x", "v \\\u{0301}"])
    func combiningMarkAfterSyntax(value: String) throws {
        // INI, through the canonical writer (the fuzz finding) and the layout-preserving one.
        let ini = INIStore()
        let tree = Document(branches: [.mapping([.pair(key: "s", value: .mapping([.pair(key: "k", value: .scalar(Scalar(.string(value))))]))])])
        let written = try ini.emit(tree, metadata: nil, source: nil, options: StoreOptions())
        let again = try ini.parse(written, path: "f.ini")
        #expect(Self.values(again.document) == ["DEFAULT", "s", "k", "string(\(String(reflecting: value)))"], "written as \(String(decoding: written, as: UTF8.self))")
        // YAML: a value opening with a space, `---` or `...` and a combining mark, in a block and plain.
        for text in [" \u{0EB1}x\ny\n", "---\u{0301}", "...\u{0301}", "a\n \u{0301}b\n"] {
            let yaml = try YAMLStore().emit(Document(branches: [.mapping([.pair(key: "k", value: .scalar(Scalar(.string(text))))])]),
                                            metadata: nil, source: nil, options: StoreOptions())
            let read = try YAMLStore().parse(yaml, path: "f.yaml")
            #expect(Self.values(read.document) == ["k", "string(\(String(reflecting: text)))"], "written as \(String(reflecting: String(decoding: yaml, as: UTF8.self)))")
        }
    }

    @Test("dotenv writer: a key starting with `#` or `sops_` and a combining mark is refused like one without it")
    func dotenvKeyWithCombiningMark() throws {
        for key in ["#\u{0EB1}k", "sops_\u{0301}x"] {
            let tree = Document(branches: [.mapping([.pair(key: key, value: .scalar(Scalar(.string("v"))))])])
            #expect(throws: KSecretError.self, "\(key)") { try DotenvStore().emit(tree, metadata: nil, source: nil, options: StoreOptions()) }
        }
    }

    @Test("FuzzEncryptDecrypt: a quoted INI value followed by text on its line stays quoted when encrypted (was a value that took the text in and did not decrypt)",
          arguments: ["[s]\nk = `quoted value` trailing: junk]\n", "[s]\npipe_inside:`  pas: loca` pas: loc]: x\n", "[s]\nk = \"v\" tail\n"])
    func quotedINIValueWithTrailingText(plain: String) throws {
        let recipient = try String(contentsOf: Self.fixtures.appendingPathComponent("recipient.txt"), encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let encrypted = try Self.engine().encrypt(Array(plain.utf8), options: EncryptOptions(path: "f.ini", inputFormat: .ini, outputFormat: .ini,
                                                                                            keys: KeyPlan(groups: [KeyGroupRule(age: [recipient])])))
        let opened = try Self.engine().open(encrypted, path: "f.ini", format: .ini)
        let parsed = try INIStore().parse(Array(plain.utf8), path: "f.ini")
        #expect(Self.values(opened.document) == Self.values(parsed.document))
    }

    @Test("FuzzEncryptDecrypt: an INI value no spelling can write back is refused when read, at its line, without its text (was an encrypted file whose decryption could not be printed)")
    func unwritableINIValueRefusedOnReading() throws {
        let text = "[s]\nok = 1\nk = \"\"\"se`cret\"\"\"value\"\"\"\n"
        let error = try #require(throws: KSecretError.self) { try INIStore().parse(Array(text.utf8), path: "f.ini") }
        #expect(error.message.contains("cannot be written back in an INI file"))
        #expect(error.location?.line == 3)
        #expect(!error.message.contains("se`cret") && !(error.location?.snippet ?? "").contains("se`cret"))
    }

    @Test("FuzzEncryptDecrypt (2 December; `encrypt-decrypt-ini-unwritable-key`): an INI key no spelling can write back is refused when read, at its line (was an encrypted file whose decryption could not be printed)",
          arguments: ["[s]\nok = 1\n\"\"\"a:\"b`c\" \"\"\" = v\n", "\"\"\"x`y=1.\"1\"\" \"\"\"\"&:st\n"])
    func unwritableINIKeyRefusedOnReading(text: String) throws {
        let error = try #require(throws: KSecretError.self) { try INIStore().parse(Array(text.utf8), path: "f.ini") }
        #expect(error.message.contains("cannot be written back in an INI file"), "\(error)")
        #expect(error.location?.line == text.split(separator: "\n").count)
        // Keys go-ini and the writer agree on still read: quotes of one kind, or `"""` around both.
        _ = try INIStore().parse(Array("[s]\n`a\"b` = 1\n\"\"\"a\"b`c\"\"\" = 2\n".utf8), path: "f.ini")
    }

    @Test("FuzzEncryptDecrypt: YAML files ksecret wrote and could not read back, or whose values it could not decrypt (1 December 2026 long run)",
          arguments: [
              // an explicit root key: the sops block went to the key's column, not the `?`'s
              "       ?         iv\n", "? multi\n  line key\n: v\nb: 1\n",
              // a key starting with `?`, copied into a flow mapping for an alias: libyaml reads `{?k: v}` as the key `k`
              "defaults: &d\n  ?adapter: postgres\nproduction:\n  <<: *d\n",
              // a comment line between a tag and its value was overwritten with the value (which landed at column 0)
              "tagged: !custom\n# a comment\n  value on the next line\nb: 1\n",
              // 1999-02-31 is no date for Go's time.Parse: a string, as sops types it, not a time that does not decrypt
              "list:\n  - 1999-02-31\nleap: 2023-02-29\nsecond: 2024-01-02T03:04:60Z\n",
          ])
    func yamlLongRunFindings(plain: String) throws {
        let encrypted = try Self.expectEncryptDecrypt(plain)
        // A comment is never left in clear.
        #expect(!String(decoding: encrypted, as: UTF8.self).contains("a comment"))
    }

    @Test("FuzzEncryptDecrypt: YAML files ksecret wrote and could not read back (2 December 2026 long run)",
          arguments: [
              // an explicit root key whose key stands on the line after its `?`: the sops block went to the key's column
              "?\n a\n", "?\n  a\n: 1\nb: 2\n",
              // a plain value written quoted (sexagesimal-looking, so forced) before blank lines with tabs,
              // which libyaml reads only as a plain scalar's continuation
              "a: 22222:22\n  \t\nb: 1\n", "a: 22222:22 \t\n \t\n\n  \t \nb: 1\n", "a: 22222:22\n  \t",
              "a: 22222:22\r\n \t\r\nb: 1\r\n",
              // a key with `:?` copied into a flow mapping for an alias: libyaml refuses `:` before `?` in flow
              "anchor: &a\n  k:?: v\nalias: *a\n", "anchor: &a\n  - k:?\nalias: *a\n",
              // a comment after an alias on its line: after the flow copy it would have belonged to the copy,
              // and stayed encrypted when decrypted (its AAD is the path of the alias's collection)
              "base: &a\n  x: 0\nalias: *a  # note\nafter: 1\n",
              "base: &a\n  x: 0\nlist:\n  - k: *a # in map\n  - - j: *a # deeper\ndev:\n  <<: *a  # merge\n  y: 2\n",
          ])
    func yamlLongRunFindingsDecember2(plain: String) throws {
        let encrypted = try Self.expectEncryptDecrypt(plain)
        // The file ksecret wrote is YAML libyaml reads (what sops reads too: SopsInteropTests).
        #expect(throws: Never.self) { try YAMLStore().parse(encrypted, path: "e.yaml") }
        // Every comment decrypts, wherever it stands (a comment left as ENC[...] decrypted silently).
        let printed = String(decoding: try Self.engine().open(encrypted, path: "f.yaml", format: .yaml).plaintext(format: .yaml), as: UTF8.self)
        #expect(!printed.contains("ENC["), "\(printed)")
        for comment in ["# note", "# in map", "# deeper", "# merge"] where plain.contains(comment) {
            #expect(printed.contains(comment))
        }
    }

    @Test("a comment between an anchor or tag and its block collection's first key is encrypted, not left in clear text (2 December 2026 long run)",
          arguments: [
              "base: &a\n  # note\n  x: 0\n", "base: &a\n  # note\n  x: 0\nalias: *a\n", "base: !custom\n  # note\n  x: 0\n",
              "list: &l\n  # note\n  - a\ncopy: *l\n", "base: &a # note\n  x: 0\n", "&root\n# note\nx: 0\n",
              // an anchor whose values stay in clear but whose comment is encrypted: its alias is written
              // as a copy (kept, a reader's copy would hold the comment under the alias's path)
              "base: &a\n  # note\n  x_unencrypted: 0\nalias: *a\n",
          ])
    func commentAfterProperty(plain: String) throws {
        let encrypted = try Self.encrypt(plain)
        let text = String(decoding: encrypted, as: UTF8.self)
        #expect(!text.contains("note"), "\(text)")
        let opened = try Self.engine().open(encrypted, path: "f.yaml", format: .yaml)
        let printed = String(decoding: try opened.plaintext(format: .yaml), as: UTF8.self)
        #expect(printed.contains("# note") && !printed.contains("ENC["), "\(printed)")
        // No copy in the tree keeps an encrypted comment either (what `decrypt --extract` prints).
        #expect(!"\(opened.document)".contains("ENC["))
    }

    @Test("comments after a flow sequence at the root stand before its metadata document and decrypt back in place (2 December 2026 long run: they stayed encrypted)",
          arguments: ["[a]\n# c1\n", "[a]\n  # c1\n# c2\n", "x: 1\n---\n[a]\n  # c1\n", "[a] # same line\n# next\n", "---\n[a, b]\n# one\n...\n"])
    func commentsAfterFlowRoot(plain: String) throws {
        let encrypted = try Self.encrypt(plain)
        let text = String(decoding: encrypted, as: UTF8.self)
        // The comments come before the metadata document, not inside it.
        let sops = try #require(text.range(of: "sops:", options: .backwards))
        #expect(!text[sops.lowerBound...].contains("#ENC["), "\(text)")
        let printed = try Self.engine().open(encrypted, path: "f.yaml", format: .yaml).plaintext(format: .yaml)
        #expect(String(decoding: printed, as: UTF8.self) == plain)
    }

    /// A file's comments as go-ini reads them, joined and without blanks or markers (INI comments
    /// are joined and re-marked when written; their text is what must survive).
    static func iniCommentText(_ bytes: [UInt8]) throws -> String {
        var out = ""
        guard case .mapping(let sections)? = try INIStore().parse(bytes, path: "f.ini").document.branches.first else { return "" }
        for case .pair(_, .mapping(let entries)) in sections {
            for case .comment(let c) in entries { out += c.text }
        }
        return String(out.unicodeScalars.filter { !$0.properties.isWhitespace && $0 != ";" && $0 != "#" }.map(Character.init))
    }

    @Test("FuzzEncryptDecrypt: INI inline comments after a value that is written quoted decrypt back (2 December 2026 long run: 152 of 156 inputs left a comment encrypted or dropped)",
          arguments: [
              // a value in `"` with an inline comment: written in backquotes, after which go-ini drops the rest of the line
              "[s]\nj = \"x\" ; two\n",
              // a value that needs quotes when decrypted, with an inline comment
              "[s]\nk = \"abc ; note\nsemi = \"a;b\" # three\n",
              // a backquoted value over two lines, its comment after the closing quote: one line once encrypted
              "[s]\nv = `one\n  two` ; after\nw = 1\n",
          ])
    func iniInlineComments(plain: String) throws {
        let encrypted = try Self.encryptINI(Array(plain.utf8))
        let decrypted = try Self.engine().open(encrypted, path: "f.ini", format: .ini).plaintext(format: .ini)
        #expect(!String(decoding: decrypted, as: UTF8.self).contains("ENC["), "\(String(decoding: decrypted, as: UTF8.self))")
        #expect(try Self.iniCommentText(decrypted) == Self.iniCommentText(Array(plain.utf8)))
        // The values are go-ini's, whatever the quoting.
        let original = try INIStore().parse(Array(plain.utf8), path: "f.ini").document
        #expect(Self.values(try INIStore().parse(decrypted, path: "f.ini").document) == Self.values(original))
    }

    @Test("FuzzEncryptDecrypt (a 5-minute run of 2 December 2026, after the explicit-key fix above): a '?' ending a comment or a value before the first key is no explicit key",
          arguments: [
              // the sops block went to the column of the `?` in the comment
              "# why?\nkey: 1\n", "a: 1\n---\n# what?\nkey: 1\n", "x: |\n  text?\nkey: 1\n",
          ])
    func questionMarkBeforeFirstKey(plain: String) throws {
        let encrypted = try Self.expectEncryptDecrypt(plain)
        let text = String(decoding: encrypted, as: UTF8.self)
        // The block stands at column 0, and its values are metadata, not data.
        #expect(text.contains("\nsops:\n"), "\(text)")
        let opened = try Self.engine().open(encrypted, path: "f.yaml", format: .yaml)
        #expect(!"\(opened.document)".contains("recipient"))
    }

    @Test("a sops block written anew at the end of an indented file without a final line break stays at the root's column (found while recording the FuzzYAMLStore findings: rotate made such a file unreadable)",
          arguments: ["  a: 1\n  b: 2", "  a: 1\r\n  b: 2", "    a: 1", "a: 1"])
    func rotatedBlockAtUnterminatedEnd(plain: String) throws {
        let encrypted = try Self.encrypt(plain)
        let opened = try Self.engine().open(encrypted, path: "f.yaml", format: .yaml, forRewrite: true)
        let rotated = try Self.engine().rotate(opened)
        let reopened = try Self.engine().open(rotated, path: "f.yaml", format: .yaml)
        #expect(try reopened.plaintext(format: .yaml) == Array(plain.utf8))
    }

    @Test("a plain value written quoted loses only the tabs of the blank lines after it; decrypting gives back the rest byte for byte")
    func blankLineTabsRoundTrip() throws {
        let plain = "a: 22222:22\n  \t\nb: 1\n"
        let encrypted = try Self.expectEncryptDecrypt(plain)
        #expect(!encrypted.contains(0x09))
        let opened = try Self.engine().open(encrypted, path: "f.yaml", format: .yaml)
        #expect(String(decoding: try opened.plaintext(format: .yaml), as: UTF8.self) == "a: 22222:22\n  \nb: 1\n")
    }

    @Test("YAML typing: a day past its month's end or a 60th second is a string, as Go's time.Parse (and sops) read it")
    func invalidDatesAreStrings() throws {
        #expect(YAMLScalarResolver.parseTimestamp("1999-02-31") == nil)
        #expect(YAMLScalarResolver.parseTimestamp("2023-02-29") == nil)
        #expect(YAMLScalarResolver.parseTimestamp("2024-02-29") == "2024-02-29T00:00:00Z")
        #expect(YAMLScalarResolver.parseTimestamp("2024-01-02T03:04:60Z") == nil)
        #expect(YAMLScalarResolver.parseTimestamp("2024-01-02T03:04:59Z") == "2024-01-02T03:04:59Z")
    }

    /// The texts sops 3.11 decrypts these to (its `MarshalText` of what Go's time.Parse read), or nil
    /// where sops types the value `str` (2 December 2026 long run: `2024-02-02T03:04:0-52` was a
    /// `time` that did not decrypt). `SopsInteropTests` checks the types against the real sops.
    @Test("YAML typing: timestamps as Go's time.Parse reads yaml.v3's four layouts", arguments: [
        ("2024-02-02T03:04:0-52", nil), ("2024-01-02T03:04:0-5", nil), ("2024-01-02T03:04:0", nil),
        ("2024-01-02\t03:04:05", nil), ("2024-01-02 03:04:05Z", nil), ("2024-01-02T03:04:05+0530", nil),
        ("2024-01-02T03:04:05 +05:30", nil), ("2024-01-02T03:04:05+1:00", nil), ("2024-01-02T03:04:05.Z", nil),
        ("2024-01-02T03:04:05+24:00", nil),
        ("2024-01-02  03:04:05", "2024-01-02T03:04:05Z"), ("2024-01-02T03:04:05,5Z", "2024-01-02T03:04:05.5Z"),
        ("2024-01-02T03:04:05+05:60", "2024-01-02T03:04:05+06:00"), ("2024-01-02T03:04:05-00:00", "2024-01-02T03:04:05Z"),
        ("2024-01-02T03:04:05.1234567891Z", "2024-01-02T03:04:05.123456789Z"), ("2024-01-02T03:04:05.120Z", "2024-01-02T03:04:05.12Z"),
        ("2024-1-2", "2024-01-02T00:00:00Z"), ("2024-01-02 3:4:5", "2024-01-02T03:04:05Z"),
    ] as [(String, String?)])
    func goTimestampLayouts(text: String, sops: String?) {
        #expect(YAMLScalarResolver.parseTimestamp(text) == sops)
    }

    @Test("FuzzEncryptDecrypt: an INI section name with a tab is refused when read, at its line (was an encrypted file whose decryption could not be printed)")
    func iniSectionNameWithTab() throws {
        let error = try #require(throws: KSecretError.self) { try INIStore().parse(Array("[a]\nk = 1\n[ap \t\"up]\nx = 2\n".utf8), path: "f.ini") }
        #expect(error.message.contains("section name"))
        #expect(error.location?.line == 3)
    }

    // MARK: the FuzzYAMLStore inputs of 1 December left open (Fuzz/Findings, Documentation/Robustness.md)

    @Test("FuzzYAMLStore: a single quote followed by a combining mark is doubled in a single-quoted scalar (was a scalar cut at that quote: 'cannot read what it wrote')",
          arguments: ["a'\u{0651}b", "x'''\u{0651}''']' after: 'y]", "'\u{0301}", "it'\u{200D}s"])
    func singleQuoteBeforeCombiningMark(value: String) throws {
        let quotes = { (s: String) in s.utf8.filter { $0 == UInt8(ascii: "'") }.count }
        #expect(quotes(YAMLScalarRenderer.singleQuoted(value)) == 2 + 2 * quotes(value))
        // Through the canonical writer (which picks single quotes for these) and the patcher, from a
        // folded block as in the finding.
        let tree = Document(branches: [.mapping([.pair(key: "k", value: .scalar(Scalar(.string(value))))])])
        let written = try YAMLStore().emit(tree, metadata: nil, source: nil, options: StoreOptions())
        let again = try YAMLStore().parse(written, path: "f.yaml")
        #expect(Self.values(again.document) == ["k", "string(\(String(reflecting: value)))"], "written as \(String(decoding: written, as: UTF8.self))")
        try Self.expectYAMLRoundTrip("k: >-\n  \(value)\nl: 1\n")
    }

    @Test("FuzzYAMLStore: a new block scalar that needs an indentation indicator in a file indented by 10 or more is written at 9 columns (was read back with the extra columns in the value)",
          arguments: [10, 12, 16])
    func indentationIndicatorBeyondNine(unit: Int) throws {
        let values = ["\n\nfirst\n second", " leading space\nnext\n", "\tx\ny"]
        let tree = Document(branches: [.mapping([
            .pair(key: "top", value: .scalar(Scalar(.string(values[0])))),
            .pair(key: "nested", value: .mapping(values.enumerated().map { .pair(key: "k\($0.offset)", value: .scalar(Scalar(.string($0.element)))) })),
            .pair(key: "list", value: .sequence(values.map { .scalar(Scalar(.string($0))) })),
        ])])
        let written = try YAMLStore().emit(tree, metadata: nil, source: nil, options: StoreOptions(yamlIndent: unit))
        let again = try YAMLStore().parse(written, path: "f.yaml")
        #expect(Self.values(again.document) == Self.values(tree), "written as \(String(decoding: written, as: UTF8.self))")
    }

    @Test("FuzzYAMLStore: a sops block value that needs an indentation indicator in a file indented by 10 keeps its value (the finding, reduced)")
    func metadataBlockIndicatorBeyondNine() throws {
        try Self.expectYAMLRoundTrip("a:\n          b: 1\nsops: >-\n \n\n C[x\n  y\n")
    }

    @Test("flat stores: a metadata line break followed by a combining mark reads back as a line break (was left as `\\n` on reading)")
    func flatMetadataBreakBeforeCombiningMark() throws {
        let note = "a\n\u{0301}b\n\u{0651}"
        let metadata = Node.mapping([.pair(key: "note", value: .scalar(Scalar(.string(note)))),
                                     .pair(key: "version", value: .scalar(Scalar(.string("3.11.0"))))])
        for store in [DotenvStore() as any Store, INIStore()] {
            let leaf = Node.mapping([.pair(key: "k", value: .scalar(Scalar(.string("v"))))])
            let document = Document(branches: [store is INIStore ? .mapping([.pair(key: "s", value: leaf)]) : leaf])
            let written = try store.emit(document, metadata: metadata, source: nil, options: StoreOptions())
            let again = try store.parse(written, path: "f")
            #expect(again.metadata?["note"]?.stringValue == note, "written as \(String(decoding: written, as: UTF8.self))")
        }
    }

    @Test("error snippets mask the value after a `:`, `=` or `- ` followed by a combining mark (was printed in clear), and after a `:` with no space",
          arguments: ["key: \u{0301}hunter2", "key=\u{0301}hunter2", "- \u{0301}hunter2", "key:\u{0301} hunter2"])
    func snippetMaskWithCombiningMark(line: String) throws {
        let snippet = try #require(SourceLocation.snippet(in: Array((line + "\n").utf8), line: 1, column: 1))
        #expect(!snippet.contains("hunter2"), "\(snippet)")
        #expect(snippet.hasPrefix("key") == line.hasPrefix("key"), "\(snippet)")
    }

    @Test("key paths escape a quote or backslash followed by a combining mark")
    func treePathEscapesBeforeCombiningMark() {
        #expect(TreePath.render(["a\"\u{0301}", "b\\\u{0301}"]) == "[\"a\\\"\u{0301}\"][\"b\\\\\u{0301}\"]")
    }

    // MARK: the FuzzYAMLStore run of 2 December (26 minutes, Documentation/Robustness.md)

    @Test("FuzzYAMLStore: a `#` straight after a flow indicator or a quoted value is a comment, as libyaml reads it, and is encrypted (was left in clear text)",
          arguments: ["a: [x]#note\nb: 1\n", "c: {z: 1}#note\n", "d: \"q\"#note\n", "e: [p,#note\n  q]\n", "f: [#note\n  x]\n", "g: 'q'#note\nh: 2\n"])
    func commentAfterFlowIndicator(plain: String) throws {
        let parsed = try YAMLStore().parse(Array(plain.utf8), path: "f.yaml")
        #expect("\(parsed.document)".contains("text: \"note\""), "\(parsed.document)")
        let encrypted = try Self.expectEncryptDecrypt(plain)
        let text = String(decoding: encrypted, as: UTF8.self)
        #expect(!text.contains("note"), "\(text)")
        let printed = try Self.engine().open(encrypted, path: "f.yaml", format: .yaml).plaintext(format: .yaml)
        #expect(String(decoding: printed, as: UTF8.self) == plain)
    }

    @Test("FuzzYAMLStore: a flow sequence at the root whose `]` opens its last line gets its metadata document after that line (was inserted before the `]`: invalid YAML)",
          arguments: ["[x, #c\n]\n", "[a,\n]#tail\n", "[\n  a\n]\n", "x: 1\n---\n[y\n]\n"])
    func flowRootClosedOnItsOwnLine(plain: String) throws {
        try Self.expectYAMLRoundTrip(plain)
        let encrypted = try Self.encrypt(plain)
        let printed = try Self.engine().open(encrypted, path: "f.yaml", format: .yaml).plaintext(format: .yaml)
        #expect(String(decoding: printed, as: UTF8.self) == plain)
    }

    @Test("FuzzYAMLStore: an alias written out as a flow copy keeps an integral float a float (was `0e-06` copied as `0`, an int)")
    func flowCopyKeepsFloats() throws {
        // (The canonical writer spells them as sops does, `2`; the patched file keeps the anchor's
        // text and so should the copy.)
        let enc = "ENC[AES256_GCM,data:IPBHbw==,iv:yMdnH/074mfmFM+Jjw3lBkgj1vhNBInlsvdckNWRd+o=,tag:pPwRtMAhfTA6TOeXe0r6cA==,type:float]"
        let text = "base: &b\n  f: 0e-06\n  g: 2.0\n  h: -0.0\n  l: [1.0, 3]\n  s: \(enc)\ncopy: *b\nlist:\n  - *b\n"
        let parsed = try YAMLStore().parse(Array(text.utf8), path: "f.yaml")
        let written = try YAMLStore().emit(parsed.document, metadata: nil, source: parsed, options: StoreOptions())
        let shown = String(decoding: written, as: UTF8.self)
        #expect(shown.contains("copy: {"), "\(shown)")
        let again = try YAMLStore().parse(written, path: "f.yaml")
        #expect(Self.values(again.document) == Self.values(parsed.document), "written as \(shown)")
    }

    @Test("FuzzYAMLStore: a key past libyaml's simple-key limit in a flow copy is written as an explicit key (was an unreadable flow mapping)",
          arguments: [130, 400])
    func flowCopyLongKey(pairs: Int) throws {
        // A key with tabs is written double-quoted, each tab as `\t`: 2 + 3 × 400 characters in the
        // copy from 1 + 2 × 400 in the file, past libyaml's limit of 1,024.
        let enc = "ENC[AES256_GCM,data:IPBHbw==,iv:yMdnH/074mfmFM+Jjw3lBkgj1vhNBInlsvdckNWRd+o=,tag:pPwRtMAhfTA6TOeXe0r6cA==,type:str]"
        let key = "k" + String(repeating: "\tk", count: pairs)
        let text = "base: &b\n  \(key): 1\n  s: \(enc)\ncopy: *b\n"
        let parsed = try YAMLStore().parse(Array(text.utf8), path: "f.yaml")
        let written = try YAMLStore().emit(parsed.document, metadata: nil, source: parsed, options: StoreOptions())
        let shown = String(decoding: written, as: UTF8.self)
        #expect(shown.contains("copy: {"), "\(shown)")
        let again = try #require(try? YAMLStore().parse(written, path: "f.yaml"), "written as \(shown)")
        #expect(Self.values(again.document) == Self.values(parsed.document), "written as \(shown)")
    }

    @Test("FuzzYAMLStore: blank lines and indented comments after a sops block that is rewritten as ending in a block scalar are not read into it (was metadata that changed)",
          arguments: [
              "a: 1\nsops:\n    x: one\n\n        two\n    # note\n",            // a comment under the new `|-` block
              "a: 1\nsops:\n  enc: |\n    text\n     ",                         // spaces deeper than the block, no final break
              "a: 1\nsops:\n    k: |+\n        kept\n\n\n",                     // blank lines under `|+`
              "a: 1\r\nsops:\r\n    x: \"\\n\\n\"",                                // CRLF, a value of line breaks, no final break
              "a: 1\nsops:\n    x: \"a\\n\\n\"",                                  // `|+` at the end of the file
              "a: 1\nsops:\n    x: \"a\\n\"\n# at the root: stays\n",
              "  a: 1\n  sops:\n      x: \"a\\n\"\n  # at the root: stays\n      # in the block\n",
              // a 20-minute run later (`yaml-sops-block-keep-blank-lines-before-key`): blank lines
              // between the block and a key after it, under a new `|+`
              "sops: \"\n\n\"\n\n-:", "a: 1\nsops:\n    k: |+\n        kept\n\n\nb: 2\n",
          ])
    func sopsBlockEndingInBlockScalar(text: String) throws {
        try Self.expectYAMLRoundTrip(text)
        // A root-level comment after the block is still the file's.
        if text.contains("# at the root") {
            let parsed = try YAMLStore().parse(Array(text.utf8), path: "f.yaml")
            #expect("\(parsed.document)".contains("at the root: stays"))
        }
    }

    @Test("a comment on a block scalar's header line (`key: | # note`, `|#note`) is encrypted, as sops encrypts it (found while checking libyaml's comment rule: it was left in clear text)",
          arguments: ["a: |#note\n  text\nb: 1\n", "a: >-  # note\n  more\n", "l:\n  - |2- # note\n     x\n", "a: &x | # note\n  t\nb: 2\n",
                      "x:\n    y: |+ #note\n        kept\n\n"])
    func blockScalarHeaderComment(plain: String) throws {
        let parsed = try YAMLStore().parse(Array(plain.utf8), path: "f.yaml")
        #expect("\(parsed.document)".contains("note\""), "\(parsed.document)")
        let encrypted = try Self.expectEncryptDecrypt(plain)
        let text = String(decoding: encrypted, as: UTF8.self)
        #expect(!text.contains("note"), "\(text)")
        let printed = try Self.engine().open(encrypted, path: "f.yaml", format: .yaml).plaintext(format: .yaml)
        #expect(String(decoding: printed, as: UTF8.self) == plain)
    }

    @Test("a block scalar whose new value cannot be a block keeps the comment of its header line")
    func blockScalarRewrittenQuotedKeepsHeaderComment() throws {
        let parsed = try YAMLStore().parse(Array("a: |#note\n  text\nb: 1\n".utf8), path: "f.yaml")
        guard case .mapping(var entries) = parsed.document.branches[0] else { Issue.record("not a mapping"); return }
        let at = try #require(entries.firstIndex { if case .pair("a", _) = $0 { true } else { false } })
        guard case .pair(_, .scalar(let old)) = entries[at] else { Issue.record("no scalar"); return }
        // A control character: no block scalar can carry it (libyaml would refuse it there).
        entries[at] = .pair(key: "a", value: .scalar(Scalar(.string("bell\u{07}"), origin: old.origin)))
        let document = Document(branches: [.mapping(entries)])
        let written = try YAMLStore().emit(document, metadata: nil, source: parsed, options: StoreOptions())
        let shown = String(decoding: written, as: UTF8.self)
        #expect(shown == "a: \"bell\\a\"#note\nb: 1\n", "\(shown)")
        let again = try YAMLStore().parse(written, path: "f.yaml")
        #expect(Self.values(again.document) == Self.values(document))
        #expect("\(again.document)".contains("note\""))
    }

    @Test("comments on and between a document's directive lines are encrypted (sops encrypts those between, and drops the directives; they were left in clear text)",
          arguments: ["%YAML 1.1 # note\n---\na: 1\n", "# one\n%YAML 1.1\n# note\n---\na: 1\n", "a: 1\n...\n%YAML 1.1 # note\n--- # two\nb: 2\n"])
    func directiveLineComments(plain: String) throws {
        let encrypted = try Self.expectEncryptDecrypt(plain)
        let text = String(decoding: encrypted, as: UTF8.self)
        #expect(!text.contains("note") && text.contains("%YAML 1.1"), "\(text)")
        let printed = try Self.engine().open(encrypted, path: "f.yaml", format: .yaml).plaintext(format: .yaml)
        #expect(String(decoding: printed, as: UTF8.self) == plain)
    }

    @Test("FuzzYAMLStore (20-minute run of 2 December; `yaml-alias-copy-empty-first-value`): an alias whose anchored collection starts with an empty one is written as a whole copy (was overwritten by its first leaf)",
          arguments: ["s: &d\n q: {}\n s: ENC[AES256_GCM,d\nl: [*d]\n", "s: &d\n - []\n - ENC[AES256_GCM,x\nm:\n  <<: {k: *d}\n"])
    func aliasCopyWithEmptyFirstValue(text: String) throws {
        try Self.expectYAMLRoundTrip(text)
    }

    @Test("an alias in clear text to an anchor whose first value is an empty collection decrypts to the anchor's values (the same defect through encrypt)",
          arguments: ["base: &b\n  empty: {}\n  pw: secret\ncopy_unencrypted: *b\n", "base: &b\n  - []\n  - secret\nlist_unencrypted:\n  - *b\n"])
    func encryptedAliasWithEmptyFirstValue(plain: String) throws {
        try Self.expectEncryptDecrypt(plain)
    }

    @Test("a file without a final line break decrypts to itself byte for byte, a top-level sequence too (its metadata document left a line break behind)",
          arguments: ["- a\n- b", "- a\r\n- b", "[a, b]", "- a\n# c", "- a\n...", "---\n- x", "a: 1", "- a\n- b\n"])
    func unterminatedFileRoundTrip(plain: String) throws {
        let encrypted = try Self.expectEncryptDecrypt(plain)
        let printed = try Self.engine().open(encrypted, path: "f.yaml", format: .yaml).plaintext(format: .yaml)
        #expect(String(decoding: printed, as: UTF8.self) == plain)
    }

    @Test("FuzzEncryptDecrypt (10-minute run of 2 December, session 7; `encrypt-decrypt-yaml-explicit-key-after-comment-lines`): a first key on a line after its `?`, with comment lines or a comment in between, puts the sops block at the `?`'s column (it went to the key's, inside the key: the file could not be read)",
          arguments: ["?\n#[##\n#app]#\n 3cr s =", "?\n# c\n a\n", "? # c\n a\n: v\n", "?\n\n  # c\n\n a\n: v\n", "- ?\n  # c\n   a\n", "  ?\n  # c\n   a\n  : v\n"])
    func explicitKeyAfterCommentLines(plain: String) throws {
        let encrypted = try Self.expectEncryptDecrypt(plain)
        let printed = try Self.engine().open(encrypted, path: "f.yaml", format: .yaml).plaintext(format: .yaml)
        #expect(String(decoding: printed, as: UTF8.self) == plain)
    }

    @Test("FuzzEncryptDecrypt (7-minute run of 2 December, session 7; `encrypt-decrypt-yaml-property-indentless-sequence-comment`): a comment after an item of a block sequence whose tag or anchor stands on the key's line decrypts (it belonged to the mapping or the sequence depending on the value's length, so it came back as ENC[...])",
          arguments: ["seq: !\n- p # c", "seq: &a\n- p # c\n- q\nnext: 1\n", "seq: !t\n- p # c\n", "top:\n  seq: &a\n  - p # c\n  other: 2\n", "seq: &a\n- k: v # c\n"])
    func propertyIndentlessSequenceComment(plain: String) throws {
        let encrypted = try Self.expectEncryptDecrypt(plain)
        let printed = String(decoding: try Self.engine().open(encrypted, path: "f.yaml", format: .yaml).plaintext(format: .yaml), as: UTF8.self)
        #expect(!printed.contains("ENC["), "\(printed)")
        #expect(printed == plain)
    }

    @Test("the indentation step of a file is read from its keys and dashes, not from a tag or anchor that starts a collection (a file written anew was indented by the anchor's column)",
          arguments: [("seq: &a\n- p # c\n- q\nnext: 1\n", nil as Int?), ("m: &a\n  k: v\n", 2), ("m: !t\n   k: v\n", 3), ("m:\n  n: &b\n    k: v\n", 2)])
    func indentUnitIgnoresProperties(plain: String, unit: Int?) throws {
        let (_, layout, _) = try YAMLParser(source: Array(plain.utf8), path: "f.yaml").parse()
        #expect(layout.observedIndentUnit == unit)
    }
}
