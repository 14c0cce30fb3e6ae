/// One `hc_vault` (Vault/OpenBao transit) master key in the metadata. Field order as sops writes
/// it: `vault_address`, `engine_path`, `key_name`, `created_at`, `enc`.
public struct VaultKeyEntry: Sendable, Equatable {
    public var vaultAddress: String
    public var enginePath: String
    public var keyName: String
    /// RFC 3339, canonical (second precision, `Z`).
    public var createdAt: String
    public var enc: String

    public init(vaultAddress: String, enginePath: String, keyName: String, createdAt: String, enc: String) {
        self.vaultAddress = vaultAddress
        self.enginePath = enginePath
        self.keyName = keyName
        self.createdAt = createdAt
        self.enc = enc
    }

    init(node: Node, at path: String) throws {
        let reader = try MetadataReader(node, at: path)
        vaultAddress = try reader.requiredString("vault_address")
        enginePath = try reader.requiredString("engine_path")
        keyName = try reader.requiredString("key_name")
        createdAt = try reader.timestamp("created_at")
        enc = try reader.requiredString("enc")
    }

    public func toNode() -> Node {
        .mapping([
            .pair(key: "vault_address", value: .string(vaultAddress)),
            .pair(key: "engine_path", value: .string(enginePath)),
            .pair(key: "key_name", value: .string(keyName)),
            .pair(key: "created_at", value: .string(createdAt)),
            .pair(key: "enc", value: .string(enc)),
        ])
    }
}
