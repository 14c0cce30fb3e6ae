/// Which keys to encrypt a new file to: one group per entry, each with any mix of key kinds.
public struct KeyPlan: Sendable, Equatable {
    public var groups: [KeyGroupRule]
    /// With 2+ groups, how many must be opened to recover the data key (default: all).
    public var shamirThreshold: Int?

    public init(groups: [KeyGroupRule], shamirThreshold: Int? = nil) {
        self.groups = groups.filter { !$0.age.isEmpty || !$0.pgp.isEmpty || !$0.hcVault.isEmpty }
        self.shamirThreshold = shamirThreshold
    }

    public var isEmpty: Bool { groups.isEmpty }
}

/// Everything `encrypt` needs beyond the bytes.
public struct EncryptOptions: Sendable {
    public var path: String
    public var inputFormat: FileFormat
    public var outputFormat: FileFormat
    public var keys: KeyPlan
    public var selection: SelectionRule
    public var macOnlyEncrypted: Bool
    public var storeOptions: StoreOptions

    public init(path: String, inputFormat: FileFormat, outputFormat: FileFormat, keys: KeyPlan,
                selection: SelectionRule = .default, macOnlyEncrypted: Bool = false, storeOptions: StoreOptions = StoreOptions()) {
        self.path = path
        self.inputFormat = inputFormat
        self.outputFormat = outputFormat
        self.keys = keys
        self.selection = selection
        self.macOnlyEncrypted = macOnlyEncrypted
        self.storeOptions = storeOptions
    }
}
