/// One key group (Format.md §4.3, §5.5): every key in it holds the same data key, or with two or
/// more groups the same Shamir share.
///
/// Keys of kinds ksecret cannot use (AWS/GCP/Huawei KMS, Azure Key Vault) are kept as their
/// metadata nodes, verbatim, so a rewrite preserves them.
public struct KeyGroup: Sendable, Equatable {
    public var pgp: [PGPKeyEntry]
    public var kms: [Node]
    public var gcpKMS: [Node]
    public var hckms: [Node]
    public var azureKV: [Node]
    public var hcVault: [VaultKeyEntry]
    public var age: [AgeKeyEntry]

    public init(pgp: [PGPKeyEntry] = [], kms: [Node] = [], gcpKMS: [Node] = [], hckms: [Node] = [], azureKV: [Node] = [],
                hcVault: [VaultKeyEntry] = [], age: [AgeKeyEntry] = []) {
        self.pgp = pgp
        self.kms = kms
        self.gcpKMS = gcpKMS
        self.hckms = hckms
        self.azureKV = azureKV
        self.hcVault = hcVault
        self.age = age
    }

    public var keyCount: Int { pgp.count + kms.count + gcpKMS.count + hckms.count + azureKV.count + hcVault.count + age.count }
    public var isEmpty: Bool { keyCount == 0 }

    /// Reads the key lists of a mapping (the `sops` mapping itself or one `key_groups` element).
    init(reader: MetadataReader) throws {
        let p = reader.path
        pgp = try reader.list("pgp").enumerated().map { try PGPKeyEntry(node: $1, at: "\(p).pgp[\($0)]") }
        kms = try reader.list("kms")
        gcpKMS = try reader.list("gcp_kms")
        hckms = try reader.list("hckms")
        azureKV = try reader.list("azure_kv")
        hcVault = try reader.list("hc_vault").enumerated().map { try VaultKeyEntry(node: $1, at: "\(p).hc_vault[\($0)]") }
        age = try reader.list("age").enumerated().map { try AgeKeyEntry(node: $1, at: "\(p).age[\($0)]") }
    }

    /// The flat lists of a single-group file, in sops's order, non-empty ones only:
    /// kms, gcp_kms, hckms, azure_kv, hc_vault, age (pgp goes after `mac`, see `Metadata.toNode`).
    func flatEntriesBeforeMAC() -> [MappingEntry] {
        var out: [MappingEntry] = []
        if !kms.isEmpty { out.append(.pair(key: "kms", value: .sequence(kms))) }
        if !gcpKMS.isEmpty { out.append(.pair(key: "gcp_kms", value: .sequence(gcpKMS))) }
        if !hckms.isEmpty { out.append(.pair(key: "hckms", value: .sequence(hckms))) }
        if !azureKV.isEmpty { out.append(.pair(key: "azure_kv", value: .sequence(azureKV))) }
        if !hcVault.isEmpty { out.append(.pair(key: "hc_vault", value: .sequence(hcVault.map { $0.toNode() }))) }
        if !age.isEmpty { out.append(.pair(key: "age", value: .sequence(age.map { $0.toNode() }))) }
        return out
    }

    /// One `key_groups` element: pgp, kms, gcp_kms, hckms, azure_kv when non-empty, then hc_vault
    /// and age always (an empty sequence, or null when `nullForEmpty`, as sops's JSON writes them).
    public func toGroupNode(nullForEmpty: Bool = false) -> Node {
        var out: [MappingEntry] = []
        if !pgp.isEmpty { out.append(.pair(key: "pgp", value: .sequence(pgp.map { $0.toNode() }))) }
        if !kms.isEmpty { out.append(.pair(key: "kms", value: .sequence(kms))) }
        if !gcpKMS.isEmpty { out.append(.pair(key: "gcp_kms", value: .sequence(gcpKMS))) }
        if !hckms.isEmpty { out.append(.pair(key: "hckms", value: .sequence(hckms))) }
        if !azureKV.isEmpty { out.append(.pair(key: "azure_kv", value: .sequence(azureKV))) }
        let empty: Node = nullForEmpty ? .scalar(Scalar(.null)) : .sequence([])
        out.append(.pair(key: "hc_vault", value: hcVault.isEmpty ? empty : .sequence(hcVault.map { $0.toNode() })))
        out.append(.pair(key: "age", value: age.isEmpty ? empty : .sequence(age.map { $0.toNode() })))
        return .mapping(out)
    }
}
