import KSecretSystem

/// `rotate --all`, `updatekeys --all` and the re-keying step of `offboard`: one operation over every
/// encrypted file under a directory, files in parallel, each written atomically.
///
/// Policy: each file is independent. A file that fails (no identity at hand for it, a cloud KMS key,
/// a write error) is reported and left exactly as it was; the others go on. Results name files,
/// recipients and key paths, never a value.
public struct BulkRekey: Sendable {
    public enum Operation: Sendable, Equatable {
        /// A new data key for the keys the file already has.
        case rotate
        /// The same data key, wrapped for the keys the file's creation rule names now.
        case updateKeys
        /// A file `recipient` can open gets a new data key wrapped for its rule's keys (or, with no
        /// rule, its own keys less the recipient); every other file gets `updateKeys`.
        case offboard(Recipient)
    }

    public enum Status: String, Sendable, Codable {
        /// A new data key was written.
        case rotated
        /// The data key was re-wrapped for other keys.
        case updated
        /// Already as wanted; not written.
        case unchanged
        /// Not something this operation applies to (no creation rule matches it, or done in an
        /// interrupted run).
        case skipped
        /// Not written: see `reason`.
        case failed
    }

    public struct FileResult: Sendable {
        /// The path relative to `base`.
        public var file: String
        public var status: Status
        /// The key changes, as `updatekeys` shows them (`group 1: age age1...`), for `+`/`-` lines.
        public var added: [String] = []
        public var removed: [String] = []
        /// Why a file was skipped or failed (lowercase, no value).
        public var reason: String?
        public var error: KSecretError?
        /// For `offboard`: the key paths of the encrypted values of a file the recipient could open.
        public var secrets: [[String]] = []
        /// The file's `sops.mac` after a rotation (what a rotation journal records).
        public var mac: String?

        public init(file: String, status: Status, added: [String] = [], removed: [String] = [], reason: String? = nil,
                    error: KSecretError? = nil) {
            self.file = file
            self.status = status
            self.added = added
            self.removed = removed
            self.reason = reason
            self.error = error
        }
    }

    /// A file to work on: its absolute path, and the path reported (relative to `base`).
    public struct Target: Sendable, Equatable {
        public var path: String
        public var file: String
    }

    /// One step for a progress display: a file started (`result` nil) or finished.
    public struct Event: Sendable {
        public var done: Int
        public var total: Int
        public var file: String
        public var result: FileResult?
    }

    /// The directory to work under (absolute).
    public var root: String
    /// What reported paths are relative to: the repository root inside one, else `root`.
    public var base: String
    public var config: SopsConfig?
    public var environment: KSecretEnvironment
    /// Files worked on at once (default: the core count).
    public var jobs: Int

    public init(root: String, config: SopsConfig?, environment: KSecretEnvironment) {
        self.root = root
        self.base = GitRepository.containing(root)?.root ?? root
        self.config = config
        self.environment = environment
        if self.environment.keyCommandOutputs == nil { self.environment.keyCommandOutputs = KeyCommandOutputs() }
        self.jobs = ProcessInfo.processInfo.activeProcessorCount
    }

    /// Every encrypted file under `root` (`RepositoryFiles`: git's files inside a repository).
    public func targets() throws -> [Target] {
        let paths = try RepositoryFiles.list(root: root)
        let found = ConcurrentResults<Target?>(count: paths.count)
        Self.forEach(paths.count, jobs: jobs) { i in
            let file = RepositoryFiles.relative(paths[i], to: base)
            found[i] = RepositoryFiles.encrypted(path: paths[i], relative: file) == nil ? nil : Target(path: paths[i], file: file)
        }
        return found.values.compactMap { $0 }
    }

    /// Runs `operation` over `targets`, `jobs` files at a time. `progress` is called (serially) as
    /// each file starts and finishes; `finished` once per file right after its result is known, on
    /// the worker (a journal writes there). Results come back in the order of `targets`.
    public func run(_ targets: [Target], operation: Operation,
                    progress: @escaping @Sendable (Event) -> Void = { _ in },
                    finished: @escaping @Sendable (FileResult) -> Void = { _ in }) -> [FileResult] {
        let results = ConcurrentResults<FileResult?>(count: targets.count)
        let lock = Lock()
        nonisolated(unsafe) var done = 0
        Self.forEach(targets.count, jobs: jobs) { i in
            lock.withLock { progress(Event(done: done, total: targets.count, file: targets[i].file, result: nil)) }
            let result = process(targets[i], operation)
            finished(result)
            results[i] = result
            lock.withLock {
                done += 1
                progress(Event(done: done, total: targets.count, file: targets[i].file, result: result))
            }
        }
        return results.values.map { $0! }
    }

