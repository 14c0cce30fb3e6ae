import KSecretSystem

/// `ksecret offboard`: the safe sequence after someone leaves (README, "Security reviews").
///
/// 1. Their key is removed from the `.sops.yaml` creation rules (`SopsConfigEditor`, layout kept).
/// 2. Every encrypted file under the directory is brought to its rule's keys (`updatekeys`).
/// 3. Every file their key could open also gets a new data key, since they knew the old one.
///
/// Steps 2 and 3 are one atomic write per file (`BulkRekey.Operation.offboard`): a file still naming
/// the key is rotated to its rule's keys, any other file is updated. So a run cut short is finished
/// by running it again: the files done no longer name the key. The values inside a file they could
/// open are known to them too; the report lists their key paths so they can be changed at the source.
public struct Offboarding: Sendable {
    public var recipient: Recipient
    public var bulk: BulkRekey

    public init(recipient: Recipient, bulk: BulkRekey) {
        self.recipient = recipient
        self.bulk = bulk
    }

    public struct Plan: Sendable {
        /// The edited config, when the rules name the key.
        public var configEdit: SopsConfigEditor.Edit?
        /// The config the files are re-keyed by (after the edit).
        public var config: SopsConfig?
        public var targets: [BulkRekey.Target]
        /// Files the key can open: each gets a new data key; with the key paths of their secrets.
        public var rotate: [(file: String, secrets: [[String]])]
        /// Other files whose keys do not match their rule: re-wrapped, same data key.
        public var update: [(file: String, changes: SecretsEngine.KeyChanges)]
    }

    /// What a run would do, from the metadata alone (no key is needed; nothing is written).
    public func plan() throws -> Plan {
        var edit: SopsConfigEditor.Edit?
        var config = bulk.config
        if let current = bulk.config {
            let e = try SopsConfigEditor.removing(recipient, from: try AtomicFile.read(current.path), path: current.path)
            if e.changed {
                edit = e
                config = try SopsConfig.parse(e.bytes, path: current.path)
            }
        }
        let targets = try bulk.targets()
        var plan = Plan(configEdit: edit, config: config, targets: targets, rotate: [], update: [])
        for target in targets {
            guard let encrypted = RepositoryFiles.encrypted(path: target.path, relative: target.file) else { continue }
            if recipient.isNamed(in: SecretsEngine.plan(of: encrypted.metadata)) {
                plan.rotate.append((target.file, BulkRekey.encryptedKeyPaths(encrypted.parsed.document)))
            } else if let rule = config?.rule(for: target.path) {
                let changes = SecretsEngine.changes(from: encrypted.metadata, to: rule.keyPlan)
                if !changes.isEmpty { plan.update.append((target.file, changes)) }
            }
        }
        return plan
    }

    /// Writes the config, then re-keys every file of `plan`.
    public func run(_ plan: Plan, progress: @escaping @Sendable (BulkRekey.Event) -> Void = { _ in }) throws -> [BulkRekey.FileResult] {
        if let edit = plan.configEdit, let path = plan.config?.path {
            try AtomicFile.write(edit.bytes, to: path, mode: 0o644)
        }
        var bulk = self.bulk
        bulk.config = plan.config
        return bulk.run(plan.targets, operation: .offboard(recipient), progress: progress)
    }
}
