import Foundation
import Testing

/// Traces the file system calls and writes of ksecret and its children with strace
/// (`-f -y -e trace=%file,write,writev,pwrite64`): the decrypted values are written only to pipes,
/// sockets, terminals, devices and FIFOs ksecret made, never to a regular file. Covers `decrypt`,
/// `exec-env`, `exec-file` (FIFO), the helm downloader as helm runs it, and the `helm secrets`
/// wrapper; a control run proves the detector catches a plaintext write.
@Suite("no plaintext on disk", .enabled(if: Peers.ksecret != nil && Peers.find("strace") != nil, "needs a built ksecret and strace (make deps)"))
struct NoPlaintextOnDiskTests {
    static let demoKey = Peers.repoRoot.appendingPathComponent("keys-example/age.txt").path
    static let demoPlain = Peers.repoRoot.appendingPathComponent("keys-example/chart-secrets.yaml")
    static let chart = Peers.repoRoot.appendingPathComponent("charts/django-app")
    /// Two values of the demo secrets, as strace prints them (ASCII, so no escapes).
    static let demoSecrets = ["p@ss:w/rd?#[]%+ &= ", "0123456789abcdef0123456789abcdef"]

    struct Trace {
        var result: Peers.Result
        var lines: [Substring]

        /// Paths the traced processes created as FIFOs.
        var fifos: Set<String> {
            Set(lines.filter { $0.contains("mknod") && $0.contains("S_IFIFO") }.compactMap { line in
                line.split(separator: "\"").dropFirst().first.map(String.init)
            })
        }

        /// Writes that carry one of `secrets` to something that is not a pipe, socket, terminal,
        /// device or one of the traced FIFOs: a regular file (strace -y prints each fd's target).
        func plaintextWrites(_ secrets: [String]) -> [String] {
            let fifos = self.fifos
            return lines.compactMap { line -> String? in
                guard line.contains("write(") || line.contains("writev(") || line.contains("pwrite64("),
                      secrets.contains(where: { line.contains($0) }),
                      let open = line.firstIndex(of: "<"), let close = line[open...].firstIndex(of: ">") else { return nil }
                let target = String(line[line.index(after: open)..<close])
                if target.hasPrefix("pipe:") || target.hasPrefix("socket:") || target.hasPrefix("anon_inode:")
                    || target.hasPrefix("/dev/") || fifos.contains(target) { return nil }
                return String(line.prefix(200))
            }
        }
    }

    static func trace(_ executable: String, _ args: [String], environment: [String: String], directory: URL) throws -> Trace {
        let file = directory.appendingPathComponent("strace-\(UUID().uuidString).txt").path
        let r = try Peers.run(Peers.find("strace")!, ["-f", "-qq", "-y", "-s", "4096", "-e", "trace=%file,write,writev,pwrite64",
                                                      "-o", file, executable] + args, environment: environment, directory: directory)
        let text = try String(contentsOfFile: file, encoding: .utf8)
        try? FileManager.default.removeItem(atPath: file)
        return Trace(result: r, lines: text.split(separator: "\n"))
    }

