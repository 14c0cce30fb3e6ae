import KSecretSystem

/// What must not be committed: a file the creation rules say must be encrypted, in clear text; and
/// private key material outside the paths allowed to hold it (demo keys, test fixtures).
public struct SecretLeakScanner: Sendable {
    public struct Finding: Sendable, Equatable, CustomStringConvertible {
        public enum Kind: String, Sendable { case plaintextSecretsFile, privateKeyMaterial }
        public var kind: Kind
        public var path: String
        public var detail: String
        public var fix: String
        public var description: String { "\(path): \(detail)" }
    }

    /// Private keys, by the kind they reveal (never the key itself): a whole Bech32 age identity,
    /// or a PEM block header followed by key data (a line of base64), so that code and docs that
    /// only name the marker are not flagged.
    static let keyPatterns: [(RegularExpression, String)] = [
        (#"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}"#, "an age identity"),
        (#"-----BEGIN PGP PRIVATE KEY BLOCK-----\r?\n(?:[^\n]*\r?\n)*?[A-Za-z0-9+/=]{40,}"#, "a PGP private key"),
        (#"-----BEGIN OPENSSH PRIVATE KEY-----\r?\n[ \t]*[A-Za-z0-9+/=]{40,}"#, "an OpenSSH private key"),
        (#"-----BEGIN (?:RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----\r?\n[ \t]*[A-Za-z0-9+/=]{40,}"#, "a private key"),
    ].map { (try! RegularExpression($0.0), $0.1) }

    /// What every key pattern contains: files without one are not searched further (an audit reads
    /// every file of a repository, and a byte search is far cheaper than the patterns).
    static let markers: [[UInt8]] = [Array("PRIVATE KEY".utf8), Array("AGE-SECRET-KEY-1".utf8)]

    /// `memchr` for the first byte, `memcmp` for the rest (glibc's `memmem` is not visible to Swift).
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard let first = needle.first, haystack.count >= needle.count else { return false }
        return haystack.withUnsafeBytes { h in
            needle.withUnsafeBytes { n in
                let base = h.baseAddress!
                var offset = 0
                let last = h.count - n.count
                while offset <= last {
                    guard let hit = memchr(base + offset, Int32(first), last - offset + 1) else { return false }
                    let at = base.distance(to: UnsafeRawPointer(hit))
                    if memcmp(base + at, n.baseAddress!, n.count) == 0 { return true }
                    offset = at + 1
                }
                return false
            }
        }
    }

    public var config: SopsConfig?
    /// Path prefixes (relative to the repository root) where private keys may live.
    public var allowedKeyPaths: [String]

    public init(config: SopsConfig?, allowedKeyPaths: [String]) {
        self.config = config
        self.allowedKeyPaths = allowedKeyPaths
    }

    /// Findings for one file; `path` is relative to the repository root, `absolutePath` is where the
    /// rules would see it.
    /// `isEncrypted`, when the caller has parsed the file already, saves parsing it again.
    public func scan(path: String, absolutePath: String, content: [UInt8], isEncrypted: Bool? = nil) -> [Finding] {
        var findings: [Finding] = []
        let name = PathName.lastComponent(path)
        if let config, !config.rules.isEmpty, name != ".sops.yaml",
           let rule = config.rule(for: absolutePath), rule.pathRegex?.isEmpty == false {
            let format = FileFormat.forPath(path)
            if !(isEncrypted ?? SecretsEngine.isEncrypted(content, path: path, format: format)) {
                findings.append(Finding(kind: .plaintextSecretsFile, path: path,
                                        detail: "the creation rules of \(config.path) say this file must be encrypted, but it is plain text",
                                        fix: "ksecret encrypt -i \(path)"))
            }
        }
        if !allowedKeyPaths.contains(where: { path.hasPrefix($0) }), Self.markers.contains(where: { Self.contains(content, $0) }) {
            let text = String(decoding: content, as: UTF8.self)
            for (pattern, kind) in Self.keyPatterns {
                guard pattern.matches(text) else { continue }
                findings.append(Finding(kind: .privateKeyMaterial, path: path, detail: "contains \(kind)",
                                        fix: "remove it from the commit (git rm --cached \(path)) and rotate the key; it may already be copied"))
                break
            }
        }
        return findings
    }
}
