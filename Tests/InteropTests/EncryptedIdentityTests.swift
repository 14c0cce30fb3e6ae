import Foundation
import KSecretTestSupport
import Testing

/// An age identity file protected with a passphrase (`age -p`), as sops 3.10 and later read it:
/// made by the real age, opened by ksecret and by the real sops with the passphrase typed on a
/// terminal (util-linux `script` gives each program a pty and types what the test hands it), or
/// given by a running gpg-agent's pinentry and cache.
@Suite("passphrase-protected age identity files",
       .enabled(if: Peers.ksecret != nil && Peers.age != nil && Peers.find("script") != nil && Peers.find("setsid") != nil,
                "needs a built ksecret, age, and util-linux script and setsid (make deps)"))
struct EncryptedIdentityTests {
    let dir: URL
    let passphrase = "correct horse \(UInt32.random(in: 0...UInt32.max))"
    let plain = "db:\n    password: s3cret-value\n"

    init() throws { dir = try Peers.temporaryDirectory() }

    /// `command` run by `sh -c` on a fresh pty, `typed` written to it; the transcript (prompts and
    /// whatever the command printed to the terminal) and the status.
    func onTerminal(_ command: String, typed: String, environment: [String: String] = [:]) throws -> (status: Int32, transcript: String) {
        // Homes without a gpg-agent socket: both tools ask a running agent first, the terminal only without one.
        let env = ["HOME": dir.path, "XDG_RUNTIME_DIR": dir.path, "GNUPGHOME": dir.appendingPathComponent("no-agent").path,
                   "PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"]
            .merging(environment) { $1 }
        let r = try Peers.run(Peers.find("script")!, ["-qec", command, "/dev/null"], environment: env, stdin: Array(typed.utf8), directory: dir)
        return (r.status, r.text)
    }

    /// A key pair, the identity file encrypted by the real age with the passphrase (armored or
    /// not), and a secrets file encrypted to the key.
    func setUp(armor: Bool) throws -> (keyFile: String, encrypted: String) {
        let key = dir.appendingPathComponent("key.txt").path
        let recipient = try Peers.run(Peers.ksecret!, ["keygen", "-o", key]).stderr
            .replacingOccurrences(of: "Public key: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        let protected = dir.appendingPathComponent(armor ? "key.age.txt" : "key.age").path
        let made = try onTerminal("age -p \(armor ? "-a " : "")-o '\(protected)' '\(key)'", typed: "\(passphrase)\n\(passphrase)\n")
        try #require(made.status == 0, "age -p: \(made.transcript)")
        try FileManager.default.removeItem(atPath: key)
        let head = String(decoding: try Data(contentsOf: URL(fileURLWithPath: protected)).prefix(14), as: UTF8.self)
        #expect(head == (armor ? "-----BEGIN AGE" : "age-encryption"))
        let file = dir.appendingPathComponent("secrets.yaml").path
        try Data(plain.utf8).write(to: URL(fileURLWithPath: file))
        let enc = try Peers.run(Peers.ksecret!, ["encrypt", "-i", "--age", recipient, file])
        try #require(enc.status == 0, "\(enc.stderr)")
        return (protected, file)
    }

    /// A throwaway GnuPG home whose gpg-agent runs with `pinentry` (started now, as a user's is).
    func agent(pinentry: (TestGnuPGHome) throws -> String) throws -> TestGnuPGHome {
        let home = try TestGnuPGHome()
        try home.configure("gpg-agent.conf", ["pinentry-program \(try pinentry(home))"])
        let started = try Peers.run(Peers.find("gpg-connect-agent")!, ["--homedir", home.path, "/bye"])
        try #require(started.status == 0, "the agent did not start: \(started.stderr)")
        return home
    }

    @Test("ksecret asks for the passphrase on the terminal and decrypts; so does sops with the same file", arguments: [false, true])
    func opensWithPassphrase(armor: Bool) throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let (keyFile, encrypted) = try setUp(armor: armor)
        let out = dir.appendingPathComponent("out.yaml").path
        let r = try onTerminal("'\(Peers.ksecret!)' decrypt '\(encrypted)' > '\(out)'", typed: "\(passphrase)\n",
                               environment: ["SOPS_AGE_KEY_FILE": keyFile])
        #expect(r.status == 0, "\(r.transcript)")
        #expect(r.transcript.contains("Enter passphrase for the age identities in SOPS_AGE_KEY_FILE (\(keyFile)):"), "\(r.transcript)")
        #expect(try String(contentsOfFile: out, encoding: .utf8) == plain)
        if let sops = Peers.sops {
            let s = try onTerminal("'\(sops)' decrypt '\(encrypted)' > '\(out).sops'", typed: "\(passphrase)\n",
                                   environment: ["SOPS_AGE_KEY_FILE": keyFile, "SOPS_DISABLE_VERSION_CHECK": "1"])
            #expect(s.status == 0, "sops: \(s.transcript)")
            #expect(try String(contentsOfFile: out + ".sops", encoding: .utf8) == plain)
        }
        // The same protected text given in SOPS_AGE_KEY (armored, so it fits an environment variable).
        if armor {
            let text = try String(contentsOfFile: keyFile, encoding: .utf8)
            let v = try onTerminal("'\(Peers.ksecret!)' decrypt '\(encrypted)' > '\(out).env'", typed: "\(passphrase)\n",
                                   environment: ["SOPS_AGE_KEY": text])
            #expect(v.status == 0, "\(v.transcript)")
            #expect(v.transcript.contains("age identities in SOPS_AGE_KEY:"), "\(v.transcript)")
            #expect(try String(contentsOfFile: out + ".env", encoding: .utf8) == plain)
        }
    }