    /// A fresh directory with an age key; `plain` encrypted there as `name`.
    static func setUp(_ name: String, _ plain: String) throws -> (dir: URL, path: String, env: [String: String]) {
        let dir = try Peers.temporaryDirectory()
        let keyFile = dir.appendingPathComponent("keys.txt").path
        let gen = try Peers.run(Peers.ksecret!, ["keygen", "-o", keyFile])
        let recipient = gen.stderr.replacingOccurrences(of: "Public key: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        let path = dir.appendingPathComponent(name).path
        try Data(plain.utf8).write(to: URL(fileURLWithPath: path))
        let env = ["SOPS_AGE_KEY_FILE": keyFile]
        let r = try Peers.run(Peers.ksecret!, ["encrypt", "-i", "--age", recipient, path], environment: env)
        try #require(r.status == 0, "\(r.stderr)")
        return (dir, path, env)
    }

    @Test("decrypt to stdout writes to no file", arguments: ["yaml", "json", "env"])
    func decryptWritesNoFile(ext: String) throws {
        let secret = "s3cr3t-value-\(UUID().uuidString)"
        let plain: String
        switch ext {
        case "json": plain = "{\"password\": \"\(secret)\"}\n"
        case "env": plain = "PASSWORD=\(secret)\n"
        default: plain = "password: \(secret)\n"
        }
        let (dir, path, env) = try Self.setUp("s.\(ext)", plain)
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try Self.trace(Peers.ksecret!, ["decrypt", path], environment: env, directory: dir)
        #expect(t.result.status == 0)
        #expect(t.result.text.contains(secret))
        let writing = t.lines.filter { $0.contains("O_WRONLY") || $0.contains("O_RDWR") || $0.contains("O_CREAT") || $0.contains("creat(")
            || $0.contains("rename") || $0.contains("unlink") || $0.contains("mknod") }
        #expect(writing.isEmpty, "\(writing)")
        #expect(t.plaintextWrites([secret]).isEmpty, "\(t.plaintextWrites([secret]))")
    }

    @Test("the detector catches a plaintext write to a regular file (control)")
    func detectorCatchesALeak() throws {
        let secret = "leak-control-\(UUID().uuidString)"
        let (dir, path, env) = try Self.setUp("s.env", "SECRET=\(secret)\n")
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try Self.trace(Peers.ksecret!, ["exec-env", path, #"printf '%s' "$SECRET" > leaked.txt"#], environment: env, directory: dir)
        #expect(t.result.status == 0)
        #expect(t.plaintextWrites([secret]).count == 1, "the detector missed the child's write to leaked.txt")
    }

    @Test("exec-env: the values reach the child's environment, and no file")
    func execEnv() throws {
        let secret = "exec-env-\(UUID().uuidString)"
        let (dir, path, env) = try Self.setUp("s.env", "SECRET=\(secret)\n")
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try Self.trace(Peers.ksecret!, ["exec-env", path, #"test "$SECRET" = "\#(secret)" && echo "$SECRET""#], environment: env, directory: dir)
        #expect(t.result.status == 0 && t.result.text.contains(secret))
        #expect(t.plaintextWrites([secret]).isEmpty, "\(t.plaintextWrites([secret]))")
        #expect(!t.lines.contains { $0.contains("O_CREAT") && $0.contains(dir.path) && !$0.contains("strace-") }, "a file was created in the work directory")
    }

    @Test("exec-file: the plaintext goes through a FIFO, never a regular file")
    func execFile() throws {
        let secret = "exec-file-\(UUID().uuidString)"
        let (dir, path, env) = try Self.setUp("s.yaml", "a:\n  b: \(secret)\n")
        defer { try? FileManager.default.removeItem(at: dir) }
        let t = try Self.trace(Peers.ksecret!, ["exec-file", path, "cat {}"], environment: env, directory: dir)
        #expect(t.result.status == 0 && t.result.text.contains(secret))
        #expect(!t.fifos.isEmpty, "no FIFO was made")
        #expect(t.lines.contains { $0.contains(secret) && t.fifos.contains(where: $0.contains) }, "the plaintext did not go through the FIFO")
        #expect(t.plaintextWrites([secret]).isEmpty, "\(t.plaintextWrites([secret]))")
    }

    @Test("the helm downloader, run as helm runs it, prints the plaintext and writes no file")
    func helmDownloader() throws {
        let dir = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = try Self.demoEncrypted(in: dir)
        let t = try Self.trace(Peers.ksecret!, ["helm", "downloader", "", "", "", "secrets://" + file],
                               environment: ["SOPS_AGE_KEY_FILE": Self.demoKey], directory: dir)
        #expect(t.result.status == 0, "\(t.result.stderr)")
        #expect(Self.demoSecrets.allSatisfy { t.result.text.contains($0) })
        #expect(t.plaintextWrites(Self.demoSecrets).isEmpty, "\(t.plaintextWrites(Self.demoSecrets))")
    }

    static func demoEncrypted(in dir: URL) throws -> String {
        let recipient = try String(contentsOfFile: demoKey, encoding: .utf8).split(separator: "\n")
            .first { $0.hasPrefix("# public key: ") }.map { String($0.dropFirst("# public key: ".count)) } ?? ""
        let r = try Peers.run(Peers.ksecret!, ["encrypt", "--age", recipient, "--input-type", "yaml", "--output-type", "yaml", "/dev/stdin"],
                              stdin: [UInt8](try Data(contentsOf: demoPlain)))
        try #require(r.status == 0, "\(r.stderr)")
        let path = dir.appendingPathComponent("secrets.yaml").path
        try Data(r.stdout).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("helm template -f secrets://, helm secrets template and helm secrets decrypt write no plaintext file",
          .enabled(if: Peers.find("helm3") != nil, "needs .tools/bin/helm3: run `make peers`"))
    func helmWrapper() throws {
        let dir = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = try Self.demoEncrypted(in: dir)
        let home = dir.appendingPathComponent("home").path
        let env = ["HELM_DATA_HOME": home + "/data", "HELM_CONFIG_HOME": home + "/config", "HELM_CACHE_HOME": home + "/cache",
                   "HELM_PLUGINS": home + "/data/plugins", "SOPS_AGE_KEY_FILE": Self.demoKey]
        let helm = Peers.find("helm3")!
        let installed = try Peers.run(Peers.ksecret!, ["helm", "install-plugins", "--helm", helm], environment: env)
        try #require(installed.status == 0, "\(installed.stderr)")
        for args in [["template", "demo", Self.chart.path, "-f", "secrets://" + file],
                     ["secrets", "template", "demo", Self.chart.path, "-f", file],
                     ["secrets", "decrypt", file]] {
            let t = try Self.trace(helm, args, environment: env, directory: dir)
            #expect(t.result.status == 0, "helm \(args[0]) \(args[1]): \(t.result.stderr)")
            #expect(t.lines.contains { $0.contains("execve(") && $0.contains(Peers.ksecret!) || $0.contains("/ksecret\"") },
                    "helm \(args.prefix(2)) did not run ksecret")
            let leaks = t.plaintextWrites(Self.demoSecrets)
            #expect(leaks.isEmpty, "helm \(args.prefix(2)): \(leaks)")
        }
    }
}

/// The leak check every CLI run of the suites goes through (`LeakCheck` in Peers.swift).
@Suite("secret values never in ksecret's messages", .enabled(if: Peers.ksecret != nil, "needs a built ksecret (swift build)"))
struct LeakCheckTests {
    @Test("the leak check flags a marked secret in stderr, or in stdout of a command that never prints plaintext")
    func flagsLeaks() {
        let secret = "s3cr3t-leak-check"
        let onStderr = Peers.Result(status: 1, stdout: [], stderr: "ksecret: error: bad value \(secret)")
        #expect(LeakCheck.leaks(["set", "f.yaml"], onStderr) == ["stderr"])
        let onStdout = Peers.Result(status: 0, stdout: Array("x: \(secret)\n".utf8), stderr: "")
        #expect(LeakCheck.leaks(["encrypt", "f.yaml"], onStdout) == ["stdout"])
        #expect(LeakCheck.leaks(["decrypt", "f.yaml"], onStdout).isEmpty)
    }

    @Test("failing commands on a file of marked secrets print none of them")
    func failuresPrintNoSecret() throws {
        let dir = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = dir.appendingPathComponent("k.txt").path
        let other = dir.appendingPathComponent("other.txt").path
        let recipient = try Peers.run(Peers.ksecret!, ["keygen", "-o", key]).stderr
            .replacingOccurrences(of: "Public key: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        _ = try Peers.run(Peers.ksecret!, ["keygen", "-o", other])
        let secret = "s3cr3t-\(UUID().uuidString)"
        let path = dir.appendingPathComponent("s.yaml").path
        try Data("a:\n  password: \(secret)\n  port: 5432\n".utf8).write(to: URL(fileURLWithPath: path))
        let env = ["SOPS_AGE_KEY_FILE": key]
        #expect(try Peers.run(Peers.ksecret!, ["encrypt", "-i", "--age", recipient, path], environment: env).status == 0)
        // Each of these fails; Peers.run checks what they print.
        #expect(try Peers.run(Peers.ksecret!, ["decrypt", path], environment: ["SOPS_AGE_KEY_FILE": other]).status != 0)
        #expect(try Peers.run(Peers.ksecret!, ["set", path, #"["a"]["port"]"#, #"{"x": "\#(secret)""#], environment: env).status != 0)
        #expect(try Peers.run(Peers.ksecret!, ["exec-env", path, "true"], environment: env).status != 0)
        #expect(try Peers.run(Peers.ksecret!, ["replace", path], environment: env, stdin: Array("a: [\(secret)\n".utf8)).status != 0)
        #expect(try Peers.run(Peers.ksecret!, ["encrypt", "--age", recipient, path], environment: env).status != 0)
    }
}
