import KSecretSystem

/// What the outside world gives an operation: environment variables, the working directory, the
/// clock and randomness. Commands pass it in instead of reading globals, so tests can pin each.
public struct KSecretEnvironment: Sendable {
    public var variables: [String: String]
    public var currentDirectory: String
    public var now: @Sendable () -> Date
    public var random: @Sendable (Int) -> [UInt8]
    /// When set, `SOPS_AGE_KEY_CMD` runs once for all the files of this environment (bulk commands
    /// over many files set it: a command that prompts, or asks a password manager, asks once).
    public var keyCommandOutputs: KeyCommandOutputs?
    /// Answers for the passphrase of an encrypted age identity file instead of gpg-agent and the
    /// terminal (nil, the default: a running gpg-agent's pinentry and cache, else `/dev/tty`).
    public var askPassphrase: (@Sendable (PassphraseRequest) throws -> [UInt8])?

    public init(variables: [String: String] = ProcessInfo.processInfo.environment,
                currentDirectory: String = FileManager.default.currentDirectoryPath,
                now: @escaping @Sendable () -> Date = { Date() },
                random: @escaping @Sendable (Int) -> [UInt8] = { SecureRandomBytes.get($0) }) {
        self.variables = variables
        self.currentDirectory = currentDirectory
        self.now = now
        self.random = random
    }

    public subscript(name: String) -> String? {
        guard let value = variables[name], !value.isEmpty else { return nil }
        return value
    }

    /// `HOME`, else the user's home directory in the password database.
    public var homeDirectory: String {
        if let home = self["HOME"] { return home }
        guard let entry = getpwuid(getuid()), let directory = entry.pointee.pw_dir else { return "/" }
        return String(cString: directory)
    }

    /// RFC 3339, UTC, second precision: the form of `lastmodified` and `created_at`.
    public func timestamp() -> String {
        var seconds = time_t(now().timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 32)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%SZ", &parts)
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

/// A passphrase to ask for: whose (`source`, as messages name it), the agent's cache id (sops's
/// name for the source, so one typed passphrase serves both tools), and the terminal prompt.
public struct PassphraseRequest: Sendable, Equatable {
    public var source: String
    public var cacheID: String
    public var prompt: String
}

/// `SOPS_AGE_KEY_CMD`'s output by command line, for one bulk command's files (identities, held in
/// memory as the identities themselves are). The lock makes a command run once even when several
/// files ask at the same time.
public final class KeyCommandOutputs: @unchecked Sendable {
    private let outputs = OncePerKey<String, [UInt8]>()

    public init() {}

    func output(of command: String, running run: () throws -> [UInt8]) throws -> [UInt8] {
        try outputs.value(for: command, computing: run)
    }
}

/// Values computed at most once per key, under a lock held while computing, so that threads
/// asking for the same key at the same time wait for the one computation (a command run, a
/// passphrase asked) instead of repeating it. A computation that throws stores nothing.
final class OncePerKey<Key: Hashable, Value>: @unchecked Sendable {
    private let lock = Lock()
    private var values: [Key: Value] = [:]

    func value(for key: Key, computing compute: () throws -> Value) throws -> Value {
        lock.lock()
        defer { lock.unlock() }
        if let value = values[key] { return value }
        let value = try compute()
        values[key] = value
        return value
    }
}
