import Foundation

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
    static let keyPatterns: [(NSRegularExpression, String)] = [
        (#"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}"#, "an age identity"),
        (#"-----BEGIN PGP PRIVATE KEY BLOCK-----\r?\n(?:[^\n]*\r?\n)*?[A-Za-z0-9+/=]{40,}"#, "a PGP private key"),
        (#"-----BEGIN OPENSSH PRIVATE KEY-----\r?\n[ \t]*[A-Za-z0-9+/=]{40,}"#, "an OpenSSH private key"),
        (#"-----BEGIN (?:RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----\r?\n[ \t]*[A-Za-z0-9+/=]{40,}"#, "a private key"),
    ].map { (try! NSRegularExpression(pattern: $0.0), $0.1) }

    public var config: SopsConfig?
    /// Path prefixes (relative to the repository root) where private keys may live.
    public var allowedKeyPaths: [String]

    public init(config: SopsConfig?, allowedKeyPaths: [String]) {
        self.config = config
        self.allowedKeyPaths = allowedKeyPaths
    }

    /// Findings for one file; `path` is relative to the repository root, `absolutePath` is where the
    /// rules would see it.
    public func scan(path: String, absolutePath: String, content: [UInt8]) -> [Finding] {
        var findings: [Finding] = []
        let name = (path as NSString).lastPathComponent
        if let config, !config.rules.isEmpty, name != ".sops.yaml",
           let rule = config.rule(for: absolutePath), rule.pathRegex?.isEmpty == false {
            let format = FileFormat.forPath(path)
            if !SecretsEngine.isEncrypted(content, path: path, format: format) {
                findings.append(Finding(kind: .plaintextSecretsFile, path: path,
                                        detail: "the creation rules of \(config.path) say this file must be encrypted, but it is plain text",
                                        fix: "ksecret encrypt -i \(path)"))
            }
        }
        if !allowedKeyPaths.contains(where: { path.hasPrefix($0) }) {
            let text = String(decoding: content, as: UTF8.self)
            let range = NSRange(text.startIndex..., in: text)
            for (pattern, kind) in Self.keyPatterns where text.contains("PRIVATE KEY") || text.contains("AGE-SECRET-KEY-1") {
                guard pattern.firstMatch(in: text, range: range) != nil else { continue }
                findings.append(Finding(kind: .privateKeyMaterial, path: path, detail: "contains \(kind)",
                                        fix: "remove it from the commit (git rm --cached \(path)) and rotate the key; it may already be copied"))
                break
            }
        }
        return findings
    }
}
