extension CreationRule {
    /// The keys this rule gives a file: its key groups, else one group of its flat lists.
    public var keyPlan: KeyPlan {
        KeyPlan(groups: keyGroups.isEmpty ? [KeyGroupRule(age: age, pgp: pgp, hcVault: hcVaultTransitURIs)] : keyGroups,
                shamirThreshold: shamirThreshold)
    }
}
