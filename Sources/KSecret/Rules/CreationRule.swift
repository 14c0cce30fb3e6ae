import KSecretSystem

/// One entry of `.sops.yaml`'s `creation_rules` (Format.md §7): which files it matches and which
/// keys and selection it gives them.
public struct CreationRule: Sendable, Equatable {
    public var pathRegex: String?
    public var age: [String] = []
    public var pgp: [String] = []
    public var hcVaultTransitURIs: [String] = []
    /// Explicit key groups; when present the flat lists above are ignored (as in sops).
    public var keyGroups: [KeyGroupRule] = []
    public var shamirThreshold: Int?
    /// At most one selection option; the raw (metadata key, value) pair.
    public var selection: (key: String, value: String)? {
        get { selectionKey.map { ($0, selectionValue ?? "") } }
        set { selectionKey = newValue?.key; selectionValue = newValue?.value }
    }
    public var selectionKey: String?
    public var selectionValue: String?
    public var macOnlyEncrypted = false
    /// 1-based line of the rule in the config, for messages.
    public var line: Int?

    public init() {}

    public static func == (a: CreationRule, b: CreationRule) -> Bool {
        a.pathRegex == b.pathRegex && a.age == b.age && a.pgp == b.pgp && a.hcVaultTransitURIs == b.hcVaultTransitURIs
            && a.keyGroups == b.keyGroups && a.shamirThreshold == b.shamirThreshold && a.selectionKey == b.selectionKey
            && a.selectionValue == b.selectionValue && a.macOnlyEncrypted == b.macOnlyEncrypted
    }
}

/// A key group of a creation rule.
public struct KeyGroupRule: Sendable, Equatable {
    public var age: [String] = []
    public var pgp: [String] = []
    public var hcVault: [String] = []
    public init(age: [String] = [], pgp: [String] = [], hcVault: [String] = []) {
        self.age = age
        self.pgp = pgp
        self.hcVault = hcVault
    }
}

/// `.sops.yaml`: creation rules and store settings.
public struct SopsConfig: Sendable {
    public var path: String
    public var rules: [CreationRule]
    public var storeOptions: StoreOptions

    public static let selectionKeys = ["unencrypted_suffix", "encrypted_suffix", "unencrypted_regex", "encrypted_regex",
                                       "unencrypted_comment_regex", "encrypted_comment_regex"]

    /// Finds `.sops.yaml` from `directory` upward (at most 100 levels), as sops does.
    public static func find(from directory: String) -> String? {
        var dir = URL(fileURLWithPath: directory).standardizedFileURL
        for _ in 0..<100 {
            let candidate = dir.appendingPathComponent(".sops.yaml").path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
        return nil
    }

    public static func load(path: String) throws -> SopsConfig {
        try parse(AtomicFile.read(path, what: "the config file", failure: .configFileNotFound), path: path)
    }

    public static func parse(_ bytes: [UInt8], path: String) throws -> SopsConfig {
        var config = SopsConfig(path: path, rules: [], storeOptions: StoreOptions())
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return config }
        let parsed: ParsedFile
        do { parsed = try YAMLStore().parse(bytes, path: path) } catch var error as KSecretError {
            error.code = .generic
            error.message = "the config file does not parse: " + error.message
            throw error
        }
        let layout = parsed.layout as? YAMLLayout
        guard let root = parsed.document.branches.first else { return config }
        func fail(_ message: String, _ node: Node?) -> KSecretError {
            KSecretError(.generic, message, location: SourceLocation(file: path, line: line(of: node, layout)))
        }
        if let stores = root["stores"] {
            if case .scalar(let s)? = stores["yaml"]?["indent"], case .int(let n) = s.value {
                guard n >= 0 else { throw fail("stores.yaml.indent must not be negative", stores["yaml"]?["indent"]) }
                config.storeOptions.yamlIndent = n == 0 ? nil : Int(n)
            }
            if case .scalar(let s)? = stores["json"]?["indent"], case .int(let n) = s.value { config.storeOptions.jsonIndent = Int(n) }
            if case .scalar(let s)? = stores["json_binary"]?["indent"], case .int(let n) = s.value { config.storeOptions.jsonBinaryIndent = Int(n) }
        }
        guard let rulesNode = root["creation_rules"] else { return config }
        guard case .sequence(let items) = rulesNode else { throw fail("creation_rules must be a list", rulesNode) }
        for item in items {
            if item.isComment { continue }
            guard case .mapping(let entries) = item else { throw fail("each creation rule must be a mapping", item) }
            var rule = CreationRule()
            rule.line = line(of: item, layout)
            for case .pair(let key, let value) in entries {
                switch key {
                case "path_regex":
                    rule.pathRegex = scalarText(value)
                    if let regex = rule.pathRegex, (try? RegularExpression(regex)) == nil {
                        throw fail("path_regex \(regex) is not a valid regular expression", value)
                    }
                case "age": rule.age = try keyList(value, key, fail)
                case "pgp": rule.pgp = try keyList(value, key, fail).map { $0.replacingBytes(of: " ", with: "") }
                case "hc_vault_transit_uri": rule.hcVaultTransitURIs = try keyList(value, key, fail)
                case "shamir_threshold":
                    guard case .scalar(let s) = value, case .int(let n) = s.value, n >= 0 else { throw fail("shamir_threshold must be a whole number", value) }
                    rule.shamirThreshold = Int(n)
                case "mac_only_encrypted":
                    guard case .scalar(let s) = value, case .bool(let b) = s.value else { throw fail("mac_only_encrypted must be true or false", value) }
                    rule.macOnlyEncrypted = b
                case "key_groups":
                    guard case .sequence(let groups) = value else { throw fail("key_groups must be a list of groups", value) }
                    for group in groups where !group.isComment {
                        guard case .mapping = group else { throw fail("each key group must be a mapping", group) }
                        var g = KeyGroupRule()
                        if let v = group["age"] { g.age = try keyList(v, "age", fail) }
                        if let v = group["pgp"] { g.pgp = try keyList(v, "pgp", fail).map { $0.replacingBytes(of: " ", with: "") } }
                        if let v = group["hc_vault"] { g.hcVault = try keyList(v, "hc_vault", fail) }
                        rule.keyGroups.append(g)
                    }
                case _ where selectionKeys.contains(key):
                    if let existing = rule.selectionKey {
                        throw fail("a creation rule may set only one of \(selectionKeys.joined(separator: ", ")); this one sets \(existing) and \(key)", value)
                    }
                    guard let text = scalarText(value) else { throw fail("\(key) must be a string", value) }
                    if key.hasSuffix("_regex"), (try? RegularExpression(text)) == nil {
                        throw fail("\(key) \(text) is not a valid regular expression", value)
                    }
                    rule.selectionKey = key
                    rule.selectionValue = text
                default:
                    continue   // kms, gcp_kms, azure_keyvault, ...: read by sops, not used by ksecret
                }
            }
            config.rules.append(rule)
        }
        return config
    }

