#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KSecretSystem

/// What lets an interrupted `rotate --all` be finished without rotating again what it did.
///
/// Policy: the journal holds no secret. It is a 0600 file of JSON lines, one per file rotated: the
/// path (relative to the repository root or the rotated directory) and the file's new `sops.mac`
/// (the encrypted MAC, as stored in the file). Each line is appended and fsynced right after the
/// file's atomic write. A resumed run skips a file only when its current `sops.mac` is the one
/// journaled, i.e. the file still holds exactly what the interrupted run wrote; a file changed or
/// restored since is rotated again. A kill between a file's write and its journal line makes that
/// one file rotate twice, which is harmless. The journal is removed when a run leaves no file
/// failed or undone.
///
/// Where: `--state FILE`, else `<git dir>/ksecret/rotate-all.journal` inside a repository, else
/// `.ksecret-rotate-all.journal` in the rotated directory.
public final class RotationJournal: @unchecked Sendable {
    public struct Entry: Codable, Sendable, Equatable {
        public var file: String
        public var mac: String

        public init(file: String, mac: String) {
            self.file = file
            self.mac = mac
        }
    }

    public let path: String
    private let lock = Lock()
    private var fd: Int32 = -1

    public init(path: String) { self.path = path }

    deinit { if fd >= 0 { close(fd) } }

    /// The default place for `root`'s journal.
    public static func defaultPath(root: String) -> String {
        if let repo = GitRepository.containing(root), let gitDir = try? repo.gitDirectory() {
            return gitDir + "/ksecret/rotate-all.journal"
        }
        return root + "/.ksecret-rotate-all.journal"
    }

    /// The entries of an earlier run; empty when there is no journal. Lines that do not parse (the
    /// last one of a killed run may be cut short) are ignored.
    public func entries() throws -> [Entry] {
        guard FileManager.default.fileExists(atPath: path) else { return [] }
        let text = String(decoding: try AtomicFile.read(path), as: UTF8.self)
        let decoder = JSONDecoder()
        return text.split(separator: "\n").compactMap { try? decoder.decode(Entry.self, from: Data($0.utf8)) }
    }

    /// Starts writing: keeps the earlier entries when `resume`, else starts an empty journal.
    public func open(resume: Bool) throws {
        let directory = PathName.deletingLastComponent(path)
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (resume ? 0 : O_TRUNC)
        fd = Glibc.open(path, flags, 0o600)
        guard fd >= 0 else {
            throw KSecretError(.couldNotWriteOutputFile, "cannot write the rotation journal: \(String(cString: strerror(errno)))",
                               hints: ["give another place with --state FILE"], location: SourceLocation(file: path))
        }
        fchmod(fd, 0o600)
    }

    /// Appends one rotated file and syncs it to disk.
    public func record(_ entry: Entry) throws {
        var line = try JSONEncoder().encode(entry)
        line.append(0x0A)
        try lock.withLock {
            let written = line.withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) }
            guard written == line.count, fsync(fd) == 0 else {
                throw KSecretError(.couldNotWriteOutputFile, "cannot append to the rotation journal: \(String(cString: strerror(errno)))",
                                   location: SourceLocation(file: path))
            }
        }
    }

    public func remove() {
        lock.withLock {
            if fd >= 0 { close(fd); fd = -1 }
            unlink(path)
        }
    }
}
