import ArgumentParser
import KSecretSystem
import KSecret

struct Groups: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add or delete a key group of a file (Shamir secret sharing), as sops groups does.",
        subcommands: [GroupsAdd.self, GroupsDelete.self])
}

/// The options both group commands share.
struct GroupsFileOptions: ParsableArguments {
    @Option(name: [.customShort("f"), .customLong("file")], help: "The encrypted file.") var file: String
    @Flag(name: [.customShort("i"), .customLong("in-place")], help: "Write the result back to the file (default: standard output).")
    var inPlace = false
    @Option(name: .customLong("shamir-secret-sharing-threshold"),
            help: "How many groups are needed to recover the data key (default: the file's, else all groups).")
    var threshold: Int?
    @OptionGroup var types: TypeOptions

    /// Re-wraps the file's data key for `change(current groups)`: values, lastmodified and MAC stay.
    func apply(_ change: (inout [KeyGroupRule]) throws -> Void) throws {
        let environment = KSecretEnvironment()
        guard FileManager.default.fileExists(atPath: file) else {
            throw KSecretError(.noFileSpecified, "\(file) does not exist")
        }
        let bytes = try AtomicFile.read(file)
        let format = try types.input(for: file)
        let parsed = try format.store.parse(bytes, path: file)
        guard let node = parsed.metadata else {
            throw KSecretError(.generic, "sops metadata not found in \(file)", location: SourceLocation(file: file))
        }
        let metadata = try Metadata(node: node)
        let current = SecretsEngine.plan(of: metadata)
        var groups = current.groups
        try change(&groups)
        let wanted = threshold ?? (metadata.shamirThreshold > 0 ? metadata.shamirThreshold : groups.count)
        if wanted > groups.count {
            throw KSecretError(.generic, "a Shamir threshold of \(wanted) cannot be met with \(groups.count) key group(s)",
                               hints: [groups.count == 1 ? "pass --shamir-secret-sharing-threshold 1 to leave one group that opens the file alone"
                                                         : "pass --shamir-secret-sharing-threshold with a value from 2 to \(groups.count)"])
        }
        let plan = KeyPlan(groups: groups, shamirThreshold: groups.count > 1 ? wanted : nil)
        let engine = SecretsEngine(environment: environment)
        try WriteTarget.write(try engine.updateKeys(bytes, path: file, format: format, plan: plan), inPlace: inPlace, output: nil, file: file)
    }
}

struct GroupsAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Add a key group: the data key is split again over all groups.",
        discussion: HelpText.reflow("""
        Example:
          ksecret groups add -i -f secrets.yaml --age age1... --age age1... --shamir-secret-sharing-threshold 2
        """))

    @OptionGroup var options: GroupsFileOptions
    @Option(name: .customLong("age"), help: "An age recipient of the new group (repeatable, or comma-separated).") var age: [String] = []
    @Option(name: .customLong("pgp"), help: "A PGP fingerprint of the new group (repeatable, or comma-separated).") var pgp: [String] = []
    @Option(name: .customLong("hc-vault-transit"), help: "A Vault transit key URI of the new group (repeatable).") var vault: [String] = []

    func run() throws {
        try Diagnostics.run {
            func split(_ values: [String]) -> [String] {
                values.flatMap { $0.split(separator: ",") }.map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
            }
            let group = KeyGroupRule(age: split(age), pgp: split(pgp).map { $0.replacingBytes(of: " ", with: "") }, hcVault: split(vault))
            guard !group.age.isEmpty || !group.pgp.isEmpty || !group.hcVault.isEmpty else {
                throw KSecretError(.generic, "the new key group has no keys", hints: ["name them with --age, --pgp or --hc-vault-transit"])
            }
            try options.apply { groups in groups.append(group) }
        }
    }
}

struct GroupsDelete: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "delete",
        abstract: "Delete the key group at INDEX (0-based, as sops counts): the data key is split again over the rest.",
        discussion: HelpText.reflow("""
        Example:
          ksecret groups delete -i -f secrets.yaml 2
        """),
        aliases: ["remove"])

    @OptionGroup var options: GroupsFileOptions
    @Argument(help: "The 0-based index of the group to delete.") var index: Int

    func run() throws {
        try Diagnostics.run {
            try options.apply { groups in
                guard groups.indices.contains(index) else {
                    throw KSecretError(.generic, "\(options.file) has \(groups.count) key group(s); there is no group \(index)",
                                       hints: ["groups are counted from 0, in the order of key_groups in the file"])
                }
                guard groups.count > 1 else {
                    throw KSecretError(.generic, "\(options.file) has only one key group; deleting it would leave no key")
                }
                groups.remove(at: index)
            }
        }
    }
}
