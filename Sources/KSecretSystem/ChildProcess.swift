/// Runs a program to its end with posix_spawn: its standard streams inherited, sent to /dev/null,
/// or connected to pipes that are written and read together.
///
/// Standard input, output and error are served by one poll loop, so a child that fills one pipe
/// while ksecret waits on another cannot deadlock it. The child starts with SIGPIPE at its default
/// and no signal blocked, whatever ksecret inherited (a parent that ignores SIGPIPE would otherwise
/// pass that on, and a pipeline in the child such as `yes | head` would never end).
public enum ChildProcess {
    public enum Input: Sendable {
        case inherit, null
        /// Written to the child's standard input, which is then closed. Never put a secret in
        /// the arguments: this is how secrets reach a child.
        case bytes([UInt8])
    }

    public enum Output: Sendable {
        case inherit, null, capture
    }

    public struct Result: Sendable {
        /// The exit status, or 128 plus the signal that ended the child (as a shell reports it).
        public var status: Int32
        public var stdout: [UInt8]
        public var stderr: [UInt8]

        public var succeeded: Bool { status == 0 }
        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

    /// Runs `executable` (a path; use `/usr/bin/env` to search PATH) with `arguments`, in
    /// `environment` (ksecret's own when nil). Throws only when the program cannot be started.
    public static func run(_ executable: String, _ arguments: [String], environment: [String: String]? = nil,
                           stdin: Input = .null, stdout: Output = .capture, stderr: Output = .capture) throws(SystemCallError) -> Result {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        var attributes = SpawnAttributes()

        // Parent ends of the pipes, and child ends to close once the child has them.
        var parentEnds: [Int32: Int32] = [:]   // child fd -> parent's end
        var childEnds: [Int32] = []
        defer { (childEnds + parentEnds.values).forEach { close($0) } }

        func connect(_ fd: Int32, pipe wanted: Bool, null: Bool) throws(SystemCallError) {
            if null {
                posix_spawn_file_actions_addopen(&actions, fd, "/dev/null", fd == STDIN_FILENO ? O_RDONLY : O_WRONLY, 0)
            } else if wanted {
                var ends: [Int32] = [-1, -1]
                guard pipe(&ends) == 0 else { throw SystemCallError("pipe") }
                // Close-on-exec, so that no other child started meanwhile holds an end open.
                ends.forEach { _ = fcntl($0, F_SETFD, FD_CLOEXEC) }
                let (childEnd, parentEnd) = fd == STDIN_FILENO ? (ends[0], ends[1]) : (ends[1], ends[0])
                childEnds.append(childEnd)
                parentEnds[fd] = parentEnd
                posix_spawn_file_actions_adddup2(&actions, childEnd, fd)
            }
        }
        var input: [UInt8] = []
        switch stdin {
        case .inherit: try connect(STDIN_FILENO, pipe: false, null: false)
        case .null: try connect(STDIN_FILENO, pipe: false, null: true)
        case .bytes(let bytes): input = bytes; try connect(STDIN_FILENO, pipe: true, null: false)
        }
        try connect(STDOUT_FILENO, pipe: stdout == .capture, null: stdout == .null)
        try connect(STDERR_FILENO, pipe: stderr == .capture, null: stderr == .null)

        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments).map { strdup($0) } + [nil]
        let envp: [UnsafeMutablePointer<CChar>?]? = environment.map { $0.map { strdup($0.key + "=" + $0.value) } + [nil] }
        defer {
            argv.forEach { free($0) }
            for entry in envp ?? [] {
                // The environment may hold secrets (a token): clear it before the memory goes back.
                if let entry { memset(entry, 0, strlen(entry)) }
                free(entry)
            }
        }
        var pid = pid_t()
        let spawned: Int32
        if let envp {
            spawned = posix_spawn(&pid, executable, &actions, &attributes.value, argv, envp)
        } else {
            spawned = posix_spawn(&pid, executable, &actions, &attributes.value, argv, environ)
        }
        guard spawned == 0 else { throw SystemCallError("posix_spawn \(executable)", code: spawned) }
        childEnds.forEach { close($0) }
        childEnds = []

