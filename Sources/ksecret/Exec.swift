import ArgumentParser
import Foundation
import KSecret
#if canImport(Glibc)
import Glibc
#endif

/// Runs `/bin/sh -c COMMAND` with standard streams inherited; returns its exit status.
enum Child {
    static func run(_ command: String, environment: [String: String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = ["-c", command]
        process.environment = environment
        // Linux refuses to start a program with one environment string (`NAME=value`) over 32 pages
        // (MAX_ARG_STRLEN, 128 KiB), and Foundation reports that only as a generic failure.
        if let big = environment.first(where: { $0.key.utf8.count + $0.value.utf8.count + 2 > 131_072 }) {
            throw KSecretError(.generic, "cannot run /bin/sh: the variable \(big.key) is over 128 KiB, more than Linux lets one environment variable hold",
                               hints: ["exec-file hands the whole file to the command through a FIFO, whatever its size"])
        }
        do { try process.run() } catch {
            throw KSecretError(.generic, "cannot run /bin/sh (is the environment over the system's limit?)", cause: error)
        }
        process.waitUntilExit()
        return process.terminationReason == .uncaughtSignal ? 128 + process.terminationStatus : process.terminationStatus
    }
}

struct ExecEnv: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec-env",
        abstract: "Run a command with the file's top-level values as environment variables.",
        discussion: """
        No plaintext is written anywhere; the command's exit status is ksecret's.
        Example:
          ksecret exec-env secrets.env 'psql "$DATABASE_URL" -c "select 1"'
        """)

    @Argument var file: String
    @Argument(help: "The command, run by /bin/sh -c.") var command: String
    @Flag(help: "Give the command only the file's variables, not ksecret's environment.") var pristine = false
    @OptionGroup var types: TypeOptions

    func run() throws {
        var status: Int32 = 0
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
            status = try Child.run(command, environment: environment)
        }
        if status != 0 { throw ExitCode(status) }
    }
}

struct ExecFile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "exec-file",
        abstract: "Run a command with {} replaced by the path of the decrypted file (a FIFO by default).",
        discussion: """
        The plaintext goes through a FIFO in a fresh 0700 directory, so it never rests on disk; with
        --no-fifo it is a 0600 file there, removed when the command ends.
        Example:
          ksecret exec-file secrets.yaml 'helm template ./chart -f {}'
        """)

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
            let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
            var template = Array((base + "/ksecret-exec-XXXXXX").utf8CString)
            guard let dirPointer = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
                throw KSecretError(.couldNotWriteOutputFile, "cannot create a private temporary directory in \(base)")
            }
            let directory = String(cString: dirPointer)
            let path = directory + "/" + (filename ?? URL(fileURLWithPath: file).lastPathComponent)
            defer { unlink(path); rmdir(directory) }
            if noFifo {
                let fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
                guard fd >= 0 else { throw KSecretError(.couldNotWriteOutputFile, "cannot create the temporary file") }
                let written = plaintext.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
                close(fd)
                guard written == plaintext.count else { throw KSecretError(.couldNotWriteOutputFile, "cannot write the temporary file") }
                status = try Child.run(command.replacingOccurrences(of: "{}", with: path), environment: ProcessInfo.processInfo.environment)
            } else {
                guard mkfifo(path, 0o600) == 0 else { throw KSecretError(.couldNotWriteOutputFile, "cannot create a FIFO in \(directory)") }
                let done = FeedFlag()
                let bytes = plaintext
                let feeder = Thread {
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
                feeder.start()
                status = try Child.run(command.replacingOccurrences(of: "{}", with: path), environment: ProcessInfo.processInfo.environment)
                done.set()
            }
        }
        if status != 0 { throw ExitCode(status) }
    }
}

final class FeedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
    func set() { lock.lock(); value = true; lock.unlock() }
}
