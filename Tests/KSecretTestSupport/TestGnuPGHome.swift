import Foundation

/// A throwaway GnuPG home for one test: a fresh 0700 directory under the temporary directory, never
/// the user's keyring. `close()` stops the gpg-agent it started (`gpgconf --kill all` for that
/// home) and removes the directory.
///
/// Keys are made with `gpg --batch` (ed25519 + cv25519: fast), with the passphrase on standard
/// input rather than the command line.
public final class TestGnuPGHome: @unchecked Sendable {
    public let path: String

    /// gpg and gpgconf on PATH (Debian's gnupg package).
    public static let available: Bool = ChildProcess.find("gpg") != nil && ChildProcess.find("gpgconf") != nil
    public static let reasonUnavailable = "needs gpg and gpgconf (Debian package gnupg; make deps)"

    public init() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ksecret-gnupg-" + UUID().uuidString.prefix(8))
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        path = url.path
    }

    deinit { close() }

    private var closed = false

    public func close() {
        guard !closed else { return }
        closed = true
        _ = try? Self.run("gpgconf", ["--homedir", path, "--kill", "all"])
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The environment a child process needs to use this home.
    public var environment: [String: String] { ["GNUPGHOME": path] }

    /// Runs gpg with this home; throws when it fails.
    @discardableResult
    public func gpg(_ arguments: [String], stdin: String? = nil) throws -> ChildProcess.Output {
        let out = try Self.run("gpg", ["--homedir", path, "--batch", "--no-tty"] + arguments, stdin: stdin)
        guard out.status == 0 else { throw Failure(message: "gpg \(arguments.joined(separator: " ")): \(out.stderr)") }
        return out
    }

    /// Generates a key pair and returns the primary key's fingerprint. `expire` is gpg's syntax
    /// (`never`, `1d`); `fakedTime` (`20200101T000000`) backdates it, to make an expired key.
    public func generateKey(_ uid: String, passphrase: String = "", expire: String = "never", fakedTime: String? = nil) throws -> String {
        var args = ["--pinentry-mode", "loopback", "--passphrase-fd", "0"]
        if let fakedTime { args += ["--faked-system-time", fakedTime] }
        try gpg(args + ["--quick-gen-key", uid, "future-default", "default", expire], stdin: passphrase + "\n")
        return try fingerprints(uid)[0]
    }

    /// The fingerprints of the key matching `query`: the primary key's first, then its subkeys'.
    public func fingerprints(_ query: String) throws -> [String] {
        try gpg(["--with-colons", "--list-keys", query]).text.split(separator: "\n")
            .filter { $0.hasPrefix("fpr:") }.map { String($0.split(separator: ":", omittingEmptySubsequences: false)[9]) }
    }

    /// Revokes a key with the revocation certificate gpg stored when it made the key.
    public func revoke(_ fingerprint: String) throws {
        let certificate = try String(contentsOfFile: path + "/openpgp-revocs.d/\(fingerprint).rev", encoding: .utf8)
        // gpg stores it with a ':' before the armor line so that it is not imported by accident.
        try gpg(["--import"], stdin: certificate.replacingOccurrences(of: ":-----BEGIN", with: "-----BEGIN"))
    }

    public func exportPublicKey(_ fingerprint: String) throws -> String {
        try gpg(["--armor", "--export", fingerprint]).text
    }

    public func importKey(_ armored: String) throws {
        try gpg(["--import"], stdin: armored)
    }

    /// Writes a config file (`gpg.conf`, `gpg-agent.conf`) of this home and stops its agent, so the
    /// next use starts one that reads it.
    public func configure(_ file: String, _ lines: [String]) throws {
        try (lines.joined(separator: "\n") + "\n").write(toFile: path + "/" + file, atomically: true, encoding: .utf8)
        _ = try Self.run("gpgconf", ["--homedir", path, "--kill", "gpg-agent"])
    }

    /// A pinentry that answers every passphrase request with `answer`: a script in this home. Each
    /// request appends a line to `requestLog`, so a test can see whether a key was asked for
    /// at all. Returns the script's path.
    public func fakePinentry(answering answer: String) throws -> String {
        let script = path + "/fake-pinentry"
        let text = """
        #!/bin/sh
        echo "OK fake pinentry"
        while read -r cmd rest; do
          case "$cmd" in
            GETPIN) echo GETPIN >> "\(requestLog)"; echo "D \(answer)"; echo OK ;;
            BYE) echo OK; exit 0 ;;
            *) echo OK ;;
          esac
        done

        """
        try text.write(toFile: script, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: script)
        return script
    }

    /// Where the fake pinentry records the passphrase requests it answered.
    public var requestLog: String { path + "/pinentry-requests.log" }

    /// How many passphrase requests the fake pinentry answered.
    public func pinentryRequests() -> Int {
        ((try? String(contentsOfFile: requestLog, encoding: .utf8)) ?? "").split(separator: "\n").count
    }

    static func run(_ name: String, _ arguments: [String], stdin: String? = nil) throws -> ChildProcess.Output {
        guard let executable = ChildProcess.find(name) else { throw Failure(message: "\(name) not found on PATH") }
        return try ChildProcess.run(executable, arguments, stdin: stdin.map { Array($0.utf8) })
    }

    public struct Failure: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }
}
