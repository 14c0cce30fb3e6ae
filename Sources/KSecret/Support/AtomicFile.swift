#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KSecretSystem

/// File reads and crash-safe writes.
///
/// Policy: an in-place write never leaves a half-written file. The new bytes go to a temp file in
/// the same directory (so the rename stays on one file system), created 0600 and then given the
/// original file's extended attributes (ACL, security labels), owner, group and mode, are
/// fsynced, and replace the original with `rename(2)`; the directory is fsynced after. Any
/// failure removes the temp file and leaves the original untouched. A file with several hard
/// links is refused: the rename would replace one name and leave the others with the old
/// content (after `encrypt -i`, the plaintext).
public enum AtomicFile {
    public static func read(_ path: String) throws -> [UInt8] {
        try read(path, what: "the file", failure: nil)
    }

    /// Reads a file that is not a document: an identity or key file, a configuration. The message
    /// names it (`what`), and with `failure` every error carries that code (a key file that cannot
    /// be read is a missing key, exit 128). Pipes read as files do, so `SOPS_AGE_KEY_FILE=<(pass
    /// show age)` works as with sops.
    public static func read(_ path: String, what: String, failure: KSecretError.Code?) throws -> [UInt8] {
        var st = stat()
        guard stat(path, &st) == 0 else {
            throw KSecretError(failure ?? .noFileSpecified, "cannot open \(what): \(String(cString: strerror(errno)))",
                               location: SourceLocation(file: path))
        }
        if (st.st_mode & S_IFMT) == S_IFDIR {
            throw KSecretError(failure ?? .noFileSpecified, what == "the file" ? "this is a directory, not a file" : "\(what) is a directory", location: SourceLocation(file: path))
        }
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw KSecretError(failure ?? .couldNotReadInputFile, "cannot read \(what): \(String(cString: strerror(errno)))",
                               location: SourceLocation(file: path))
        }
        defer { close(fd) }
        // One read of the size stat gave, then more until EOF (the file may be growing, or a pipe).
        var bytes = [UInt8](repeating: 0, count: max(Int(st.st_size), 0) + 1)
        var count = 0
        while true {
            if count == bytes.count { bytes.append(contentsOf: repeatElement(0, count: max(bytes.count, 4096))) }
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + count, $0.count - count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw KSecretError(failure ?? .couldNotReadInputFile, "cannot read \(what): \(String(cString: strerror(errno)))",
                                   location: SourceLocation(file: path))
            }
            if n == 0 { break }
            count += n
        }
        bytes.removeSubrange(count...)
        return bytes
    }

    /// A write failure injected for the tests where the machine cannot make a real one (no tmpfs
    /// mount, or root, for whom a 0555 directory is writable): `KSECRET_FAULT_INJECT=ENOSPC` fails
    /// the temp file's write, `EROFS` its creation. Hidden: not for users, documented only in
    /// Documentation/Robustness.md.
    static func injectedFault(_ stage: String) -> Int32? {
        guard let value = getenv("KSECRET_FAULT_INJECT").map({ String(cString: $0) }) else { return nil }
        switch (value, stage) {
        case ("ENOSPC", "write"): return ENOSPC
        case ("EROFS", "create"): return EROFS
        default: return nil
        }
    }

    /// Replaces `path` with `bytes` atomically, keeping its extended attributes, mode, owner and
    /// group (or `mode` for a new file).
    /// A symbolic link is written through: its target gets the bytes and the link stays, as sops
    /// (which truncates and writes) leaves it.
    public static func write(_ bytes: [UInt8], to link: String, mode newFileMode: mode_t = 0o600) throws {
        let path = symlinkTarget(link) ?? link
        let url = URL(fileURLWithPath: path)
        let directory = url.deletingLastPathComponent().path
        var st = stat()
        let existing = stat(path, &st) == 0
        let mode: mode_t = existing ? st.st_mode & 0o7777 : newFileMode
        if existing, (st.st_mode & S_IFMT) == S_IFREG, st.st_nlink > 1 {
            throw KSecretError(.couldNotWriteOutputFile,
                               "the file has \(st.st_nlink) hard links: replacing it would leave the other names with the old content",
                               hints: ["make it a file of its own first: cp -p FILE FILE.copy && mv FILE.copy FILE",
                                       "the file was not changed"],
                               location: SourceLocation(file: path))
        }
        removeStaleTemporaries(directory: directory, name: url.lastPathComponent)
        var template = Array((directory + "/." + url.lastPathComponent + ".ksecret-XXXXXX").utf8CString)
        var fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd >= 0, let fault = injectedFault("create") {
            close(fd)
            template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
            fd = -1
            errno = fault
        }
        guard fd >= 0 else {
            throw KSecretError(.couldNotWriteOutputFile, "cannot create a temporary file next to it: \(String(cString: strerror(errno)))",
                               hints: ["the directory must be writable; the original file was not changed"], location: SourceLocation(file: path))
        }
        let tempPath = String(cString: template.withUnsafeBufferPointer { $0.baseAddress! })
        var committed = false
        defer {
            if !committed { unlink(tempPath) }
        }
        func fail(_ what: String) -> KSecretError {
            let reason = String(cString: strerror(errno))
            close(fd)
            return KSecretError(.couldNotWriteOutputFile, "cannot write the file: \(what): \(reason)",
                                hints: ["the original file was not changed"], location: SourceLocation(file: path))
        }
        var offset = 0
        if let fault = injectedFault("write") { errno = fault; throw fail("write failed") }
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0 { if errno == EINTR { continue }; throw fail("write failed") }
            offset += n
        }
        // The extended attributes first: a POSIX ACL (system.posix_acl_access) grants named users
        // access and, once dropped, the mode's group bits (its mask) would go to the owning group.
        // SELinux labels too. Best effort: one the caller may not set is skipped, as any new file.
        if existing { ExtendedAttributes.copy(from: path, to: fd) }
        // The file keeps its owner and group too, as sops's write in place does: root editing a
        // deploy user's file must not hand it to root. Who may not give a file away (EPERM) keeps
        // the default, as any new file of theirs. Before fchmod: chown clears set-id bits.
        if existing { _ = fchown(fd, st.st_uid, st.st_gid) }
        guard fchmod(fd, mode) == 0 else { throw fail("chmod failed") }
        guard fsync(fd) == 0 else { throw fail("fsync failed") }
        guard close(fd) == 0 else {
            throw KSecretError(.couldNotWriteOutputFile, "cannot write the file: close failed", location: SourceLocation(file: path))
        }
        guard rename(tempPath, path) == 0 else {
            throw KSecretError(.couldNotWriteOutputFile, "cannot replace the file: \(String(cString: strerror(errno)))",
                               hints: ["the original file was not changed"], location: SourceLocation(file: path))
        }
        committed = true
        let dirfd = open(directory.isEmpty ? "." : directory, O_RDONLY)
        if dirfd >= 0 { fsync(dirfd); close(dirfd) }
    }

    /// Where a symbolic link at `path` points, resolved to the file that is written (nil when
    /// `path` is not a link). Renaming onto the link itself would replace the link with a file and
    /// leave its target as it was: `encrypt -i` of a linked secrets file left it in clear text.
    static func symlinkTarget(_ path: String) -> String? {
        var st = stat()
        guard lstat(path, &st) == 0, (st.st_mode & S_IFMT) == S_IFLNK else { return nil }
        if let resolved = realpath(path, nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        // A dangling link: its target (relative to the link's directory) is created.
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n > 0 else { return nil }
        let target = String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if target.hasPrefix("/") { return target }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        return directory + "/" + target
    }

    /// Removes what a killed earlier write of the same file left behind (`.NAME.ksecret-XXXXXX`):
    /// a crash between creating the temp file and renaming it cannot clean up after itself.
    static func removeStaleTemporaries(directory: String, name: String) {
        let prefix = "." + name + ".ksecret-"
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: directory.isEmpty ? "." : directory) else { return }
        for entry in entries where entry.hasPrefix(prefix) && entry.count == prefix.count + 6 {
            unlink((directory.isEmpty ? "." : directory) + "/" + entry)
        }
    }
}
