import ArgumentParser
import KSecretSystem
import KSecret
#if canImport(Glibc)
import Glibc
#endif

/// Runs `/bin/sh -c COMMAND` with standard streams inherited: as a child whose exit status is
/// returned (`run`), or in ksecret's place (`replace`).
enum Child {
    /// Linux refuses to start a program with one environment string (`NAME=value`) over 32 pages
    /// (MAX_ARG_STRLEN, 128 KiB), and reports that only as E2BIG for the whole call.
    private static func checkSizes(_ environment: [String: String]) throws {
        if let big = environment.first(where: { $0.key.utf8.count + $0.value.utf8.count + 2 > 131_072 }) {
            throw KSecretError(.generic, "cannot run /bin/sh: the variable \(big.key) is over 128 KiB, more than Linux lets one environment variable hold",
                               hints: ["exec-file hands the whole file to the command through a FIFO, whatever its size"])
        }
    }

    /// Becomes `/bin/sh -c COMMAND` (execve): the command gets ksecret's pid, so every signal sent
    /// to ksecret (a service manager's SIGTERM, a terminal's SIGINT) reaches it, and its exit status
    /// is the one the caller sees. Returns only by throwing. As in `run`, SIGPIPE goes back to its
    /// default and no signal stays blocked, whatever ksecret inherited.
    static func replace(with command: String, environment: [String: String]) throws -> Never {
        try checkSizes(environment)
        let argv: [UnsafeMutablePointer<CChar>?] = [String](["/bin/sh", "-c", command]).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0.key + "=" + $0.value) } + [nil]
        signal(SIGPIPE, SIG_DFL)
        var none = sigset_t()
        sigemptyset(&none)
        pthread_sigmask(SIG_SETMASK, &none, nil)
        execve("/bin/sh", argv, envp)
        let failure = errno
        argv.forEach { free($0) }
        for entry in envp {
            if let entry { memset(entry, 0, strlen(entry)) }
            free(entry)
        }
        throw KSecretError(.generic, "cannot run /bin/sh: \(String(cString: strerror(failure)))",
                           hints: failure == E2BIG ? ["the environment is over the system's limit; exec-file has no such limit"] : [])
    }

    static func run(_ command: String, environment: [String: String]) throws -> Int32 {
        try checkSizes(environment)
        // posix_spawn rather than Foundation's Process, to start the command with SIGPIPE at its
        // default and no signal blocked, whatever ksecret itself inherited: a parent that ignores
        // SIGPIPE (some CI runners and service managers do) would otherwise pass that on, and a
        // pipeline such as `yes | head` in the command would never end.
        let attributes = ChildProcess.SpawnAttributes()
        let argv: [UnsafeMutablePointer<CChar>?] = [String](["/bin/sh", "-c", command]).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0.key + "=" + $0.value) } + [nil]
        defer {
            argv.forEach { free($0) }
            for entry in envp {
                // The environment may hold decrypted values: clear them before the memory goes back.
                if let entry { memset(entry, 0, strlen(entry)) }
                free(entry)
            }
        }
        // A signal that arrives between the spawn and `attach` waits, then goes to the command.
        var handled = sigset_t(), previous = sigset_t()
        sigemptyset(&handled)
        for sig in [SIGINT, SIGTERM, SIGHUP] { sigaddset(&handled, sig) }
        pthread_sigmask(SIG_BLOCK, &handled, &previous)
        var pid = pid_t()
        let spawned = posix_spawn(&pid, "/bin/sh", nil, &attributes.value, argv, envp)
        if spawned == 0 { ScratchDirectory.attach(child: pid) }
        pthread_sigmask(SIG_SETMASK, &previous, nil)
        defer { ScratchDirectory.attach(child: 0) }
        guard spawned == 0 else {
            throw KSecretError(.generic, "cannot run /bin/sh: \(String(cString: strerror(spawned)))",
                               hints: spawned == E2BIG ? ["the environment is over the system's limit; exec-file has no such limit"] : [])
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw KSecretError(.generic, "cannot wait for /bin/sh: \(String(cString: strerror(errno)))") }
        }
        // The wait status: the low seven bits are the signal that ended the command, or 0 for an exit.
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }
}

