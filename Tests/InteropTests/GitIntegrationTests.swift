import Foundation
import Testing

/// `ksecret git install` in a real repository: `git diff` shows decrypted changes, the pre-commit
/// hook refuses a plaintext secrets file and private key material in a real `git commit`, and
/// `uninstall` removes exactly what was added.
@Suite("git integration", .enabled(if: Peers.ksecret != nil && Peers.find("git") != nil, "needs a built ksecret and git (make deps)"))
struct GitIntegrationTests {
    @Test("diff driver, pre-commit hook in a real commit, and uninstall")
    func installCommitDiffUninstall() throws {
        let dir = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let git = Peers.find("git")!
        let keyFile = dir.appendingPathComponent("keys.txt").path
        let recipient = try Peers.run(Peers.ksecret!, ["keygen", "-o", keyFile]).stderr
            .replacingOccurrences(of: "Public key: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        let repo = dir.appendingPathComponent("repo")
        try FileManager.default.createDirectory(at: repo, withIntermediateDirectories: true)
        let env = ["SOPS_AGE_KEY_FILE": keyFile, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.com",
                   "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.com", "GIT_CONFIG_GLOBAL": "/dev/null"]
        func g(_ args: [String]) throws -> Peers.Result { try Peers.run(git, args, environment: env, directory: repo) }
        func k(_ args: [String]) throws -> Peers.Result { try Peers.run(Peers.ksecret!, args, environment: env, directory: repo) }
        func write(_ name: String, _ text: String) throws { try Data(text.utf8).write(to: repo.appendingPathComponent(name)) }

        #expect(try g(["init", "-q"]).status == 0)
        try write(".sops.yaml", "creation_rules:\n  - path_regex: secrets.*\\.yaml$\n    age: \(recipient)\n")
        try write(".gitattributes", "*.png binary\n")
        let install = try k(["git", "install"])
        try #require(install.status == 0, "\(install.stderr)")
        #expect(try String(contentsOf: repo.appendingPathComponent(".gitattributes"), encoding: .utf8).contains("*.yaml diff=ksecret"))

        // A plaintext secrets file is refused by the hook in a real commit.
        try write("secrets.yaml", "password: hunter2\n")
        #expect(try g(["add", "."]).status == 0)
        let refused = try g(["commit", "-qm", "plain"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("secrets.yaml") && refused.stderr.contains("ksecret encrypt -i secrets.yaml"))
        #expect(!refused.stderr.contains("hunter2"))

        // Encrypted, it goes in; a change shows decrypted in git diff.
        #expect(try k(["encrypt", "-i", "secrets.yaml"]).status == 0)
        #expect(try g(["add", "secrets.yaml"]).status == 0)
        #expect(try g(["commit", "-qm", "encrypted"]).status == 0)
        #expect(try k(["set", "secrets.yaml", #"["password"]"#, #""hunter3""#]).status == 0)
        let diff = try g(["diff"])
        #expect(diff.text.contains("-password: hunter2") && diff.text.contains("+password: hunter3"))
        // Without the key, the diff shows the file as it is.
        let noKey = try Peers.run(git, ["diff"], environment: env.merging(["SOPS_AGE_KEY_FILE": "/nonexistent"]) { $1 }, directory: repo)
        #expect(!noKey.text.contains("hunter3") && noKey.text.contains("ENC[AES256_GCM"))

        // Private key material is refused, unless its path is allowed.
        try FileManager.default.createDirectory(at: repo.appendingPathComponent("demo"), withIntermediateDirectories: true)
        try write("demo/key.txt", try String(contentsOfFile: keyFile, encoding: .utf8))
        #expect(try g(["add", "demo/key.txt"]).status == 0)
        let keyRefused = try g(["commit", "-qm", "key"])
        #expect(keyRefused.status != 0 && keyRefused.stderr.contains("an age identity"))
        #expect(try g(["config", "--add", "ksecret.allowedKeyPath", "demo/"]).status == 0)
        #expect(try g(["commit", "-qm", "demo key"]).status == 0)

        let uninstall = try k(["git", "uninstall"])
        #expect(uninstall.status == 0)
        #expect(try String(contentsOf: repo.appendingPathComponent(".gitattributes"), encoding: .utf8) == "*.png binary\n")
        #expect(!FileManager.default.fileExists(atPath: repo.appendingPathComponent(".git/hooks/pre-commit").path))
        #expect(try g(["config", "--get", "diff.ksecret.textconv"]).status != 0)
    }

    @Test("install refuses to replace someone else's pre-commit hook")
    func foreignHook() throws {
        let dir = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try Peers.run(Peers.find("git")!, ["init", "-q"], directory: dir).status == 0)
        let hook = dir.appendingPathComponent(".git/hooks/pre-commit")
        try Data("#!/bin/sh\necho mine\n".utf8).write(to: hook)
        let r = try Peers.run(Peers.ksecret!, ["git", "install"], directory: dir)
        #expect(r.status == 1 && r.stderr.contains("is not ksecret's"))
        #expect(try String(contentsOf: hook, encoding: .utf8) == "#!/bin/sh\necho mine\n")
    }
}
