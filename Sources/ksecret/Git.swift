import ArgumentParser
import KSecretSystem
import KSecret

struct Git: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Git integration: decrypted diffs, and a pre-commit hook against plaintext secrets.",
        discussion: HelpText.reflow("""
        Example:
          ksecret git install          # in the repository
          git diff                     # shows decrypted changes of encrypted files you hold keys for
          git config --add ksecret.allowedKeyPath keys-example/   # where demo keys may be committed
        """),
        subcommands: [GitInstall.self, GitUninstall.self, GitTextconv.self, GitPreCommit.self])
}

/// The path of the running binary, for what git runs later.
enum SelfPath {
    static var executable: String {
        if let path = ExecutablePath.current() { return path }
        return URL(fileURLWithPath: CommandLine.arguments[0]).standardizedFileURL.path
    }
}

func currentRepository() throws -> GitRepository {
    guard let repo = GitRepository.containing(FileManager.default.currentDirectoryPath) else {
        throw KSecretError(.generic, "not inside a git repository", hints: ["run this in the repository's working tree"])
    }
    return repo
}

struct GitInstall: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "install", abstract: "Install the diff driver and the pre-commit hook.")
    @Flag(help: "Replace a pre-commit hook that is not ksecret's.") var force = false

    func run() throws {
        try Diagnostics.run {
            let repo = try currentRepository()
            try GitIntegration(repository: repo, executable: SelfPath.executable).install(force: force)
            StandardStreams.writeError("ksecret: installed the diff driver (.gitattributes, git config diff.ksecret) and the pre-commit hook in \(repo.root)\n")
        }
    }
}

struct GitUninstall: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "uninstall", abstract: "Remove what `ksecret git install` added.")

    func run() throws {
        try Diagnostics.run {
            try GitIntegration(repository: try currentRepository(), executable: SelfPath.executable).uninstall()
        }
    }
}

struct GitTextconv: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "textconv", abstract: "Print a file decrypted when possible (git's diff driver).",
                                                    shouldDisplay: false)
    @Argument var file: String

    func run() throws {
        try Diagnostics.run {
            let bytes = try AtomicFile.read(file)
            let format = FileFormat.forPath(file)
            // git names the file by a temp path; the format comes from its content when it has metadata.
            guard SecretsEngine.isEncrypted(bytes, path: file, format: format),
                  let opened = try? SecretsEngine(environment: KSecretEnvironment()).open(bytes, path: file, format: format, forRewrite: false),
                  let plain = try? opened.plaintext(format: format) else {
                Output.write(bytes)   // not encrypted, or no key at hand: the file as it is
                return
            }
            Output.write(plain)
        }
    }
}

struct GitPreCommit: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "pre-commit", abstract: "Refuse a commit that adds plaintext secrets or private keys.",
                                                    shouldDisplay: false)

    func run() throws {
        try Diagnostics.run {
            let findings = try GitIntegration(repository: try currentRepository(), executable: SelfPath.executable).preCommitFindings()
            guard !findings.isEmpty else { return }
            var lines = ["ksecret: error: the commit would add secrets in the clear:"]
            for f in findings {
                lines.append("  \(f.path): \(f.detail)")
                lines.append("ksecret: hint: \(f.fix)")
            }
            StandardStreams.writeError((lines.joined(separator: "\n") + "\n"))
            throw ExitCode(1)
        }
    }
}
