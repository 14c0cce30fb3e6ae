import KSecretSystem

/// Rewrites a helm command line so that every sops-encrypted values file is fetched through the
/// `secrets://` downloader instead of being decrypted to a file (helm-secrets' wrapper mode writes
/// a `.dec` file next to the source; ksecret never does).
///
/// Handles `-f FILE`, `--values FILE`, `--values=FILE`, `-fFILE` and comma-separated lists
/// (`-f a.yaml,b.yaml`; `\,` is an escaped comma). http(s) URLs go through `secrets://` (the
/// downloader fetches and, when needed, decrypts them); other URLs and files that are not
/// encrypted are left as they are. `--set-file KEY=FILE[,KEY=FILE]` (and
/// `--set-file=`) entries are treated the same way. Everything else on the line is untouched.
///
/// helm-secrets' entry prefixes go to the downloader, which reads them as in a `secrets://` URL:
/// `?FILE` (the file may be missing: it then gives no values) and `sops!FILE` (the backend). With
/// `ignoringMissing` (`--ignore-missing-values`, `HELM_SECRETS_IGNORE_MISSING_VALUES=true`), every
/// missing file is read as `?FILE`. With `allThroughDownloader` every local file goes through
/// `secrets://`, plain ones too (the downloader passes them through): a `ValuesPathPolicy` that
/// restricts paths is then applied to each file in one place.
public enum ValuesArgumentRewriter {
    public static func rewrite(_ arguments: [String], ignoringMissing: Bool = false, allThroughDownloader: Bool = false,
                               exists: (String) -> Bool = { FileManager.default.fileExists(atPath: $0) },
                               isEncrypted: (String) -> Bool) -> [String] {
        let route = { (entry: String) in
            Self.route(entry, ignoringMissing: ignoringMissing, exists: exists) { allThroughDownloader || isEncrypted($0) }
        }
        var result: [String] = []
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" {
                result.append(contentsOf: arguments[index...])
                break
            }
            if (argument == "-f" || argument == "--values"), index + 1 < arguments.count {
                result.append(argument)
                result.append(rewriteList(arguments[index + 1], route: route))
                index += 2
                continue
            }
            if argument == "--set-file", index + 1 < arguments.count {
                result.append(argument)
                result.append(rewriteSetFiles(arguments[index + 1], route: route))
                index += 2
                continue
            }
            if argument.hasPrefix("--set-file=") {
                result.append("--set-file=" + rewriteSetFiles(String(argument.dropFirst("--set-file=".count)), route: route))
            } else if argument.hasPrefix("--values=") {
                result.append("--values=" + rewriteList(String(argument.dropFirst("--values=".count)), route: route))
            } else if argument.hasPrefix("-f"), !argument.hasPrefix("--"), argument.count > 2 {
                var value = String(argument.dropFirst(2))
                if value.hasPrefix("=") { value.removeFirst() }
                result.append("-f" + rewriteList(value, route: route))
            } else {
                result.append(argument)
            }
            index += 1
        }
        return result
    }

    /// The first `--set`, `--set-string`, `--set-json` or `--set-literal` value that is a whole
    /// sops-encrypted document, as its option and key. helm-secrets decrypts such a value and puts
    /// the plaintext on helm's command line, where the process list shows it; ksecret refuses it
    /// instead (left alone, helm would take the ciphertext as the value).
    public static func encryptedSetValue(in arguments: [String]) -> (option: String, key: String)? {
        let options = ["--set", "--set-string", "--set-json", "--set-literal"]
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--" { return nil }
            var option: String?, value: String?
            if options.contains(argument), index + 1 < arguments.count {
                option = argument
                value = arguments[index + 1]
                index += 1
            } else if let equals = argument.firstIndex(of: "="), options.contains(String(argument[..<equals])) {
                option = String(argument[..<equals])
                value = String(argument[argument.index(after: equals)...])
            }
            if let option, let value, isSopsDocument(value) {
                // The key the document is given to: in `a=1,b={...}`, the pair before the JSON.
                var beforeDocument = value.prefix { $0 != "{" }
                while beforeDocument.last == "=" { beforeDocument.removeLast() }
                let key = beforeDocument.split(separator: ",", omittingEmptySubsequences: false).last ?? ""
                return (option, String(key.isEmpty ? value.prefix { $0 != "=" } : key))
            }
            index += 1
        }
        return nil
    }

    /// A sops document in JSON (what `sops encrypt --output-type json` writes): an encrypted value
    /// and the metadata's MAC.
    static func isSopsDocument(_ value: String) -> Bool {
        value.contains("ENC[AES256_GCM,") && value.contains("\"mac\"")
    }

    /// One file entry as helm is to read it: through `secrets://` when it is encrypted, carries a
    /// helm-secrets prefix, or is missing while missing files are allowed; else as it is.
    static func route(_ entry: String, ignoringMissing: Bool, exists: (String) -> Bool, isEncrypted: (String) -> Bool) -> String {
        // http(s) files are fetched by the downloader, which decrypts them when they are encrypted
        // (helm's own getter would hand helm the ciphertext); other URLs stay helm's.
        let lower = entry.lowercased()
        if lower.hasPrefix("https://") || lower.hasPrefix("http://") { return "secrets://" + entry }
        guard !entry.isEmpty, !entry.contains("://") else { return entry }
        if entry.hasPrefix("?") || SecretsURL.backendPrefix(entry).map(helmSecretsBackends.contains) == true {
            return "secrets://" + entry
        }
        let path = entry.replacingBytes(of: "\\,", with: ",")
        if ignoringMissing, !exists(path) { return "secrets://?" + entry }
        return isEncrypted(path) ? "secrets://" + entry : entry
    }

    /// The backends helm-secrets knows by name; `name!FILE` with another name is a file name to it.
    static let helmSecretsBackends: Set<String> = ["sops", "vals", "noop"]

    /// One `-f` value: a comma-separated list, each entry rewritten on its own.
    static func rewriteList(_ value: String, route: (String) -> String) -> String {
        splitEntries(value).map(route).joined(separator: ",")
    }

    /// One `--set-file` value: `KEY=FILE` pairs, comma-separated.
    static func rewriteSetFiles(_ value: String, route: (String) -> String) -> String {
        splitEntries(value).map { pair in
            guard let equals = pair.utf8.firstIndex(of: UInt8(ascii: "=")) else { return pair }
            let file = String(decoding: pair.utf8[pair.utf8.index(after: equals)...], as: UTF8.self)
            return String(decoding: pair.utf8[...equals], as: UTF8.self) + route(file)
        }.joined(separator: ",")
    }

    /// Splits on commas not preceded by a backslash, keeping the escapes (helm undoes them).
    static func splitEntries(_ value: String) -> [String] {
        // By Unicode scalar, as helm splits bytes: a comma followed by a combining mark is still a comma.
        var entries: [String] = [], current = String.UnicodeScalarView()
        var previous: Unicode.Scalar?
        for scalar in value.unicodeScalars {
            if scalar == ",", previous != "\\" {
                entries.append(String(current))
                current = String.UnicodeScalarView()
            } else {
                current.append(scalar)
            }
            previous = scalar
        }
        entries.append(String(current))
        return entries
    }
}
