/// One `age` master key in the metadata: the recipient and the armored age file holding the data
/// key (or this group's Shamir share). Field order as sops writes it: `recipient`, `enc`.
public struct AgeKeyEntry: Sendable, Equatable {
    public var recipient: String
    public var enc: String

    public init(recipient: String, enc: String) {
        self.recipient = recipient
        self.enc = enc
    }

    init(node: Node, at path: String) throws {
        let reader = try MetadataReader(node, at: path)
        recipient = try reader.requiredString("recipient")
        enc = try reader.requiredString("enc")
    }

    public func toNode() -> Node {
        .mapping([.pair(key: "recipient", value: .string(recipient)), .pair(key: "enc", value: .string(enc))])
    }
}
