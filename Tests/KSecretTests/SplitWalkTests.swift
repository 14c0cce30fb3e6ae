import Testing
import KSecretCrypto
@testable import KSecret

/// A large document is encrypted and decrypted on two threads (`Envelope.walkBranches`). What
/// comes out must be what one thread gives: the same MAC (the one-thread `Envelope.mac(of:)` is
/// the reference), sops's AAD for every value, the IV stash, and the first error in walk order.
@Suite("Envelope on two threads")
struct SplitWalkTests {
    static let key = [UInt8](repeating: 7, count: 32)
    static let lastModified = "2026-11-25T12:00:00Z"

    /// `maps` mappings of ten leaves of every type, with comments between and inside them.
    static func entries(_ maps: Int) -> [MappingEntry] {
        var entries: [MappingEntry] = [.comment(Comment(" head"))]
        for i in 0..<maps {
            let list: [Node] = [.string("a\(i)"), .comment(Comment(" in list")), .int(3)]
            var item: [MappingEntry] = [.pair(key: "name", value: .string("name-\(i)")), .comment(Comment(" about \(i)"))]
            item.append(.pair(key: "port", value: .int(Int64(i))))
            item.append(.pair(key: "ratio", value: .scalar(Scalar(.float(Double(i) / 4)))))
            item.append(.pair(key: "on", value: .scalar(Scalar(.bool(i % 2 == 0)))))
            item.append(.pair(key: "when", value: .scalar(Scalar(.time("2024-01-02T00:00:00Z")))))
            item.append(.pair(key: "list", value: .sequence(list)))
            item.append(.pair(key: "empty", value: .string("")))
            item.append(.pair(key: "nothing", value: .scalar(Scalar(.null))))
            item.append(.pair(key: "note_unencrypted", value: .string("clear \(i)")))
            entries.append(.pair(key: "item\(i)", value: .mapping(item)))
        }
        return entries
    }

    static let wide = Document(branches: [.mapping(entries(400))])
    /// The bulk under one key, two levels down: the split happens at `config.app`.
    static let deep = Document(branches: [.mapping([.comment(Comment(" top")), .pair(key: "config", value: .mapping([
        .pair(key: "app", value: .mapping(entries(400))),
    ]))])])
    static let sequenceRoot: Document = {
        let items: [Node] = (0..<600).map { i in
            let entries: [MappingEntry] = [.pair(key: "v", value: .string("x\(i)")), .pair(key: "n", value: .int(Int64(i))),
                                           .pair(key: "w", value: .string("y")), .pair(key: "z", value: .string("z"))]
            return .mapping(entries)
        }
        return Document(branches: [.sequence(items)])
    }()

    static let documents: [(String, Document)] = [("wide", wide), ("deep", deep), ("sequence root", sequenceRoot), ("two documents", Document(branches: wide.branches + deep.branches))]

    func metadata(mac: String) -> Metadata {
        Metadata(keyGroups: [KeyGroup(age: [AgeKeyEntry(recipient: "age1x", enc: "e")])], lastModified: Self.lastModified, mac: mac)
    }

    @Test("the test documents are large enough to be split", arguments: [0, 1, 2])
    func splits(index: Int) throws {
        let branch = Self.documents[index].1.branches[0]
        #expect(SplitPoint(branch, threshold: Envelope.splitThreshold) != nil)
        // A small file is not.
        #expect(SplitPoint(.mapping(Self.entries(3)), threshold: Envelope.splitThreshold) == nil)
    }

    @Test("a split encryption has the one-thread MAC and decrypts (split) to the same document", arguments: [0, 1, 2, 3])
    func roundTrip(index: Int) throws {
        let doc = Self.documents[index].1
        let (enc, mac) = try Envelope.encrypt(doc, dataKey: Self.key, selection: .default, macOnlyEncrypted: false, lastModified: Self.lastModified)
        let expected = try Envelope.mac(of: doc, selection: .default, macOnlyEncrypted: false)
        #expect(try Envelope.decryptMAC(mac, dataKey: Self.key, lastModified: Self.lastModified) == expected)
        let (plain, _) = try Envelope.decrypt(enc, dataKey: Self.key, metadata: metadata(mac: mac), ignoreMac: false)
        #expect(plain == doc)
    }

