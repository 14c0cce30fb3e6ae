/// One `pgp` master key in the metadata. Field order as sops writes it: `created_at`, `enc`, `fp`.
public struct PGPKeyEntry: Sendable, Equatable {
    /// RFC 3339, canonical (second precision, `Z`).
    public var createdAt: String
    public var enc: String
    public var fp: String

    public init(createdAt: String, enc: String, fp: String) {
        self.createdAt = createdAt
        self.enc = enc
        self.fp = fp
    }

    init(node: Node, at path: String) throws {
        let reader = try MetadataReader(node, at: path)
        createdAt = try reader.timestamp("created_at")
        enc = try reader.requiredString("enc")
        fp = try reader.requiredString("fp")
    }

    public func toNode() -> Node {
        .mapping([
            .pair(key: "created_at", value: .string(createdAt)),
            .pair(key: "enc", value: .string(enc)),
            .pair(key: "fp", value: .string(fp)),
        ])
    }
}
