import KSecretSystem

/// The one error type of the library.
///
/// Policy (STYLE.md, Documentation/ExitCodes.md): a message is lowercase, has no trailing period,
/// and says what failed and where; hints are separate lines; the exit code is sops's code for that
/// failure so scripts written for sops keep working. No message ever contains a secret value: callers
/// pass key paths, file names and positions, never plaintext.
public struct KSecretError: Error, Sendable, CustomStringConvertible {
    public var code: Code
    public var message: String
    public var hints: [String]
    public var location: SourceLocation?
    /// The underlying failure (a CryptoError, an AgeError, a C library error), for `--verbose`.
    public var cause: String?

    public init(_ code: Code, _ message: String, hints: [String] = [], location: SourceLocation? = nil, cause: (any Error)? = nil) {
        self.code = code
        self.message = message
        self.hints = hints
        self.location = location
        self.cause = cause.map { String(describing: $0) }
    }

    public var description: String {
        var text = message
        if let location { text = "\(location): \(message)" }
        return text
    }

    /// sops's exit codes (cmd/sops/codes), by name. Documentation/ExitCodes.md is the table.
    public enum Code: Int32, Sendable {
        case generic = 1
        case couldNotReadInputFile = 2
        case couldNotWriteOutputFile = 3
        case errorDumpingTree = 4
        case errorReadingConfig = 5
        case invalidSetFormat = 7
        case conflictingParameters = 8
        case errorEncryptingMac = 21
        case errorEncryptingTree = 23
        case errorDecryptingMac = 24
        case errorDecryptingTree = 25
        case cannotChangeKeysFromNonExistentFile = 49
        case macMismatch = 51
        case macNotFound = 52
        case configFileNotFound = 61
        case keyboardInterrupt = 85
        case invalidTreePathFormat = 91
        case needAtLeastOneDocument = 92
        case noFileSpecified = 100
        case noEncryptionKeyFound = 111
        case duplicateDecryptionKeyType = 112
        case couldNotRetrieveKey = 128
        case fileHasNotBeenModified = 200
        case noEditorFound = 201
        case failedToCompareVersions = 202
        case fileAlreadyEncrypted = 203

        // ksecret's own codes for the credential flows (`db`, `ddns`), in a range sops leaves unused.
        case databaseUnreachable = 30
        case databaseAuthenticationFailed = 31
        case databaseNotFound = 32
        case databaseTLS = 33
        case databaseError = 34
        case rotationRolledBack = 35
        case rotationUnresolved = 36
        case ddnsRefused = 40
        case ddnsUnreachable = 41
        case ddnsUnexpectedAnswer = 42
        case waitTimedOut = 43
    }
}

/// Where something is: a file, a key path inside it, and a 1-based line and column.
public struct SourceLocation: Sendable, Equatable, CustomStringConvertible {
    public var file: String?
    public var keyPath: [String]?
    public var line: Int?
    public var column: Int?
    /// The source line and a caret under the column, when known.
    public var snippet: String?

    public init(file: String? = nil, keyPath: [String]? = nil, line: Int? = nil, column: Int? = nil, snippet: String? = nil) {
        self.file = file
        self.keyPath = keyPath
        self.line = line
        self.column = column
        self.snippet = snippet
    }

    public var description: String {
        var parts: [String] = []
        if let file { parts.append(file) }
        if let line {
            parts.append(column.map { "\(line):\($0)" } ?? "\(line)")
        }
        var text = parts.joined(separator: ":")
        if let keyPath, !keyPath.isEmpty {
            let path = TreePath.render(keyPath)
            text += text.isEmpty ? "at \(path)" : " (at \(path))"
        }
        return text
    }

    /// The line `line` of `source` with a caret under `column`, for error output. The line may hold
    /// a secret, so everything after its key (past the first `:` or `=`, or a leading `- `) is masked: the shape
    /// of the line stays visible (quotes, brackets, commas), its letters and digits do not.
    public static func snippet(in source: [UInt8], line: Int, column: Int) -> String? {
        var current = 1
        var start = 0
        var i = 0
        while i < source.count && current < line {
            if source[i] == UInt8(ascii: "\n") { current += 1; start = i + 1 }
            i += 1
        }
        guard current == line else { return nil }
        var end = start
        while end < source.count && source[end] != UInt8(ascii: "\n") && source[end] != UInt8(ascii: "\r") { end += 1 }
        let text = String(decoding: source[start..<end], as: UTF8.self)
        let caret = String(repeating: " ", count: max(0, column - 1)) + "^"
        return "\(mask(text))\n\(caret)"
    }

    static func mask(_ line: String) -> String {
        // By Unicode scalar, not Character: a `:` or space followed by a combining mark is one
        // Character that equals neither, and would leave the value after it unmasked.
        let structural: Set<Unicode.Scalar> = [" ", "\t", ":", "{", "}", "[", "]", ",", "\"", "'", "#", "-", "=", "|", ">", "&", "*", "!", "?"]
        var out = String.UnicodeScalarView()
        var masking = false
        var previous: Unicode.Scalar = " "
        for c in line.unicodeScalars {
            if masking {
                out.append(structural.contains(c) ? c : "*")
            } else {
                out.append(c)
                if c == "=" || c == ":" || (c == " " && previous == "-") { masking = true }
            }
            previous = c
        }
        return String(out)
    }
}

/// Key paths in sops's `["a"]["b"]` notation (mapping keys only, as in sops's AAD paths).
public enum TreePath {
    public static func render(_ keys: [String]) -> String {
        keys.map { key in
            "[\"" + key.replacingBytes(of: "\\", with: "\\\\").replacingBytes(of: "\"", with: "\\\"") + "\"]"
        }.joined()
    }
}
