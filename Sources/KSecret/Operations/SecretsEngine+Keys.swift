import KSecretSystem

/// Changing who can open a file: `rotate` (a new data key) and `updatekeys` (the same data key,
/// re-wrapped for the keys the creation rules now name).
extension SecretsEngine {
    /// The key plan a file's metadata describes (age, PGP and Vault entries by group).
    public static func plan(of metadata: Metadata) -> KeyPlan {
        KeyPlan(groups: metadata.keyGroups.map { KeyGroupRule(age: $0.age.map(\.recipient), pgp: $0.pgp.map(\.fp),
                                                              hcVault: $0.hcVault.map { "\($0.vaultAddress)/v1/\($0.enginePath)/keys/\($0.keyName)" }) },
                shamirThreshold: metadata.shamirThreshold > 0 ? metadata.shamirThreshold : nil)
    }

    /// Keys ksecret cannot wrap for yet stop a rotation before anything is written.
    static func requireWrappable(_ metadata: Metadata, path: String) throws {
        let other = metadata.keyGroups.reduce(0) { $0 + $1.kms.count + $1.gcpKMS.count + $1.hckms.count + $1.azureKV.count }
        if other > 0 {
            throw KSecretError(.noEncryptionKeyFound, "\(path) also has cloud KMS keys, which ksecret cannot wrap a data key for",
                               hints: ["rotate it with sops, or remove those keys with updatekeys first"])
        }
    }

    /// `rotate`: a new data key, every value re-encrypted with its old IV (as sops does), the new key
    /// wrapped for the file's keys with `add` and `remove` applied (added ones go to the first group,
    /// removed ones leave every group). PGP fingerprints compare case-insensitively, spaces ignored.
    public func rotate(_ opened: OpenedFile, addAge: [String] = [], removeAge: [String] = [],
                       addPGP: [String] = [], removePGP: [String] = [],
                       addVault: [String] = [], removeVault: [String] = []) throws -> [UInt8] {
        var plan = Self.plan(of: opened.metadata)
        if plan.groups.isEmpty { plan = KeyPlan(groups: [KeyGroupRule()]) }
        for r in removeAge { for i in plan.groups.indices { plan.groups[i].age.removeAll { $0 == r } } }
        for r in addAge where !plan.groups[0].age.contains(r) { plan.groups[0].age.append(r) }
        for fp in removePGP { for i in plan.groups.indices { plan.groups[i].pgp.removeAll { PGPKeys.same($0, fp) } } }
        for fp in addPGP where !plan.groups[0].pgp.contains(where: { PGPKeys.same($0, fp) }) {
            plan.groups[0].pgp.append(PGPKeys.normalized(fp))
        }
        // Transit URIs compare by what they name (address, engine, key), however they are spelled.
        func same(_ a: String, _ b: String) -> Bool {
            guard let x = try? VaultTransitKeys.KeyURI(parsing: a), let y = try? VaultTransitKeys.KeyURI(parsing: b) else { return a == b }
            return x == y
        }
        for uri in removeVault { for i in plan.groups.indices { plan.groups[i].hcVault.removeAll { same($0, uri) } } }
        for uri in addVault where !plan.groups[0].hcVault.contains(where: { same($0, uri) }) { plan.groups[0].hcVault.append(uri) }
        plan = KeyPlan(groups: plan.groups, shamirThreshold: plan.shamirThreshold)
        guard !plan.isEmpty else {
            throw KSecretError(.noEncryptionKeyFound, "no keys would be left on \(opened.path)", hints: ["add a key with --add-age or --add-pgp"])
        }
        try Self.requireWrappable(opened.metadata, path: opened.path)
        let dataKey = SecretBytes(environment.random(32))
        let lastModified = environment.timestamp()
        var metadata = opened.metadata
        let (encrypted, mac) = try Envelope.encrypt(opened.document, dataKey: dataKey.bytes, selection: metadata.selection ?? .default,
                                                    macOnlyEncrypted: metadata.macOnlyEncrypted, lastModified: lastModified,
                                                    stash: opened.stash, random: environment.random)
        let groups = try MasterKeys.wrap(dataKey.bytes, plan: plan, environment: environment)
        metadata.keyGroups = groups
        metadata.shamirThreshold = groups.count > 1 ? (plan.shamirThreshold ?? groups.count) : 0
        metadata.lastModified = lastModified
        metadata.mac = mac
        if metadata.selection == nil { metadata.selection = .default }
        return try opened.format.store.emit(encrypted, metadata: metadata.toNode(), source: opened.parsed, options: opened.storeOptions)
    }

    /// What `updatekeys` would change: recipients added and removed (by kind), and the threshold.
    public struct KeyChanges: Sendable, Equatable {
        public var added: [String]
        public var removed: [String]
        public var threshold: (from: Int, to: Int)?
        public var isEmpty: Bool { added.isEmpty && removed.isEmpty && threshold == nil }

        public static func == (a: KeyChanges, b: KeyChanges) -> Bool {
            a.added == b.added && a.removed == b.removed && a.threshold?.from == b.threshold?.from && a.threshold?.to == b.threshold?.to
        }
    }

    public static func changes(from metadata: Metadata, to plan: KeyPlan) -> KeyChanges {
        func keys(_ p: KeyPlan) -> [String] {
            p.groups.enumerated().flatMap { i, g in
                (g.age.map { "age \($0)" } + g.pgp.map { "pgp \(PGPKeys.normalized($0).uppercased())" } + g.hcVault.map { "vault \($0)" })
                    .map { "group \(i + 1): \($0)" }
            }
        }
        let current = Self.plan(of: metadata)
        let before = keys(current), after = keys(plan)
        let t0 = metadata.keyGroups.count > 1 ? metadata.shamirThreshold : 0
        let t1 = plan.groups.count > 1 ? (plan.shamirThreshold ?? plan.groups.count) : 0
        return KeyChanges(added: after.filter { !before.contains($0) }, removed: before.filter { !after.contains($0) },
                          threshold: t0 == t1 ? nil : (t0, t1))
    }

    /// `updatekeys`: the same data key wrapped for `plan`; values, `lastmodified` and the MAC stay.
    public func updateKeys(_ bytes: [UInt8], path: String, format: FileFormat, plan: KeyPlan) throws -> [UInt8] {
        let parsed = try format.store.parse(bytes, path: path)
        guard let node = parsed.metadata else {
            throw KSecretError(.generic, "sops metadata not found in \(path)", location: SourceLocation(file: path))
        }
        var metadata = try Metadata(node: node)
        try Self.requireWrappable(metadata, path: path)
        let dataKey = try MasterKeys.unwrap(metadata, path: path, environment: environment)
        let groups = try MasterKeys.wrap(dataKey.bytes, plan: plan, environment: environment)
        metadata.keyGroups = groups
        metadata.shamirThreshold = groups.count > 1 ? (plan.shamirThreshold ?? groups.count) : 0
        return try format.store.emit(parsed.document, metadata: metadata.toNode(), source: parsed, options: StoreOptions())
    }
}
