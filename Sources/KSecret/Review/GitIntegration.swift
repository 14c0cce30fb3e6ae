import KSecretSystem

/// `ksecret git install`: a diff driver so `git diff` shows decrypted changes to whoever holds the
/// keys, and a pre-commit hook that refuses plaintext secrets and private keys. Everything it adds
/// is marked, so `uninstall` removes exactly that.
public struct GitIntegration: Sendable {
    public let repository: GitRepository
    /// The absolute path of the ksecret binary the driver and hook run.
    public let executable: String

    static let attributesBegin = "# >>> ksecret: decrypted diffs of encrypted files (ksecret git uninstall removes this block)"
    static let attributesEnd = "# <<< ksecret"
    static let patterns = ["*.yaml", "*.yml", "*.json", "*.env", "*.ini"]
    static let hookMarker = "# installed by ksecret git install"

    public init(repository: GitRepository, executable: String) {
        self.repository = repository
        self.executable = executable
    }

    public func install(force: Bool) throws {
        let hook = try hookPath()
        if let existing = FileManager.default.contents(atPath: hook), !String(decoding: existing, as: UTF8.self).contains(Self.hookMarker), !force {
            throw KSecretError(.generic, "\(hook) exists and is not ksecret's",
                               hints: ["chain it yourself by calling `\(executable) git pre-commit` from it, or pass --force to replace it"])
        }
        try writeAttributes(install: true)
        for (key, value) in [("diff.ksecret.textconv", "\"\(executable)\" git textconv"), ("diff.ksecret.cachetextconv", "false")] {
            let out = try repository.run(["config", "--local", key, value])
            guard out.status == 0 else { throw KSecretError(.generic, "git config \(key) failed: \(out.stderr)") }
        }
        let script = "#!/bin/sh\n\(Self.hookMarker)\nexec \"\(executable)\" git pre-commit\n"
        try FileManager.default.createDirectory(atPath: PathName.deletingLastComponent(hook), withIntermediateDirectories: true)
        try AtomicFile.write(Array(script.utf8), to: hook, mode: 0o755)
        chmod(hook, 0o755)
    }

    public func uninstall() throws {
        try writeAttributes(install: false)
        _ = try repository.run(["config", "--local", "--remove-section", "diff.ksecret"])
        let hook = try hookPath()
        if let existing = FileManager.default.contents(atPath: hook), String(decoding: existing, as: UTF8.self).contains(Self.hookMarker) {
            try FileManager.default.removeItem(atPath: hook)
        }
    }

    private func hookPath() throws -> String { try repository.gitDirectory() + "/hooks/pre-commit" }

    private func writeAttributes(install: Bool) throws {
        let path = repository.root + "/.gitattributes"
        var text = FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
        if let start = text.firstRange(of: Self.attributesBegin), let end = text[start.upperBound...].firstRange(of: Self.attributesEnd + "\n") {
            text.removeSubrange(start.lowerBound..<end.upperBound)
        }
        if install {
            if !text.isEmpty && !text.hasSuffix("\n") { text += "\n" }
            text += Self.attributesBegin + "\n" + Self.patterns.map { "\($0) diff=ksecret" }.joined(separator: "\n") + "\n" + Self.attributesEnd + "\n"
        }
        if text.isEmpty, !FileManager.default.fileExists(atPath: path) { return }
        try AtomicFile.write(Array(text.utf8), to: path, mode: 0o644)
    }

    /// The pre-commit check over the staged files.
    public func preCommitFindings() throws -> [SecretLeakScanner.Finding] {
        let configPath = repository.root + "/.sops.yaml"
        let config = FileManager.default.fileExists(atPath: configPath) ? try SopsConfig.load(path: configPath) : nil
        let allowed = try repository.run(["config", "--get-all", "ksecret.allowedKeyPath"])
        let allowedPaths = String(decoding: allowed.stdout, as: UTF8.self).split(separator: "\n").map(String.init)
        let scanner = SecretLeakScanner(config: config, allowedKeyPaths: allowedPaths)
        var findings: [SecretLeakScanner.Finding] = []
        for path in try repository.stagedPaths() {
            findings += scanner.scan(path: path, absolutePath: repository.root + "/" + path, content: try repository.stagedContent(path))
        }
        return findings
    }
}
