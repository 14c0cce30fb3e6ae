import KSecretSystem
import KSecret
#if canImport(Glibc)
import Glibc
#endif

/// A fresh 0700 directory in `$TMPDIR` for one file of plaintext (the editor's copy, exec-file's FIFO
/// or file) that must not outlive ksecret.
///
/// It is removed by `remove()` on every normal and error path, and by a handler for SIGINT, SIGTERM
/// and SIGHUP (a disposition that was SIG_IGN, as under `nohup`, is left alone; a blocked one is
/// unblocked). While a command
/// registered with `attach(child:)` runs, the handler forwards the signal to it instead, so the
/// command ends first and the caller cleans up after it. SIGKILL cannot be caught: the directory is
/// named after ksecret's pid (`ksecret-<kind>-<pid>-XXXXXX`), and the next edit or exec removes those
/// of this user whose process is gone.
final class ScratchDirectory {
    let directory: String
    let path: String
    private static let kinds = ["edit", "exec"]
    private static let signals = [SIGINT, SIGTERM, SIGHUP]
    nonisolated(unsafe) private static var cleanupPaths: (UnsafeMutablePointer<CChar>, UnsafeMutablePointer<CChar>)?
    nonisolated(unsafe) private static var child: pid_t = 0
    nonisolated(unsafe) private static var handled: [Int32] = []
    nonisolated(unsafe) private static var inheritedMask = sigset_t()

    init(kind: String, fileName: String) throws {
        precondition(Self.kinds.contains(kind))
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        Self.removeAbandoned(in: base)
        var template = Array((base + "/ksecret-\(kind)-\(getpid())-XXXXXX").utf8CString)
        guard let dir = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw KSecretError(.couldNotWriteOutputFile, "cannot create a private temporary directory in \(base)",
                               hints: ["set TMPDIR to a writable directory"])
        }
        directory = String(cString: dir)
        chmod(directory, 0o700)
        path = directory + "/" + fileName
        Self.cleanupPaths = (strdup(path)!, strdup(directory)!)
        Self.handled = []
        Self.child = 0  // set here, so the handler never runs a static's lazy initializer
        for sig in Self.signals {
            var current = sigaction()
            guard sigaction(sig, nil, &current) == 0,
                  unsafeBitCast(current.__sigaction_handler.sa_handler, to: Int.self) != unsafeBitCast(SIG_IGN, to: Int.self) else { continue }
            signal(sig) { signo in
                if ScratchDirectory.child > 0 {
                    kill(ScratchDirectory.child, signo)
                    return
                }
                if let (file, dir) = ScratchDirectory.cleanupPaths { unlink(file); rmdir(dir) }
                _exit(128 + signo)
            }
            Self.handled.append(sig)
        }
        // A parent may start ksecret with these signals blocked (a program spawning from a
        // libdispatch worker thread passes on its mask); a blocked signal would wait forever.
        var unblock = sigset_t()
        sigemptyset(&unblock)
        for sig in Self.handled { sigaddset(&unblock, sig) }
        pthread_sigmask(SIG_UNBLOCK, &unblock, &Self.inheritedMask)
    }

    /// While `child` runs, a signal to ksecret goes to it; pass 0 once it has ended.
    static func attach(child pid: pid_t) { child = pid }

    /// Removes the file and the directory, and gives the signals back their default.
    func remove() {
        Self.child = 0
        unlink(path)
        rmdir(directory)
        if let (file, dir) = Self.cleanupPaths { free(file); free(dir); Self.cleanupPaths = nil }
        for sig in Self.handled { signal(sig, SIG_DFL) }
        pthread_sigmask(SIG_SETMASK, &Self.inheritedMask, nil)
        Self.handled = []
    }

    /// Removes the scratch directories of this user's earlier ksecret processes that no longer run
    /// (killed with SIGKILL, or by a power cut in a tmpfs-less /tmp): their plaintext must not stay.
    static func removeAbandoned(in base: String) {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: base) else { return }
        for entry in entries {
            guard let prefix = kinds.map({ "ksecret-\($0)-" }).first(where: { entry.hasPrefix($0) }) else { continue }
            let rest = entry.dropFirst(prefix.count)
            guard let dash = rest.firstIndex(of: "-"), let pid = pid_t(rest[..<dash]), pid > 0, pid != getpid() else { continue }
            guard kill(pid, 0) != 0, errno == ESRCH else { continue }
            let dir = base + "/" + entry
            var st = stat()
            guard lstat(dir, &st) == 0, (st.st_mode & S_IFMT) == S_IFDIR, st.st_uid == getuid() else { continue }
            for file in (try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [] { unlink(dir + "/" + file) }
            rmdir(dir)
        }
    }
}
