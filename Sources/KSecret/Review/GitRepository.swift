import KSecretSystem

/// Runs git in one repository. Used by the git integration (hooks, diff driver) and the audit.
public struct GitRepository: Sendable {
    public let root: String

    /// The repository containing `directory`, or nil outside one.
    public static func containing(_ directory: String) -> GitRepository? {
        guard let out = try? run(["rev-parse", "--show-toplevel"], in: directory), out.status == 0 else { return nil }
        let root = String(decoding: out.stdout, as: UTF8.self).trimmingWhitespace()
        return root.isEmpty ? nil : GitRepository(root: root)
    }

    public init(root: String) { self.root = root }

    public struct Output: Sendable {
        public var status: Int32
        public var stdout: [UInt8]
        public var stderr: String
    }

    public func run(_ arguments: [String]) throws -> Output { try Self.run(arguments, in: root) }

    static func run(_ arguments: [String], in directory: String) throws -> Output {
        let result: ChildProcess.Result
        do {
            // `git -C`: the directory is git's, not this process's (which other threads share).
            result = try ChildProcess.run("/usr/bin/env", ["git", "-C", directory] + arguments)
        } catch {
            throw KSecretError(.generic, "cannot run git", hints: ["install git"], cause: error)
        }
        return Output(status: result.status, stdout: result.stdout, stderr: result.stderrText)
    }

    /// Paths (relative to the root) added, copied, modified or renamed in the index.
    public func stagedPaths() throws -> [String] {
        let out = try run(["diff", "--cached", "--name-only", "--diff-filter=ACMR", "-z"])
        guard out.status == 0 else { throw KSecretError(.generic, "git diff --cached failed: \(out.stderr.trimmingWhitespace())") }
        return out.stdout.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The staged content of `path` (what the commit would hold).
    public func stagedContent(_ path: String) throws -> [UInt8] {
        let out = try run(["show", ":" + path])
        guard out.status == 0 else { throw KSecretError(.generic, "cannot read the staged \(path)") }
        return out.stdout
    }

    /// The git directory (`.git`, or what a worktree points at).
    public func gitDirectory() throws -> String {
        let out = try run(["rev-parse", "--absolute-git-dir"])
        guard out.status == 0 else { throw KSecretError(.generic, "not a git repository: \(root)") }
        return String(decoding: out.stdout, as: UTF8.self).trimmingWhitespace()
    }
}
