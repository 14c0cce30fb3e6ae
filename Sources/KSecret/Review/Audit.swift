import KSecretSystem

/// `ksecret audit`: which secrets files exist, who can open them, how old they are, and what is
/// wrong, without printing any value.
public struct Audit: Sendable {
    public enum Severity: String, Sendable, Comparable, CaseIterable, Codable {
        case low, medium, high
        var rank: Int { switch self { case .low: 0; case .medium: 1; case .high: 2 } }
        public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
    }

    public struct Finding: Sendable, Codable, Equatable {
        public var severity: Severity
        public var rule: String
        public var file: String
        public var message: String
        public var fix: String
    }

    public struct FileReport: Sendable, Codable {
        public var file: String
        public var format: String
        public var age: [String]
        public var pgp: [String]
        public var vault: [String]
        public var otherKeys: Int
        public var groups: Int
        public var threshold: Int
        public var lastModified: String
        /// Whole days since `lastModified` (the data key is at least this old); nil when unparsable.
        public var dataKeyAgeDays: Int?
        public var version: String
        public var selection: String?
        public var macOnlyEncrypted: Bool
        /// With `--verify`: "ok", "mac mismatch", "no key", or nil when not checked.
        public var verified: String?
    }

    public struct Report: Sendable, Codable {
        public var schema = "ksecret-audit/1"
        public var root: String
        public var files: [FileReport]
        public var findings: [Finding]
    }

    /// One line per finding kind (`Finding.rule`), for SARIF's rule list and Documentation/Audit.md.
    public static let ruleDescriptions: [String: String] = [
        SecretLeakScanner.Finding.Kind.plaintextSecretsFile.rawValue: "a file the creation rules say must be encrypted is plain text",
        SecretLeakScanner.Finding.Kind.privateKeyMaterial.rawValue: "private key material (age, PGP, SSH, PEM) outside an allowed path",
        "mac-mismatch": "the MAC does not match the values",
        "unreadable": "the file does not decrypt",
        "stale-recipient": "encrypted to a key the creation rules no longer name",
        "secret-in-clear": "secret-looking keys left in clear text by the file's selection",
        "single-recipient": "one key opens the file",
        "old-data-key": "the data key is older than --max-age days",
        "old-sops-version": "written by a sops older than 3.7",
    ]

    public var root: String
    public var environment: KSecretEnvironment
    public var verify = false
    public var maxAgeDays = 90
    public var allowedKeyPaths: [String] = []

    public init(root: String, environment: KSecretEnvironment) {
        self.root = root
        self.environment = environment
        // --verify decrypts every file: SOPS_AGE_KEY_CMD runs once for all of them.
        if self.environment.keyCommandOutputs == nil { self.environment.keyCommandOutputs = KeyCommandOutputs() }
    }

    static let secretLooking = try! RegularExpression("(?i)(password|passwd|token|secret|key|credential)")
    /// The files to look at (`RepositoryFiles.list`).
    public func files() throws -> [String] { try RepositoryFiles.list(root: root) }

