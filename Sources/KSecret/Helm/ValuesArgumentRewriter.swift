import Foundation

/// Rewrites a helm command line so that every sops-encrypted values file is fetched through the
/// `secrets://` downloader instead of being decrypted to a file (helm-secrets' wrapper mode writes
/// a `.dec` file next to the source; ksecret never does).
///
/// Handles `-f FILE`, `--values FILE`, `--values=FILE`, `-fFILE` and comma-separated lists
/// (`-f a.yaml,b.yaml`; `\,` is an escaped comma). Entries that are URLs (`scheme://`) and files
/// that are not encrypted are left as they are. `--set-file KEY=FILE[,KEY=FILE]` (and
/// `--set-file=`) entries are treated the same way. Everything else on the line is untouched.
public enum ValuesArgumentRewriter {
    public static func rewrite(_ arguments: [String], isEncrypted: (String) -> Bool) -> [String] {
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
                result.append(rewriteList(arguments[index + 1], isEncrypted: isEncrypted))
                index += 2
                continue
            }
            if argument == "--set-file", index + 1 < arguments.count {
                result.append(argument)
                result.append(rewriteSetFiles(arguments[index + 1], isEncrypted: isEncrypted))
                index += 2
                continue
            }
            if argument.hasPrefix("--set-file=") {
                result.append("--set-file=" + rewriteSetFiles(String(argument.dropFirst("--set-file=".count)), isEncrypted: isEncrypted))
            } else if argument.hasPrefix("--values=") {
                result.append("--values=" + rewriteList(String(argument.dropFirst("--values=".count)), isEncrypted: isEncrypted))
            } else if argument.hasPrefix("-f"), !argument.hasPrefix("--"), argument.count > 2 {
                var value = String(argument.dropFirst(2))
                if value.hasPrefix("=") { value.removeFirst() }
                result.append("-f" + rewriteList(value, isEncrypted: isEncrypted))
            } else {
                result.append(argument)
            }
            index += 1
        }
        return result
    }

    /// One `-f` value: a comma-separated list, each entry rewritten on its own.
    static func rewriteList(_ value: String, isEncrypted: (String) -> Bool) -> String {
        splitEntries(value).map { entry in
            let path = entry.replacingBytes(of: "\\,", with: ",")
            guard !entry.contains("://"), isEncrypted(path) else { return entry }
            return "secrets://" + entry
        }.joined(separator: ",")
    }

    /// One `--set-file` value: `KEY=FILE` pairs, comma-separated.
    static func rewriteSetFiles(_ value: String, isEncrypted: (String) -> Bool) -> String {
        splitEntries(value).map { pair in
            guard let equals = pair.utf8.firstIndex(of: UInt8(ascii: "=")) else { return pair }
            let file = String(decoding: pair.utf8[pair.utf8.index(after: equals)...], as: UTF8.self)
            guard !file.isEmpty, !file.contains("://"), isEncrypted(file.replacingBytes(of: "\\,", with: ",")) else { return pair }
            return String(decoding: pair.utf8[...equals], as: UTF8.self) + "secrets://" + file
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
