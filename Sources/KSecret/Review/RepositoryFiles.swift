import KSecretSystem

/// The files a review or a bulk re-key looks at, and which of them are encrypted.
///
/// Inside a git repository: the tracked files and the untracked ones git does not ignore (what a
/// commit could hold), so build output and ignored scratch files stay out. Outside one: every file
/// under the directory, skipping tool and dependency folders.
public enum RepositoryFiles {
    static let skippedDirectories: Set<String> = [".git", ".build", ".tools", "node_modules", ".swiftpm"]
    /// Files above this size are not read: no secrets file is that large.
    static let sizeLimit = 64 << 20

    /// Absolute paths under `root`, sorted.
    public static func list(root: String) throws -> [String] {
        if let repo = GitRepository.containing(root) {
            let out = try repo.run(["ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", root])
            if out.status == 0 {
                return out.stdout.split(separator: 0).map { repo.root + "/" + String(decoding: $0, as: UTF8.self) }.sorted()
            }
        }
        var result: [String] = []
        walk(root, into: &result)
        return result.sorted()
    }

    /// Every file under `directory` that is not a directory, following symbolic links to files
    /// but not into directories, and skipping `skippedDirectories`.
    private static func walk(_ directory: String, into result: inout [String]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return }
        for name in names where !skippedDirectories.contains(name) {
            let full = directory + "/" + name
            var info = stat()
            guard stat(full, &info) == 0 else { continue }
            if info.st_mode & S_IFMT == S_IFDIR {
                var link = stat()
                if lstat(full, &link) == 0, link.st_mode & S_IFMT != S_IFLNK { walk(full, into: &result) }
            } else {
                result.append(full)
            }
        }
    }

    /// A file parsed far enough to know it carries sops metadata; nil for anything else (plain
    /// files, binaries that are not sops's JSON envelope, unreadable or oversized files).
    public struct Encrypted: Sendable {
        public var path: String
        public var format: FileFormat
        public var content: [UInt8]
        public var parsed: ParsedFile
        public var metadata: Metadata
    }

    public static func encrypted(path: String, relative: String) -> Encrypted? {
        guard let content = try? AtomicFile.read(path), content.count < sizeLimit else { return nil }
        return encrypted(path: path, relative: relative, content: content)
    }

    public static func encrypted(path: String, relative: String, content: [UInt8]) -> Encrypted? {
        let format = FileFormat.forPath(path)
        // Any file without a known extension is "binary": only sops's JSON envelope is worth parsing.
        guard format != .binary || content.first == UInt8(ascii: "{"),
              let parsed = try? format.store.parse(content, path: relative), let node = parsed.metadata,
              let metadata = try? Metadata(node: node) else { return nil }
        return Encrypted(path: path, format: format, content: content, parsed: parsed, metadata: metadata)
    }

    /// `path` relative to `base` when inside it.
    public static func relative(_ path: String, to base: String) -> String {
        path.hasPrefix(base + "/") ? String(path.dropFirst(base.count + 1)) : path
    }
}