        var result = Result(status: 0, stdout: [], stderr: [])
        exchange(input: input, ends: &parentEnds, result: &result)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // The wait status: the low seven bits are the signal that ended the child, or 0 for an exit.
        let signal = status & 0x7f
        result.status = signal == 0 ? (status >> 8) & 0xff : 128 + signal
        return result
    }

    /// Writes `input` to the child's standard input and reads its output and error, until all are done.
    private static func exchange(input: [UInt8], ends: inout [Int32: Int32], result: inout Result) {
        var written = 0
        if let fd = ends[STDIN_FILENO] {
            // A child that exits without reading its input must not kill ksecret with SIGPIPE: the
            // write fails with EPIPE instead.
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
            var pipeSignal = sigset_t(), previous = sigset_t()
            sigemptyset(&pipeSignal)
            sigaddset(&pipeSignal, SIGPIPE)
            pthread_sigmask(SIG_BLOCK, &pipeSignal, &previous)
            defer {
                // Consume a SIGPIPE raised while it was blocked, then restore the mask.
                var pending = sigset_t()
                sigpending(&pending)
                if sigismember(&pending, SIGPIPE) == 1 {
                    var caught: Int32 = 0
                    sigwait(&pipeSignal, &caught)
                }
                pthread_sigmask(SIG_SETMASK, &previous, nil)
            }
            if input.isEmpty { close(fd); ends[STDIN_FILENO] = nil }
            run(input: input, written: &written, ends: &ends, result: &result)
        } else {
            run(input: input, written: &written, ends: &ends, result: &result)
        }
    }

    private static func run(input: [UInt8], written: inout Int, ends: inout [Int32: Int32], result: inout Result) {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        // What a child prints may be a secret (SOPS_AGE_KEY_CMD prints keys): clear the read buffer.
        defer { chunk.withUnsafeMutableBytes { _ = memset($0.baseAddress!, 0, $0.count) } }
        while !ends.isEmpty {
            var fds = ends.map { pollfd(fd: $0.value, events: Int16($0.key == STDIN_FILENO ? POLLOUT : POLLIN), revents: 0) }
            let ready = poll(&fds, nfds_t(fds.count), -1)
            if ready < 0 {
                if errno == EINTR { continue }
                break
            }
            for entry in fds where entry.revents != 0 {
                guard let which = ends.first(where: { $0.value == entry.fd })?.key else { continue }
                if which == STDIN_FILENO {
                    let n = input.withUnsafeBytes { systemWrite(entry.fd, $0.baseAddress! + written, input.count - written) }
                    if n > 0 { written += n }
                    if n < 0, errno == EAGAIN || errno == EINTR { continue }
                    if n < 0 || written == input.count {
                        close(entry.fd)
                        ends[which] = nil
                    }
                } else {
                    let n = chunk.withUnsafeMutableBytes { systemRead(entry.fd, $0.baseAddress, $0.count) }
                    if n < 0, errno == EINTR || errno == EAGAIN { continue }
                    if n <= 0 {
                        close(entry.fd)
                        ends[which] = nil
                    } else if which == STDOUT_FILENO {
                        result.stdout.append(contentsOf: chunk[..<n])
                    } else {
                        result.stderr.append(contentsOf: chunk[..<n])
                    }
                }
            }
        }
    }

    /// posix_spawn attributes that start a child with SIGPIPE at its default and no signal
    /// blocked, whatever this process inherited or set. Keep it alive across the spawn.
    public final class SpawnAttributes {
        public var value = posix_spawnattr_t()

        public init() {
            posix_spawnattr_init(&value)
            var defaults = sigset_t(), none = sigset_t()
            sigemptyset(&defaults)
            sigaddset(&defaults, SIGPIPE)
            sigemptyset(&none)
            posix_spawnattr_setsigdefault(&value, &defaults)
            posix_spawnattr_setsigmask(&value, &none)
            posix_spawnattr_setflags(&value, Int16(POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        }

        deinit { posix_spawnattr_destroy(&value) }
    }
}