    public func run() throws -> Report {
        let configPath = SopsConfig.find(from: root)
        let config = try configPath.map { try SopsConfig.load(path: $0) }
        let scanner = SecretLeakScanner(config: config, allowedKeyPaths: allowedKeyPaths)
        let base = GitRepository.containing(root)?.root ?? root
        var report = Report(root: base, files: [], findings: [])
        let now = environment.now()
        let engine = SecretsEngine(environment: environment)
        for path in try files() {
            let relative = RepositoryFiles.relative(path, to: base)
            guard let content = try? AtomicFile.read(path), content.count < RepositoryFiles.sizeLimit else { continue }
            let encrypted = RepositoryFiles.encrypted(path: path, relative: relative, content: content)
            // Known when it parsed; otherwise the scanner decides (a file with broken metadata is not "plain text").
            let complete = encrypted.map { !$0.metadata.version.isEmpty && !$0.metadata.mac.isEmpty }
            report.findings += scanner.scan(path: relative, absolutePath: path, content: content, isEncrypted: complete).map {
                Finding(severity: .high, rule: $0.kind.rawValue, file: relative, message: $0.detail, fix: $0.fix)
            }
            guard let encrypted else { continue }
            let (format, parsed, metadata) = (encrypted.format, encrypted.parsed, encrypted.metadata)
            var file = FileReport(file: relative, format: format.rawValue,
                                  age: metadata.keyGroups.flatMap { $0.age.map(\.recipient) },
                                  pgp: metadata.keyGroups.flatMap { $0.pgp.map(\.fp) },
                                  vault: metadata.keyGroups.flatMap { $0.hcVault.map { "\($0.vaultAddress)/v1/\($0.enginePath)/keys/\($0.keyName)" } },
                                  otherKeys: metadata.keyGroups.reduce(0) { $0 + $1.kms.count + $1.gcpKMS.count + $1.hckms.count + $1.azureKV.count },
                                  groups: metadata.keyGroups.count, threshold: metadata.shamirThreshold,
                                  lastModified: metadata.lastModified,
                                  dataKeyAgeDays: RFC3339.parse(metadata.lastModified)?.date.map { Int(now.timeIntervalSince($0) / 86_400) },
                                  version: metadata.version,
                                  selection: metadata.selection.map { "\($0.metadataKey): \($0.value)" },
                                  macOnlyEncrypted: metadata.macOnlyEncrypted, verified: nil)
            func add(_ severity: Severity, _ rule: String, _ message: String, _ fix: String) {
                report.findings.append(Finding(severity: severity, rule: rule, file: relative, message: message, fix: fix))
            }
            if verify {
                do {
                    _ = try engine.open(content, path: relative, format: format, forRewrite: false)
                    file.verified = "ok"
                } catch let error as KSecretError where error.code == .macMismatch {
                    file.verified = "mac mismatch"
                    add(.high, "mac-mismatch", "the MAC does not match the values: the file was changed outside sops/ksecret",
                        "find who changed it (git log -p), then re-create it from trusted plaintext")
                } catch let error as KSecretError where error.code == .couldNotRetrieveKey {
                    file.verified = "no key"
                } catch {
                    file.verified = "unreadable"
                    add(.high, "unreadable", "the file does not decrypt: \((error as? KSecretError)?.message ?? "error")", "restore it from history")
                }
            }
            // Access the rules no longer grant.
            if let config, let rule = config.rule(for: path) {
                let wanted = Set(rule.keyPlan.groups.flatMap { $0.age + $0.pgp.map { $0.uppercased() } })
                let present = Set(file.age + file.pgp.map { $0.uppercased() })
                let stale = present.subtracting(wanted)
                if !wanted.isEmpty, !stale.isEmpty {
                    add(.medium, "stale-recipient", "encrypted to \(stale.sorted().joined(separator: ", ")), which the creation rules no longer name",
                        "ksecret updatekeys \(relative), then ksecret rotate -i \(relative) (they knew the data key)")
                }
            }
            if metadata.keyGroups.count == 1, metadata.keyGroups[0].keyCount == 1 {
                add(.medium, "single-recipient", "one key opens this file: losing it loses the file",
                    "add a second recipient (a backup key) to the creation rule and run ksecret updatekeys \(relative)")
            }
            let clear = clearSecretLookingKeys(parsed.document, metadata: metadata)
            if !clear.isEmpty {
                add(.medium, "secret-in-clear", "secret-looking keys are stored in clear text: \(clear.prefix(5).map { TreePath.render($0) }.joined(separator: ", "))",
                    "narrow \(metadata.selection?.metadataKey ?? "the selection") so these keys are encrypted")
            }
            if let modified = RFC3339.parse(metadata.lastModified)?.date, now.timeIntervalSince(modified) > Double(maxAgeDays) * 86_400 {
                add(.low, "old-data-key", "last rotated or modified \(metadata.lastModified), over \(maxAgeDays) days ago",
                    "ksecret rotate -i \(relative)")
            }
            if versionBefore(metadata.version, 3, 7) {
                add(.low, "old-sops-version", "written by sops \(metadata.version)", "re-save it with ksecret (edit or rotate)")
            }
            report.files.append(file)
        }
        report.findings.sort { ($0.severity, $1.file) > ($1.severity, $0.file) }
        return report
    }

    /// Keys on paths whose values stay clear (by the file's selection) and look like secrets.
    func clearSecretLookingKeys(_ document: Document, metadata: Metadata) -> [[String]] {
        var out: [[String]] = []
        func walk(_ node: Node, _ path: [String]) {
            switch node {
            case .scalar(let s):
                guard let last = path.last, case .string(let v) = s.value, !v.isEmpty, !v.hasPrefix("ENC[") else { return }
                if Self.secretLooking.matches(last) { out.append(path) }
            case .mapping(let entries): for case .pair(let k, let v) in entries { walk(v, path + [k]) }
            case .sequence(let items): items.forEach { walk($0, path) }
            case .comment: break
            }
        }
        document.branches.forEach { walk($0, []) }
        // Keys that only an `_unencrypted` suffix keeps clear are the author's explicit choice.
        if case .unencryptedSuffix(let suffix)? = metadata.selection, !metadata.macOnlyEncrypted {
            return out.filter { !$0.contains { $0.hasSuffix(suffix) } }
        }
        return out
    }

    func versionBefore(_ version: String, _ major: Int, _ minor: Int) -> Bool {
        let parts = version.split(separator: ".").compactMap { Int($0) }
        guard parts.count >= 2 else { return false }
        return (parts[0], parts[1]) < (major, minor)
    }
}

extension Audit.Report {
    /// Two audits in one (`ksecret audit DIR1 DIR2`): each file once, findings of both.
    public func merged(with other: Audit.Report) -> Audit.Report {
        var out = self
        let known = Set(files.map(\.file))
        out.files += other.files.filter { !known.contains($0.file) }
        for finding in other.findings where !out.findings.contains(finding) { out.findings.append(finding) }
        out.findings.sort { ($0.severity, $1.file) > ($1.severity, $0.file) }
        return out
    }
}

extension RFC3339 {
    var date: Date? {
        var c = DateComponents()
        c.year = year; c.month = month; c.day = day; c.hour = hour; c.minute = minute; c.second = second
        c.timeZone = TimeZone(secondsFromGMT: offsetMinutes * 60)
        return Calendar(identifier: .gregorian).date(from: c)
    }
}