    @Test("values of the second half carry their own key path as AAD")
    func secondHalfAAD() throws {
        let (enc, _) = try Envelope.encrypt(Self.deep, dataKey: Self.key, selection: .default, macOnlyEncrypted: false, lastModified: Self.lastModified)
        let text = try #require(enc.branches[0]["config"]?["app"]?["item399"]?["name"]?.stringValue)
        let value = try EncryptedValue.parse(text)
        let plain = try AESGCM.open(key: Self.key, iv: value.iv, ciphertext: value.data, tag: value.tag, aad: Array("config:app:item399:name:".utf8))
        #expect(plain == Array("name-399".utf8))
        // A list item's AAD is its list's path (no index), as in sops.
        guard case .sequence(let items) = enc.branches[0]["config"]?["app"]?["item399"]?["list"], case .scalar(let s) = items[0],
              case .string(let listText) = s.value else { Issue.record("list shape"); return }
        let listValue = try EncryptedValue.parse(listText)
        #expect(try AESGCM.open(key: Self.key, iv: listValue.iv, ciphertext: listValue.data, tag: listValue.tag,
                                aad: Array("config:app:item399:list:".utf8)) == Array("a399".utf8))
    }

    @Test("a value moved within the second half is refused, and the first error in walk order is the one reported")
    func errorsInOrder() throws {
        let (enc, mac) = try Envelope.encrypt(Self.wide, dataKey: Self.key, selection: .default, macOnlyEncrypted: false, lastModified: Self.lastModified)
        let first = try #require(enc.branches[0]["item1"]?["name"]?.stringValue)
        let last = try #require(enc.branches[0]["item398"]?["name"]?.stringValue)
        let late = enc.setting(.string(last), at: [.key("item399"), .key("name")])
        let lateError = try #require(throws: KSecretError.self) { try Envelope.decrypt(late, dataKey: Self.key, metadata: metadata(mac: mac), ignoreMac: true) }
        #expect(lateError.message == #"could not decrypt value at ["item399"]["name"]"#)
        let both = late.setting(.string(first), at: [.key("item2"), .key("name")])
        let firstError = try #require(throws: KSecretError.self) { try Envelope.decrypt(both, dataKey: Self.key, metadata: metadata(mac: mac), ignoreMac: true) }
        #expect(firstError.message == #"could not decrypt value at ["item2"]["name"]"#)
    }

    @Test("a changed value in the second half breaks the MAC")
    func macCoversSecondHalf() throws {
        let (enc, mac) = try Envelope.encrypt(Self.wide, dataKey: Self.key, selection: .default, macOnlyEncrypted: false, lastModified: Self.lastModified)
        // An unencrypted value is authenticated by the MAC alone.
        let changed = enc.setting(.string("changed"), at: [.key("item399"), .key("note_unencrypted")])
        let error = try #require(throws: KSecretError.self) { try Envelope.decrypt(changed, dataKey: Self.key, metadata: metadata(mac: mac), ignoreMac: false) }
        #expect(error.code == .macMismatch)
    }

    @Test("the IV stash of a split decryption keeps every value's ciphertext on re-encryption")
    func stash() throws {
        let (enc, mac) = try Envelope.encrypt(Self.deep, dataKey: Self.key, selection: .default, macOnlyEncrypted: false, lastModified: Self.lastModified)
        let (plain, stash) = try Envelope.decrypt(enc, dataKey: Self.key, metadata: metadata(mac: mac), ignoreMac: false)
        let (again, _) = try Envelope.encrypt(plain, dataKey: Self.key, selection: .default, macOnlyEncrypted: false, lastModified: Self.lastModified,
                                              stash: stash, random: { _ in Issue.record("no fresh IV expected"); return [UInt8](repeating: 0, count: 32) })
        #expect(again == enc)
    }

    @Test("selections keep their meaning on two threads", arguments: [
        SelectionRule.encryptedRegex("^(name|port)$"), .unencryptedSuffix("_unencrypted"), .encryptedCommentRegex("about"),
    ])
    func selections(rule: SelectionRule) throws {
        for macOnly in [false, true] {
            let (enc, mac) = try Envelope.encrypt(Self.deep, dataKey: Self.key, selection: rule, macOnlyEncrypted: macOnly, lastModified: Self.lastModified)
            let expected = try Envelope.mac(of: Self.deep, selection: rule, macOnlyEncrypted: macOnly)
            #expect(try Envelope.decryptMAC(mac, dataKey: Self.key, lastModified: Self.lastModified) == expected)
            var metadata = metadata(mac: mac)
            metadata.selection = rule
            metadata.macOnlyEncrypted = macOnly
            let (plain, _) = try Envelope.decrypt(enc, dataKey: Self.key, metadata: metadata, ignoreMac: false)
            #expect(plain == Self.deep)
        }
    }
}