    @Test("with gpg-agent running, its pinentry is asked once and its cache serves the next ksecret and sops runs; a wrong passphrase is not kept",
          .enabled(if: TestGnuPGHome.available && Peers.find("gpg-connect-agent") != nil, "needs gnupg (make deps)"))
    func agentCache() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let (keyFile, encrypted) = try setUp(armor: false)
        let home = try agent { try $0.fakePinentry(answering: passphrase) }
        defer { home.close() }
        // No terminal (plain pipes): without the agent this would fail, as `refusals` shows.
        let env = ["SOPS_AGE_KEY_FILE": keyFile, "GNUPGHOME": home.path, "HOME": dir.path]
        for run in 1...2 {
            let r = try Peers.run(Peers.find("setsid")!, ["--wait", Peers.ksecret!, "decrypt", encrypted], environment: env)
            #expect(r.status == 0, "run \(run): \(r.stderr)")
            #expect(r.text == plain)
        }
        #expect(home.pinentryRequests() == 1)
        // sops finds the agent through GPG_AGENT_INFO and, asking under the same cache id, gets the
        // passphrase ksecret's pinentry took.
        if let sops = Peers.sops {
            let socket = try Peers.run("/usr/bin/env", ["gpgconf", "--homedir", home.path, "--list-dirs", "agent-socket"]).text
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let s = try Peers.run(Peers.find("setsid")!, ["--wait", sops, "decrypt", encrypted],
                                  environment: env.merging(["GPG_AGENT_INFO": socket + ":0:1"]) { $1 })
            #expect(s.status == 0, "sops: \(s.stderr)")
            #expect(s.text == plain)
            #expect(home.pinentryRequests() == 1)
        }

        // A pinentry that gives a wrong passphrase: refused, and asked again next time.
        let other = try agent { try $0.fakePinentry(answering: "wrong") }
        defer { other.close() }
        for run in 1...2 {
            let r = try Peers.run(Peers.find("setsid")!, ["--wait", Peers.ksecret!, "decrypt", encrypted],
                                  environment: env.merging(["GNUPGHOME": other.path]) { $1 })
            #expect(r.status == 128 && r.stderr.contains("incorrect passphrase"), "run \(run): \(r.stderr)")
        }
        #expect(other.pinentryRequests() == 2)
    }

    @Test("a gpg-agent that cannot show its pinentry hands over to the terminal",
          .enabled(if: TestGnuPGHome.available && Peers.find("gpg-connect-agent") != nil, "needs gnupg (make deps)"))
    func brokenAgentFallsBackToTerminal() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let (keyFile, encrypted) = try setUp(armor: false)
        let home = try agent { _ in "/bin/false" }
        defer { home.close() }
        let out = dir.appendingPathComponent("out.yaml").path
        let r = try onTerminal("'\(Peers.ksecret!)' decrypt '\(encrypted)' > '\(out)'", typed: "\(passphrase)\n",
                               environment: ["SOPS_AGE_KEY_FILE": keyFile, "GNUPGHOME": home.path])
        #expect(r.status == 0, "\(r.transcript)")
        #expect(r.transcript.contains("Enter passphrase for the age identities in SOPS_AGE_KEY_FILE"), "\(r.transcript)")
        #expect(try String(contentsOfFile: out, encoding: .utf8) == plain)
        // With no terminal either, the error gives both reasons.
        let none = try Peers.run(Peers.find("setsid")!, ["--wait", Peers.ksecret!, "decrypt", encrypted],
                                 environment: ["SOPS_AGE_KEY_FILE": keyFile, "GNUPGHOME": home.path])
        #expect(none.status == 128)
        #expect(none.stderr.contains("gpg-agent could not ask for the passphrase") && none.stderr.contains("no terminal to ask on"), "\(none.stderr)")
    }

    @Test("a wrong passphrase, and no terminal to ask on, fail with exit 128 and say which identities; nothing is decrypted")
    func refusals() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let (keyFile, encrypted) = try setUp(armor: false)
        let out = dir.appendingPathComponent("out.yaml").path
        let wrong = try onTerminal("'\(Peers.ksecret!)' decrypt '\(encrypted)' > '\(out)'; echo \"status=$?\"", typed: "not it\n",
                                   environment: ["SOPS_AGE_KEY_FILE": keyFile])
        #expect(wrong.transcript.contains("status=128"), "\(wrong.transcript)")
        #expect(wrong.transcript.contains("incorrect passphrase for the age identities in SOPS_AGE_KEY_FILE"), "\(wrong.transcript)")
        #expect(!wrong.transcript.contains("s3cret-value"))
        #expect(try String(contentsOfFile: out, encoding: .utf8).isEmpty)
        // setsid: a new session without a controlling terminal, as under a CI runner or a service.
        let none = try Peers.run(Peers.find("setsid")!, ["--wait", Peers.ksecret!, "decrypt", encrypted],
                                 environment: ["SOPS_AGE_KEY_FILE": keyFile, "GNUPGHOME": dir.appendingPathComponent("no-agent").path])
        #expect(none.status == 128)
        #expect(none.stderr.contains("cannot ask for the passphrase of the age identities in SOPS_AGE_KEY_FILE"), "\(none.stderr)")
        #expect(none.stderr.contains("SOPS_AGE_KEY_CMD"), "\(none.stderr)")
        #expect(none.stdout.isEmpty)
    }
}
