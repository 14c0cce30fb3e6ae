import Testing
@testable import KSecret

@Suite("sops metadata (Format.md §4)")
struct MetadataTests {
    @Test("reads enc.yaml's metadata and writes it back in sops's field order")
    func singleGroup() throws {
        let (_, node) = FixtureYAML.document(try FixtureYAML.read("enc.yaml"))
        let sops = try #require(node)
        let m = try Metadata(node: sops)
        #expect(m.keyGroups.count == 1)
        #expect(m.keyGroups[0].age.first?.recipient == "age12nkg87vl2khsrrnrnu8gaxdxzs40xm6c3dtm9900f7v6qjxcjs4s4cnxcp")
        #expect(m.keyGroups[0].age.first?.enc.hasPrefix("-----BEGIN AGE ENCRYPTED FILE-----\n") == true)
        #expect(m.lastModified == "2026-11-25T03:42:51Z")
        #expect(m.selection == .unencryptedSuffix("_unencrypted"))
        #expect(m.version == "3.11.0")
        #expect(!m.macOnlyEncrypted)
        #expect(m.toNode() == sops)
    }

    @Test("reads mac_only_encrypted and encrypted_regex and keeps their order")
    func macOnly() throws {
        let (_, node) = FixtureYAML.document(try FixtureYAML.read("enc-mac-only-encrypted.yaml"))
        let sops = try #require(node)
        let m = try Metadata(node: sops)
        #expect(m.macOnlyEncrypted)
        #expect(m.selection == .encryptedRegex("^(password|data)$"))
        #expect(m.toNode() == sops)
    }

    @Test("key groups: three groups with threshold, hc_vault and age always written")
    func keyGroups() throws {
        let (_, node) = FixtureYAML.document(try FixtureYAML.read("keygroups/enc-shamir.yaml"))
        let sops = try #require(node)
        let m = try Metadata(node: sops)
        #expect(m.keyGroups.count == 3)
        #expect(m.shamirThreshold == 2)
        #expect(m.keyGroups.map { $0.age.count } == [1, 1, 1])
        #expect(m.toNode() == sops)
        guard case .mapping(let entries) = m.toNode(nullForEmptyGroupLists: true), case .pair(_, .sequence(let groups)) = entries[1] else {
            Issue.record("layout"); return
        }
        #expect(groups[0]["hc_vault"] == .scalar(Scalar(.null)))
    }

    @Test("flat key lists win over key_groups")
    func flatWins() throws {
        let node = Node.mapping([
            .pair(key: "key_groups", value: .sequence([.mapping([.pair(key: "age", value: .sequence([AgeKeyEntry(recipient: "g", enc: "e").toNode()]))])])),
            .pair(key: "age", value: .sequence([AgeKeyEntry(recipient: "flat", enc: "e").toNode()])),
            .pair(key: "lastmodified", value: .string("2026-01-01T00:00:00Z")),
            .pair(key: "mac", value: .string("")),
            .pair(key: "version", value: .string("3.11.0")),
        ])
        let m = try Metadata(node: node)
        #expect(m.keyGroups == [KeyGroup(age: [AgeKeyEntry(recipient: "flat", enc: "e")])])
    }

    @Test("pgp, vault and opaque kms keys are kept and written in order")
    func otherKeys() throws {
        let kms = Node.mapping([.pair(key: "arn", value: .string("arn:aws:kms:x")), .pair(key: "created_at", value: .string("2026-01-01T00:00:00Z")),
                                .pair(key: "enc", value: .string("blob")), .pair(key: "aws_profile", value: .string(""))])
        let m = Metadata(keyGroups: [KeyGroup(pgp: [PGPKeyEntry(createdAt: "2026-01-01T00:00:00Z", enc: "p", fp: "ABCD")], kms: [kms],
                                              hcVault: [VaultKeyEntry(vaultAddress: "http://v", enginePath: "transit", keyName: "k", createdAt: "2026-01-01T00:00:00Z", enc: "vault:v1:x")])],
                         lastModified: "2026-01-01T00:00:00Z", mac: "m", macOnlyEncrypted: true)
        let node = m.toNode()
        guard case .mapping(let entries) = node else { return }
        #expect(entries.compactMap(\.key) == ["kms", "hc_vault", "lastmodified", "mac", "pgp", "unencrypted_suffix", "mac_only_encrypted", "version"])
        #expect(try Metadata(node: node) == m)
    }

    @Test("missing or invalid fields are named in the error", arguments: [
        ("lastmodified", "sops.lastmodified"), ("age", "no keys found in file"),
    ])
    func missing(field: String, expected: String) throws {
        let (_, node) = FixtureYAML.document(try FixtureYAML.read("enc.yaml"))
        let (without, _) = try #require(node).removing(key: field)
        let error = try #require(throws: KSecretError.self) { try Metadata(node: without) }
        #expect(error.code == .couldNotReadInputFile)
        #expect(error.message.contains(expected))
    }

    @Test("a bad lastmodified, a numeric version and two selection rules are rejected")
    func invalid() throws {
        let base: [MappingEntry] = [.pair(key: "age", value: .sequence([AgeKeyEntry(recipient: "r", enc: "e").toNode()])), .pair(key: "mac", value: .string(""))]
        let badTime = Node.mapping(base + [.pair(key: "lastmodified", value: .string("yesterday")), .pair(key: "version", value: .string("3.11.0"))])
        #expect(throws: KSecretError.self) { try Metadata(node: badTime) }
        let numeric = Node.mapping(base + [.pair(key: "lastmodified", value: .string("2026-01-01T00:00:00Z")), .pair(key: "version", value: .scalar(Scalar(.float(1.0))))])
        #expect(throws: KSecretError.self) { try Metadata(node: numeric) }
        let two = Node.mapping(base + [.pair(key: "lastmodified", value: .string("2026-01-01T00:00:00Z")), .pair(key: "encrypted_regex", value: .string("a")),
                                        .pair(key: "unencrypted_suffix", value: .string("_u")), .pair(key: "version", value: .string("3.11.0"))])
        let error = try #require(throws: KSecretError.self) { try Metadata(node: two) }
        #expect(error.message.contains("more than one"))
    }

    @Test("lastmodified is canonicalised; a file without a selection key gets the default suffix")
    func canonical() throws {
        let node = Node.mapping([.pair(key: "age", value: .sequence([AgeKeyEntry(recipient: "r", enc: "e").toNode()])),
                                 .pair(key: "lastmodified", value: .string("2026-01-01T00:00:00.5+00:00")), .pair(key: "mac", value: .string("")),
                                 .pair(key: "version", value: .string("3.11.0")), .pair(key: "future_field", value: .string("kept"))])
        let m = try Metadata(node: node)
        #expect(m.lastModified == "2026-01-01T00:00:00Z")
        #expect(m.selection == .default)
        #expect(m.extraFields == [.pair(key: "future_field", value: .string("kept"))])
    }
}