struct ExecEnv: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec-env",
        abstract: "Run a command with the file's top-level values as environment variables.",
        discussion: HelpText.reflow("""
        No plaintext is written anywhere. The command takes ksecret's place (its pid), so signals sent
        to ksecret reach it and its exit status is ksecret's.
        Example:
          ksecret exec-env secrets.env 'psql "$DATABASE_URL" -c "select 1"'
        """))

    @Argument var file: String
    @Argument(help: "The command, run by /bin/sh -c.") var command: String
    @Flag(help: "Give the command only the file's variables, not ksecret's environment.") var pristine = false
    @OptionGroup var types: TypeOptions

    func run() throws {
        try Diagnostics.run {
            let opened = try SecretsEngine(environment: KSecretEnvironment())
                .open(try AtomicFile.read(file), path: file, format: try types.input(for: file), forRewrite: false)
            var environment = pristine ? [:] : ProcessInfo.processInfo.environment
            guard case .mapping(let entries)? = opened.document.branches.first else {
                throw KSecretError(.generic, "\(file) has no top-level mapping to take variables from")
            }
            for case .pair(let key, let value) in entries {
                guard case .scalar(let s) = value else {
                    throw KSecretError(.errorDumpingTree, "cannot put the nested value \(TreePath.render([key])) in an environment variable",
                                       hints: ["exec-env takes top-level values only; use exec-file for nested data"])
                }
                switch s.value {
                case .null: continue
                case .string(let v): environment[key] = v
                case .bytes(let b): environment[key] = String(decoding: b, as: UTF8.self)
                case .int(let i): environment[key] = String(i)
                case .float(let f): environment[key] = GoFloatFormat.sopsValString(f)
                case .bool(let b): environment[key] = b ? "true" : "false"
                case .time(let t): environment[key] = t
                }
            }
            try Child.replace(with: command, environment: environment)
        }
    }
}

struct ExecFile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec-file",
        abstract: "Run a command with {} replaced by the path of the decrypted file (a FIFO by default).",
        discussion: HelpText.reflow("""
        The plaintext goes through a FIFO in a fresh 0700 directory, so it never rests on disk; with
        --no-fifo it is a 0600 file there, removed when the command ends.
        Example:
          ksecret exec-file secrets.yaml 'helm template ./chart -f {}'
        """))

    @Argument var file: String
    @Argument(help: "The command, run by /bin/sh -c; {} becomes the path.") var command: String
    @Flag(name: .customLong("no-fifo"), help: "Use a 0600 temporary file instead of a FIFO.") var noFifo = false
    @Option(name: .customLong("filename"), help: "The name of the decrypted file (default: the input's name).") var filename: String?
    @OptionGroup var types: TypeOptions

    func run() throws {
        var status: Int32 = 0
        try Diagnostics.run {
            let input = try types.input(for: file)
            let output = try types.output(for: file, input: input)
            let opened = try SecretsEngine(environment: KSecretEnvironment())
                .open(try AtomicFile.read(file), path: file, format: input, forRewrite: false)
            var plaintext = try opened.plaintext(format: output)
            defer { for i in plaintext.indices { plaintext[i] = 0 } }
            if let filename, filename.contains("/") || filename == "." || filename == ".." || filename.isEmpty {
                throw KSecretError(.generic, "--filename takes a file name, not a path: \(filename)")
            }
            let scratch = try ScratchDirectory(kind: "exec", fileName: filename ?? URL(fileURLWithPath: file).lastPathComponent)
            defer { scratch.remove() }
            let path = scratch.path
            if noFifo {
                let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
                guard fd >= 0 else { throw KSecretError(.couldNotWriteOutputFile, "cannot create the temporary file") }
                let written = plaintext.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                close(fd)
                guard written == plaintext.count else { throw KSecretError(.couldNotWriteOutputFile, "cannot write the temporary file") }
                status = try Child.run(command.replacingBytes(of: "{}", with: path), environment: ProcessInfo.processInfo.environment)
            } else {
                guard mkfifo(path, 0o600) == 0 else { throw KSecretError(.couldNotWriteOutputFile, "cannot create a FIFO in \(scratch.directory)") }
                let done = FeedFlag()
                let bytes = plaintext
                let feeder: @Sendable () -> Void = {
                    // A command that closes its end early must not kill ksecret: SIGPIPE is blocked on
                    // this thread alone (the write then fails with EPIPE), not ignored process-wide,
                    // which the command would inherit (`yes | head` in it would never end).
                    var pipeSignal = sigset_t()
                    sigemptyset(&pipeSignal)
                    sigaddset(&pipeSignal, SIGPIPE)
                    pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
                    // Open without blocking until the command opens its end (or it has finished).
                    var fd: Int32 = -1
                    while !done.isSet {
                        fd = open(path, O_WRONLY | O_NONBLOCK)
                        if fd >= 0 { break }
                        usleep(2_000)
                    }
                    guard fd >= 0 else { return }
                    _ = fcntl(fd, F_SETFL, 0)
                    var offset = 0
                    while offset < bytes.count {
                        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
                        if n <= 0 { break }
                        offset += n
                    }
                    close(fd)
                }
                do { try DetachedThread.start(feeder) } catch {
                    throw KSecretError(.generic, "cannot start the thread that writes the FIFO", cause: error)
                }
                status = try Child.run(command.replacingBytes(of: "{}", with: path), environment: ProcessInfo.processInfo.environment)
                done.set()
            }
        }
        if status != 0 { throw ExitCode(status) }
    }
}

final class FeedFlag: @unchecked Sendable {
    private let lock = Lock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
