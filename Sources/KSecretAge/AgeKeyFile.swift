/// Parsing of age identity files and recipient lists, with the rules the age 1.1.1 CLI applies
/// (age-format.md §9).
///
/// Policy: one entry per line; `#` comments and empty lines are skipped; LF or CRLF; a missing
/// final newline is fine; leading or trailing whitespace, a UTF-8 BOM, lowercase secret keys and
/// uppercase recipients are refused; at most 16 MiB. An identity file that is a PEM private key is an
/// ssh identity. Key forms that age knows but KSecretAge does not support yet (post-quantum,
/// tagged, plugins) throw `AgeError.unsupportedKey`, or are
/// collected in `skipped` when the caller asks to skip them. Messages name the line, never its
/// content.
public enum AgeKeyFile {
    /// A recognised but unsupported key found in a file: its kind and 1-based line number.
    public struct Skipped: Sendable, Equatable {
        public let kind: String
        public let line: Int
    }

    /// The parsed identities of an identity file.
    public struct Identities: Sendable {
        public var identities: [any AgeIdentity]
        public var skipped: [Skipped]
    }

    /// The parsed recipients of a recipients file.
    public struct Recipients: Sendable {
        public var recipients: [any AgeRecipient]
        public var skipped: [Skipped]
    }

    static let maxSize = 16 << 20

    /// Parses an identity file (`age -i`). Throws "no identities found" for a file with no entry.
    public static func parseIdentities(_ data: [UInt8], skippingUnsupported: Bool = false) throws -> Identities {
        guard data.count <= maxSize else { throw AgeError.invalidKey("identity file is larger than 16 MiB") }
        if data.starts(with: Array("-----BEGIN AGE ENCRYPTED FILE-----".utf8)) || data.starts(with: AgeHeader.versionLine) {
            throw AgeError.unsupportedKey("passphrase-protected identity files are not supported yet")
        }
        if SSHPrivateKey.looksLikePEM(data) {
            return Identities(identities: [try SSHPrivateKey.parseIdentity(data)], skipped: [])
        }
        var result = Identities(identities: [], skipped: [])
        for (number, line) in try lines(data, what: "identity file") {
            do {
                result.identities.append(try parseIdentity(line))
            } catch AgeError.unsupportedKey(let kind) where skippingUnsupported {
                result.skipped.append(Skipped(kind: kind, line: number))
            } catch AgeError.invalidKey(let what) {
                throw AgeError.invalidKey("\(what) at line \(number) of the identity file")
            } catch AgeError.unsupportedKey(let what) {
                throw AgeError.unsupportedKey("\(what) (line \(number) of the identity file)")
            }
        }
        guard !result.identities.isEmpty || !result.skipped.isEmpty else {
            throw AgeError.invalidKey("no identities found in the identity file")
        }
        return result
    }

    /// Parses a recipients file (`age -R`) or list. Throws for a secret key (`AGE-…`) in it.
    public static func parseRecipients(_ data: [UInt8], skippingUnsupported: Bool = false) throws -> Recipients {
        guard data.count <= maxSize else { throw AgeError.invalidKey("recipients file is larger than 16 MiB") }
        var result = Recipients(recipients: [], skipped: [])
        for (number, line) in try lines(data, what: "recipients file") {
            guard line.utf8.count <= 8192 else { throw AgeError.invalidKey("line \(number) of the recipients file is too long") }
            do {
                result.recipients.append(try parseRecipient(line))
            } catch AgeError.unsupportedKey(let kind) where skippingUnsupported {
                result.skipped.append(Skipped(kind: kind, line: number))
            } catch AgeError.invalidKey(let what) {
                throw AgeError.invalidKey("\(what) at line \(number) of the recipients file")
            } catch AgeError.unsupportedKey(let what) {
                throw AgeError.unsupportedKey("\(what) (line \(number) of the recipients file)")
            }
        }
        guard !result.recipients.isEmpty || !result.skipped.isEmpty else {
            throw AgeError.invalidKey("no recipients found in the recipients file")
        }
        return result
    }

    /// Parses one identity string: `AGE-SECRET-KEY-1…`. Other known forms are `unsupportedKey`.
    public static func parseIdentity(_ text: String) throws -> any AgeIdentity {
        if text.hasPrefix("AGE-SECRET-KEY-PQ-1") {
            throw AgeError.unsupportedKey("post-quantum identities are not supported yet")
        }
        if text.hasPrefix("AGE-SECRET-KEY-1") { return try X25519Identity(text) }
        if text.hasPrefix("AGE-PLUGIN-") { throw AgeError.unsupportedKey("plugin identities are not supported yet") }
        if text.hasPrefix("age1") { throw AgeError.invalidKey("apparent recipient found where an identity was expected") }
        throw AgeError.invalidKey("unknown identity type")
    }

    /// Parses one recipient string: `age1…`, or an ssh-ed25519/ssh-rsa authorized_keys line. Other known forms are `unsupportedKey`.
    public static func parseRecipient(_ text: String) throws -> any AgeRecipient {
        if text.hasPrefix("AGE-") { throw AgeError.invalidKey("identity found where a recipient was expected") }
        if text.hasPrefix("age1pq1") { throw AgeError.unsupportedKey("post-quantum recipients are not supported yet") }
        if text.hasPrefix("age1tag1") || text.hasPrefix("age1tagpq1") {
            throw AgeError.unsupportedKey("tagged recipients are not supported yet")
        }
        if text.hasPrefix("age1") {
            // The X25519 data part never contains `1`: a second `1` means a plugin HRP.
            if text.dropFirst(4).contains("1") { throw AgeError.unsupportedKey("plugin recipients are not supported yet") }
            return try X25519Recipient(text)
        }
        if text.hasPrefix("ssh-ed25519 ") { return try SSHEd25519Recipient(text) }
        if text.hasPrefix("ssh-rsa ") { return try SSHRSARecipient(text) }
        if text.hasPrefix("ssh-") || text.hasPrefix("ecdsa-") || text.hasPrefix("sk-") {
            throw AgeError.unsupportedKey("this ssh key type is not supported by age")
        }
        throw AgeError.invalidKey("unknown recipient type")
    }

    /// The non-empty, non-comment lines with their 1-based numbers; refuses a BOM, invalid UTF-8
    /// and lines with surrounding whitespace.
    static func lines(_ data: [UInt8], what: String) throws -> [(Int, String)] {
        guard !data.starts(with: [0xEF, 0xBB, 0xBF]) else {
            throw AgeError.invalidKey("\(what) starts with a UTF-8 byte order mark")
        }
        var out: [(Int, String)] = []
        for (index, rawLine) in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).enumerated() {
            var line = rawLine
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            if line.isEmpty || line.first == UInt8(ascii: "#") { continue }
            guard let text = String(validating: line, as: UTF8.self) else {
                throw AgeError.invalidKey("line \(index + 1) of the \(what) is not valid UTF-8")
            }
            guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last,
                  !first.properties.isWhitespace, !last.properties.isWhitespace else {
                throw AgeError.invalidKey("line \(index + 1) of the \(what) has leading or trailing whitespace")
            }
            out.append((index + 1, text))
        }
        return out
    }
}
