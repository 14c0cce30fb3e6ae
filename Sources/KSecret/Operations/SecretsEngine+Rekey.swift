import KSecretSystem

extension SecretsEngine {
    /// `rotate` for the keys of `plan` instead of the file's own: a new data key wrapped for the
    /// plan, every value re-encrypted, in one write (what `offboard` does to a file the removed key
    /// could open). Keys ksecret cannot wrap for stop it first, as they stop `rotate`.
    public func rekey(_ opened: OpenedFile, to plan: KeyPlan) throws -> [UInt8] {
        try Self.requireWrappable(opened.metadata, path: opened.path)
        // `rotate` wraps the new key for the keys the metadata names: name the plan's (no `enc` yet).
        var metadata = opened.metadata
        metadata.keyGroups = try plan.groups.map { group in
            KeyGroup(pgp: group.pgp.map { PGPKeyEntry(createdAt: "", enc: "", fp: $0) },
                     hcVault: try group.hcVault.map { uri in
                         let key = try VaultTransitKeys.KeyURI(parsing: uri)
                         return VaultKeyEntry(vaultAddress: key.address, enginePath: key.enginePath, keyName: key.keyName, createdAt: "", enc: "")
                     },
                     age: group.age.map { AgeKeyEntry(recipient: $0, enc: "") })
        }
        metadata.shamirThreshold = plan.groups.count > 1 ? (plan.shamirThreshold ?? plan.groups.count) : 0
        let planned = OpenedFile(path: opened.path, format: opened.format, parsed: opened.parsed, metadata: metadata, dataKey: opened.dataKey,
                                 document: opened.document, stash: opened.stash, storeOptions: opened.storeOptions)
        return try rotate(planned)
    }
}