    /// Runs `body` for 0..<count on `jobs` threads, each taking the next index when it is free.
    static func forEach(_ count: Int, jobs: Int, _ body: @Sendable (Int) -> Void) {
        guard count > 0 else { return }
        let next = ConcurrentResults<Int>(count: 1, initial: 0)
        DispatchQueue.concurrentPerform(iterations: max(1, min(jobs, count))) { _ in
            while let i = next.take(below: count) { body(i) }
        }
    }

    // MARK: One file

    func process(_ target: Target, _ operation: Operation) -> FileResult {
        let file = target.file
        do {
            let content = try AtomicFile.read(target.path)
            guard let encrypted = RepositoryFiles.encrypted(path: target.path, relative: file, content: content) else {
                return FileResult(file: file, status: .skipped, reason: "no longer encrypted")
            }
            switch operation {
            case .rotate:
                let engine = SecretsEngine(environment: environment)
                let opened = try engine.open(parsed: encrypted.parsed, path: file)
                return try write(try engine.rotate(opened), target: target, result: FileResult(file: file, status: .rotated))
            case .updateKeys:
                return try updateKeys(encrypted, target: target)
            case .offboard(let recipient):
                let current = SecretsEngine.plan(of: encrypted.metadata)
                guard recipient.isNamed(in: current) else { return try updateKeys(encrypted, target: target) }
                let wanted = config?.rule(for: target.path)?.keyPlan ?? recipient.removed(from: current)
                if recipient.isNamed(in: wanted) {
                    throw KSecretError(.generic, "the creation rule for \(file) still names \(recipient)",
                                       hints: ["remove it from \(config?.path ?? ".sops.yaml") first"])
                }
                guard !wanted.isEmpty else {
                    throw KSecretError(.noEncryptionKeyFound, "no keys would be left on \(file) without \(recipient)",
                                       hints: ["add the replacement key to its creation rule first"])
                }
                let engine = SecretsEngine(environment: environment)
                let opened = try engine.open(parsed: encrypted.parsed, path: file)
                let changes = SecretsEngine.changes(from: encrypted.metadata, to: wanted)
                var result = FileResult(file: file, status: .rotated, added: changes.added, removed: changes.removed)
                result.secrets = Self.encryptedKeyPaths(encrypted.parsed.document)
                return try write(try engine.rekey(opened, to: wanted), target: target, result: result)
            }
        } catch let error as KSecretError {
            return FileResult(file: file, status: .failed, reason: error.message, error: error)
        } catch {
            return FileResult(file: file, status: .failed, reason: String(describing: error))
        }
    }

    private func updateKeys(_ encrypted: RepositoryFiles.Encrypted, target: Target) throws -> FileResult {
        let file = target.file
        guard let config else { return FileResult(file: file, status: .skipped, reason: "no .sops.yaml") }
        guard let rule = config.rule(for: target.path) else {
            return FileResult(file: file, status: .skipped, reason: "no creation rule in \(config.path) matches it")
        }
        let plan = rule.keyPlan
        guard !plan.isEmpty else {
            throw KSecretError(.generic, "the creation rule matching \(file) names no keys", location: SourceLocation(file: config.path, line: rule.line))
        }
        let changes = SecretsEngine.changes(from: encrypted.metadata, to: plan)
        if changes.isEmpty { return FileResult(file: file, status: .unchanged) }
        let engine = SecretsEngine(environment: environment)
        let bytes = try engine.updateKeys(encrypted.content, path: file, format: encrypted.format, plan: plan)
        return try write(bytes, target: target, result: FileResult(file: file, status: .updated, added: changes.added, removed: changes.removed))
    }

    private func write(_ bytes: [UInt8], target: Target, result: FileResult) throws -> FileResult {
        try AtomicFile.write(bytes, to: target.path)
        var result = result
        result.mac = RepositoryFiles.encrypted(path: target.path, relative: target.file, content: bytes)?.metadata.mac
        return result
    }

    /// The key paths of the values stored encrypted (`ENC[...]`), each once, in file order.
    public static func encryptedKeyPaths(_ document: Document) -> [[String]] {
        var out: [[String]] = []
        func walk(_ node: Node, _ path: [String]) {
            switch node {
            case .scalar(let s):
                if case .string(let v) = s.value, v.hasPrefix("ENC["), !out.contains(path) { out.append(path) }
            case .mapping(let entries): for case .pair(let k, let v) in entries { walk(v, path + [k]) }
            case .sequence(let items): items.forEach { walk($0, path) }
            case .comment: break
            }
        }
        document.branches.forEach { walk($0, []) }
        return out
    }
}