    /// The first rule whose `path_regex` finds a match in `filePath` (made relative to the config's
    /// directory when inside it); nil when none matches.
    public func rule(for filePath: String) -> CreationRule? {
        let absolute = URL(fileURLWithPath: filePath).standardizedFileURL.path
        let configDir = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path
        var candidate = absolute
        let prefix = configDir.hasSuffix("/") ? configDir : configDir + "/"
        if candidate.hasPrefix(prefix) { candidate.removeFirst(prefix.count) }
        for rule in rules {
            guard let regex = rule.pathRegex, !regex.isEmpty else { return rule }
            if let re = Self.regexCache.compiled(regex), re.matches(candidate) {
                return rule
            }
        }
        return nil
    }

    /// `rule(for:)` runs once per file of an audit or a bulk re-key: each pattern is compiled once.
    static let regexCache = RegexCache()

    final class RegexCache: @unchecked Sendable {
        private var compiled: [String: RegularExpression?] = [:]
        private let lock = Lock()

        func compiled(_ pattern: String) -> RegularExpression? {
            lock.withLock {
                if let known = compiled[pattern] { return known }
                let re = try? RegularExpression(pattern)
                compiled[pattern] = re
                return re
            }
        }
    }

    private static func scalarText(_ node: Node) -> String? {
        guard case .scalar(let s) = node else { return nil }
        switch s.value {
        case .string(let v): return v
        case .int(let i): return String(i)
        case .float(let f): return GoFloatFormat.general(f, upper: false)
        case .bool(let b): return b ? "true" : "false"
        case .time(let t): return t
        default: return nil
        }
    }

    /// A key list: a comma-separated string, or (since sops 3.11) a YAML list of strings.
    private static func keyList(_ node: Node, _ key: String, _ fail: (String, Node?) -> KSecretError) throws -> [String] {
        switch node {
        case .scalar:
            guard let text = scalarText(node) else { return [] }
            return text.split(separator: ",").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty }
        case .sequence(let items):
            return try items.filter { !$0.isComment }.map { item in
                guard let text = scalarText(item) else { throw fail("\(key) entries must be strings", item) }
                return text.trimmingWhitespace()
            }
        default:
            throw fail("\(key) must be a string or a list of strings", node)
        }
    }

    private static func line(of node: Node?, _ layout: YAMLLayout?) -> Int? {
        guard let node, let layout else { return nil }
        switch node {
        case .scalar(let s): return s.origin.flatMap { $0 >= 0 && $0 < layout.scalars.count ? layout.scalars[$0].line + 1 : nil }
        case .mapping(let entries):
            for case .pair(_, let v) in entries { if let l = line(of: v, layout) { return l } }
            return nil
        case .sequence(let items):
            for item in items { if let l = line(of: item, layout) { return l } }
            return nil
        case .comment: return nil
        }
    }
}
