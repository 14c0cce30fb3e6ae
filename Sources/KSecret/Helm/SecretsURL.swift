import KSecretSystem

/// A value-file URL in one of helm-secrets' schemes, as helm hands it to the downloader.
///
/// Syntax (helm-pipeline.md §2.5): `secrets://[?][backend!]PATH` (or an `http(s)://` URL),
/// `secrets+age-import://[?][backend!]KEYS?PATH`, `secrets+gpg-import://[?][backend!]KEY?PATH`,
/// `secrets+literal://[backend!]TEXT`. A leading `?` makes a missing file an empty document; the
/// only backend ksecret knows is `sops` (the default), so any other `name!` is refused.
public struct SecretsURL: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        /// A file to decrypt (passed through unchanged when it is not encrypted).
        case file(String)
        /// A file to decrypt with the age identities in `keys` (the only identities used).
        case ageImport(keys: String, file: String)
        /// A file to decrypt after importing a PGP key.
        case gpgImport(key: String, file: String)
        /// Text given in the URL itself.
        case literal(String)
        /// A file fetched over HTTP(S) (`secrets://https://…`), then decrypted like a local one.
        case remote(String)
    }

    public var source: Source
    /// `?` prefix: a missing file gives empty output instead of an error.
    public var ignoreMissing: Bool

    public static let protocols = ["secrets", "secrets+age-import", "secrets+gpg-import", "secrets+literal"]

    public init(source: Source, ignoreMissing: Bool = false) {
        self.source = source
        self.ignoreMissing = ignoreMissing
    }

    /// Parses a URL exactly as helm passes it (the downloader's last argument).
    public static func parse(_ url: String) throws -> SecretsURL {
        guard let range = url.unicodeScalars.firstRange(of: "://".unicodeScalars) else {
            throw KSecretError(.generic, "\(url) is not a secrets URL", hints: ["expected one of \(protocols.map { $0 + "://" }.joined(separator: ", "))"])
        }
        let scheme = String(url[..<range.lowerBound])
        var rest = String(url[range.upperBound...])
        switch scheme {
        case "secrets+literal":
            rest = try stripBackend(rest)
            return SecretsURL(source: .literal(rest))
        case "secrets", "secrets+age-import", "secrets+gpg-import":
            var ignoreMissing = false
            if rest.hasPrefix("?") { ignoreMissing = true; rest.removeFirst() }
            rest = try stripBackend(rest)
            if scheme == "secrets" {
                guard !rest.isEmpty else { throw KSecretError(.noFileSpecified, "\(url) names no file") }
                if rest.contains("://") {
                    let lower = rest.lowercased()
                    if lower.hasPrefix("https://") || lower.hasPrefix("http://") {
                        return SecretsURL(source: .remote(rest), ignoreMissing: ignoreMissing)
                    }
                    throw KSecretError(.generic, "\(scheme):// with a \(rest.prefix { $0 != ":" }):// target is not supported by ksecret",
                                       hints: ["fetch the file first and use secrets://<local path>; http(s):// targets are fetched"])
                }
                return SecretsURL(source: .file(rest), ignoreMissing: ignoreMissing)
            }
            guard let question = rest.firstIndex(of: "?") else {
                throw KSecretError(.generic, "\(scheme):// needs a key and a file separated by ?",
                                   hints: ["e.g. \(scheme)://path/to/key?path/to/secrets.yaml"])
            }
            let key = String(rest[..<question]), file = String(rest[rest.index(after: question)...])
            guard !key.isEmpty, !file.isEmpty else {
                throw KSecretError(.generic, "\(scheme):// needs a key and a file separated by ?")
            }
            return SecretsURL(source: scheme == "secrets+age-import" ? .ageImport(keys: key, file: file) : .gpgImport(key: key, file: file),
                              ignoreMissing: ignoreMissing)
        default:
            throw KSecretError(.generic, "unknown protocol \(scheme)://",
                               hints: ["ksecret's downloader handles \(protocols.map { $0 + "://" }.joined(separator: ", "))"])
        }
    }

    /// A remote address without what must not be shown in a message: the `user:password@` part,
    /// the query and the fragment.
    public static func redacted(_ address: String) -> String {
        var bytes = Array(address.utf8)
        if let end = bytes.firstIndex(where: { $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }) { bytes.removeSubrange(end...) }
        if let schemeEnd = bytes.firstRange(of: Array("://".utf8))?.upperBound {
            let authorityEnd = bytes[schemeEnd...].firstIndex(of: UInt8(ascii: "/")) ?? bytes.endIndex
            if let at = bytes[schemeEnd..<authorityEnd].lastIndex(of: UInt8(ascii: "@")) {
                bytes.removeSubrange(schemeEnd...at)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// helm-secrets' `HELM_SECRETS_URL_VARIABLE_EXPANSION=true`: every `${NAME}` in a remote URL
    /// is replaced by the variable's value (a token kept out of the chart's command line); an unset
    /// one is an error naming it. Nothing else is expanded (`$NAME` stays as written).
    public static func expandingVariables(_ text: String, environment: KSecretEnvironment) throws -> String {
        var result = "", rest = Substring(text)
        while let start = rest.unicodeScalars.firstRange(of: "${".unicodeScalars) {
            result += rest[..<start.lowerBound]
            guard let end = rest.unicodeScalars[start.upperBound...].firstIndex(of: "}") else {
                throw KSecretError(.generic, "an unclosed ${ in a secrets:// URL", hints: ["write ${NAME}"])
            }
            let name = String(rest[start.upperBound..<end])
            guard let value = environment.variables[name] else {
                throw KSecretError(.generic, "${\(name)} in a secrets:// URL is not set",
                                   hints: ["HELM_SECRETS_URL_VARIABLE_EXPANSION=true expands ${NAME} from the environment"])
            }
            result += value
            rest = rest[rest.index(after: end)...]
        }
        return result + rest
    }

    /// The backend a `name!` prefix names (helm-secrets' per-file backend), if `text` starts with one.
    /// A `!` further on (after a `/` or `.`) is part of the path, not a backend.
    public static func backendPrefix(_ text: String) -> String? {
        guard let bang = text.firstIndex(of: "!") else { return nil }
        let name = String(text[..<bang])
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }) else { return nil }
        return name
    }

    /// Removes a `backend!` prefix; only `sops` is accepted.
    private static func stripBackend(_ text: String) throws -> String {
        guard let name = backendPrefix(text) else { return text }
        guard name == "sops" else {
            throw KSecretError(.generic, "backend \(name) is not supported; ksecret is the sops backend",
                               hints: ["drop the \(name)! prefix"])
        }
        return String(text.dropFirst(name.count + 1))
    }
}
