/// The `sops` metadata of an encrypted file (Format.md §4): key groups, `lastmodified`, the
/// encrypted MAC, the selection rule, `mac_only_encrypted` and `version`.
///
/// Read with `Metadata(node:)` from the mapping a store split off, write with `toNode()`, which
/// lays the fields out in sops's order (§4.1) so stores emit byte-compatible metadata.
public struct Metadata: Sendable, Equatable {
    /// 0 when absent; written only when > 0.
    public var shamirThreshold: Int
    public var keyGroups: [KeyGroup]
    /// Canonical RFC 3339 (second precision, `Z` or `±hh:mm`): the MAC's AAD.
    public var lastModified: String
    /// The MAC as stored: `ENC[…,type:str]`, or empty.
    public var mac: String
    /// nil only for a file written without one (binary store); reading fills in the default
    /// `_unencrypted` suffix when the file has none, as sops does.
    public var selection: SelectionRule?
    public var macOnlyEncrypted: Bool
    public var version: String
    /// Fields ksecret does not know, kept in their order and written after `version`.
    public var extraFields: [MappingEntry]

    public static let currentVersion = "3.11.0"

    public init(keyGroups: [KeyGroup], shamirThreshold: Int = 0, lastModified: String, mac: String = "",
                selection: SelectionRule? = .default, macOnlyEncrypted: Bool = false,
                version: String = Metadata.currentVersion, extraFields: [MappingEntry] = []) {
        self.keyGroups = keyGroups
        self.shamirThreshold = shamirThreshold
        self.lastModified = lastModified
        self.mac = mac
        self.selection = selection
        self.macOnlyEncrypted = macOnlyEncrypted
        self.version = version
        self.extraFields = extraFields
    }

    private static let knownKeys: Set<String> = Set([
        "shamir_threshold", "key_groups", "kms", "gcp_kms", "hckms", "azure_kv", "hc_vault", "age",
        "lastmodified", "mac", "pgp", "mac_only_encrypted", "version",
    ] + SelectionRule.metadataKeys)

    /// Reads the `sops` mapping. Lenient about order; exit 2 naming the field when one is missing
    /// or malformed, when there are no keys at all, or when more than one selection rule is set.
    public init(node: Node) throws {
        let r = try MetadataReader(node, at: "sops")

        // Key groups: the flat lists win when any of them is non-empty (§4.3).
        let flat = try KeyGroup(reader: r)
        if !flat.isEmpty {
            keyGroups = [flat]
        } else {
            keyGroups = try r.list("key_groups").enumerated().map { index, group in
                try KeyGroup(reader: MetadataReader(group, at: "sops.key_groups[\(index)]"))
            }
        }
        guard keyGroups.contains(where: { !$0.isEmpty }) else {
            throw MetadataReader.error("no keys found in file", hints: ["the sops metadata lists no master key, so the data key cannot be recovered"])
        }

        if let t = try r.string("shamir_threshold") {
            if let i = Int(t), i >= 0 {
                shamirThreshold = i
            } else if let d = Double(t), d >= 0, d == d.rounded(), d < 256 {
                shamirThreshold = Int(d) // older dotenv/INI files wrote a float
            } else {
                throw MetadataReader.error("sops.shamir_threshold is not a non-negative integer")
            }
        } else {
            shamirThreshold = 0
        }

        guard let lm = try r.string("lastmodified") else { throw MetadataReader.error("sops.lastmodified is missing") }
        guard let canonical = RFC3339.canonicalize(lm) else {
            throw MetadataReader.error("sops.lastmodified is not an RFC 3339 timestamp")
        }
        lastModified = canonical
        mac = try r.string("mac") ?? ""

        var rules: [SelectionRule] = []
        for key in SelectionRule.metadataKeys {
            if let v = try r.string(key), !v.isEmpty, let rule = SelectionRule(metadataKey: key, value: v) { rules.append(rule) }
        }
        guard rules.count <= 1 else {
            throw MetadataReader.error("more than one of \(rules.map(\.metadataKey).joined(separator: ", ")) is set",
                                       hints: ["a file can use only one selection rule"])
        }
        selection = rules.first ?? .default

        if let node = r.node("mac_only_encrypted") {
            switch node {
            case .scalar(let s) where s.value == .bool(true): macOnlyEncrypted = true
            case .scalar(let s) where s.value == .bool(false) || s.value == .null: macOnlyEncrypted = false
            default:
                guard let text = MetadataReader.text(of: node), let b = ValueCodec.parseBool(text) else {
                    throw MetadataReader.error("sops.mac_only_encrypted is not a boolean")
                }
                macOnlyEncrypted = b
            }
        } else {
            macOnlyEncrypted = false
        }

        if let v = r.node("version") {
            guard case .scalar(let s) = v, case .string(let text) = s.value else {
                throw MetadataReader.error("sops.version is not a string",
                                           hints: ["a numeric version marks a file written by sops 1.x, which ksecret does not read"])
            }
            version = text
        } else {
            version = ""
        }

        guard case .mapping(let raw) = node else { throw MetadataReader.error("sops is not a mapping") }
        extraFields = raw.filter { entry in
            if case .pair(let k, _) = entry { return !Metadata.knownKeys.contains(k) }
            return false
        }
    }

    /// The `sops` mapping in sops's field order (§4.1). `nullForEmptyGroupLists` writes empty
    /// `hc_vault`/`age` lists inside `key_groups` as null (sops's JSON) instead of `[]` (YAML).
    public func toNode(nullForEmptyGroupLists: Bool = false) -> Node {
        var out: [MappingEntry] = []
        if shamirThreshold > 0 { out.append(.pair(key: "shamir_threshold", value: .int(Int64(shamirThreshold)))) }
        var flatPGP: [PGPKeyEntry] = []
        if keyGroups.count >= 2 {
            out.append(.pair(key: "key_groups", value: .sequence(keyGroups.map { $0.toGroupNode(nullForEmpty: nullForEmptyGroupLists) })))
        } else if let group = keyGroups.first {
            out.append(contentsOf: group.flatEntriesBeforeMAC())
            flatPGP = group.pgp
        }
        out.append(.pair(key: "lastmodified", value: .string(lastModified)))
        out.append(.pair(key: "mac", value: .string(mac)))
        if !flatPGP.isEmpty { out.append(.pair(key: "pgp", value: .sequence(flatPGP.map { $0.toNode() }))) }
        if let selection { out.append(.pair(key: selection.metadataKey, value: .string(selection.value))) }
        if macOnlyEncrypted { out.append(.pair(key: "mac_only_encrypted", value: .bool(true))) }
        out.append(.pair(key: "version", value: .string(version)))
        out.append(contentsOf: extraFields)
        return .mapping(out)
    }
}
