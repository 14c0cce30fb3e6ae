import KSecretSystem

/// The order in which the keys of a group are tried (Format.md §5.2): `SOPS_DECRYPTION_ORDER`, a
/// comma-separated list of key kinds (default `age,pgp`). Kinds in the list come first, in its order;
/// the others keep their place after them. Unknown names are ignored and a repeated one is an error
/// (exit 112), as in sops.
struct DecryptionOrder: Sendable, Equatable {
    static let `default` = DecryptionOrder(kinds: ["age", "pgp"])

    var kinds: [String]

    init(kinds: [String]) { self.kinds = kinds }

    init(_ text: String?) throws {
        guard let text else { self = .default; return }
        var kinds: [String] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: true) {
            let kind = part.trimmingWhitespace()
            guard !kind.isEmpty else { continue }
            if kinds.contains(kind) {
                throw KSecretError(.duplicateDecryptionKeyType, "duplicate decryption key type \(kind) in the decryption order (SOPS_DECRYPTION_ORDER or --decryption-order)",
                                   hints: ["name each of age, pgp, kms, gcp_kms, azure_kv, hc_vault at most once"])
            }
            kinds.append(kind)
        }
        self.kinds = kinds
    }

    /// One key of a group, by kind.
    enum Key {
        case age(AgeKeyEntry)
        case pgp(PGPKeyEntry)
        case vault(VaultKeyEntry)
        /// A key ksecret cannot use (cloud KMS): named in reports only.
        case other(kind: String, name: String)

        var kind: String {
            switch self {
            case .age: return "age"
            case .pgp: return "pgp"
            case .vault: return "hc_vault"
            case .other(let kind, _): return kind
            }
        }
    }

    /// The keys of `group` in the order to try them: sops's order within a group (kms, gcp_kms,
    /// hckms, azure_kv, hc_vault, pgp, age), stably sorted by this list.
    func keys(of group: KeyGroup) -> [Key] {
        let natural: [Key] = group.kms.map { _ in .other(kind: "kms", name: "kms") }
            + group.gcpKMS.map { _ in .other(kind: "gcp_kms", name: "gcp_kms") }
            + group.hckms.map { _ in .other(kind: "hckms", name: "hckms") }
            + group.azureKV.map { _ in .other(kind: "azure_kv", name: "azure_kv") }
            + group.hcVault.map { .vault($0) }
            + group.pgp.map { .pgp($0) }
            + group.age.map { .age($0) }
        func rank(_ key: Key) -> Int { kinds.firstIndex(of: key.kind) ?? kinds.count }
        return natural.enumerated().sorted { (rank($0.element), $0.offset) < (rank($1.element), $1.offset) }.map(\.element)
    }
}
