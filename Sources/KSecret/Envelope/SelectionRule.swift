import KSecretSystem

/// Which leaves get encrypted (Format.md §2.4): exactly one rule per file, stored in the metadata
/// under `metadataKey`. Without one, sops uses (and writes) `unencrypted_suffix: _unencrypted`.
///
/// `shouldEncrypt` answers for one leaf; `Envelope` uses a compiled `Matcher` instead so the
/// regular expression is built once and each mapping key is tested once, not once per leaf.
public enum SelectionRule: Sendable, Equatable, Hashable {
    case unencryptedSuffix(String)
    case encryptedSuffix(String)
    case unencryptedRegex(String)
    case encryptedRegex(String)
    case unencryptedCommentRegex(String)
    case encryptedCommentRegex(String)

    public static let defaultUnencryptedSuffix = "_unencrypted"
    public static let `default` = SelectionRule.unencryptedSuffix(defaultUnencryptedSuffix)

    /// The metadata keys, in the order sops writes them.
    public static let metadataKeys = [
        "unencrypted_suffix", "encrypted_suffix", "unencrypted_regex", "encrypted_regex",
        "unencrypted_comment_regex", "encrypted_comment_regex",
    ]

    public init?(metadataKey: String, value: String) {
        switch metadataKey {
        case "unencrypted_suffix": self = .unencryptedSuffix(value)
        case "encrypted_suffix": self = .encryptedSuffix(value)
        case "unencrypted_regex": self = .unencryptedRegex(value)
        case "encrypted_regex": self = .encryptedRegex(value)
        case "unencrypted_comment_regex": self = .unencryptedCommentRegex(value)
        case "encrypted_comment_regex": self = .encryptedCommentRegex(value)
        default: return nil
        }
    }

    public var metadataKey: String {
        switch self {
        case .unencryptedSuffix: return "unencrypted_suffix"
        case .encryptedSuffix: return "encrypted_suffix"
        case .unencryptedRegex: return "unencrypted_regex"
        case .encryptedRegex: return "encrypted_regex"
        case .unencryptedCommentRegex: return "unencrypted_comment_regex"
        case .encryptedCommentRegex: return "encrypted_comment_regex"
        }
    }

    public var value: String {
        switch self {
        case .unencryptedSuffix(let v), .encryptedSuffix(let v), .unencryptedRegex(let v), .encryptedRegex(let v),
             .unencryptedCommentRegex(let v), .encryptedCommentRegex(let v):
            return v
        }
    }

    /// Whether a leaf at `path` (mapping keys from the root) is encrypted, given the comment stack
    /// (one list per enclosing mapping/sequence level, outermost first, of the comments seen since
    /// that level's last non-comment item). For a comment leaf, pass `isComment: true`: its own
    /// text is the last entry of the last level, and `encrypted_comment_regex` ignores it.
    public func shouldEncrypt(path: [String], commentStack: [[String]], isComment: Bool = false) throws -> Bool {
        let matcher = try compiled()
        return matcher.shouldEncrypt(pathMatched: path.contains { matcher.keyMatches($0) },
                                     commentStack: commentStack, isComment: isComment)
    }

    /// Builds the matcher; throws exit 1 when the regular expression does not compile.
    public func compiled() throws -> Matcher { try Matcher(self) }

    /// A rule ready to apply: the regular expression compiled once, match results cached.
    public final class Matcher: @unchecked Sendable {
        public let rule: SelectionRule
        private let regex: RegularExpression?
        // Only touched by the one walk that owns this matcher.
        private var cache: [String: Bool] = [:]

        init(_ rule: SelectionRule) throws {
            self.rule = rule
            switch rule {
            case .unencryptedRegex(let p), .encryptedRegex(let p), .unencryptedCommentRegex(let p), .encryptedCommentRegex(let p):
                do {
                    regex = try RegularExpression(p)
                } catch {
                    throw KSecretError(.generic, "invalid \(rule.metadataKey) \"\(p)\"", cause: error)
                }
            case .unencryptedSuffix, .encryptedSuffix:
                regex = nil
            }
        }

        /// Whether the rule looks at key paths (suffix and key regex rules) rather than comments.
        public var usesPath: Bool {
            switch rule {
            case .unencryptedSuffix, .encryptedSuffix, .unencryptedRegex, .encryptedRegex: return true
            case .unencryptedCommentRegex, .encryptedCommentRegex: return false
            }
        }

        public var usesComments: Bool { !usesPath }

        private func search(_ text: String) -> Bool {
            if let hit = cache[text] { return hit }
            let hit = regex!.matches(text)
            cache[text] = hit
            return hit
        }

        /// Whether one mapping key matches the rule's suffix or key regex (false for comment rules).
        public func keyMatches(_ key: String) -> Bool {
            switch rule {
            case .unencryptedSuffix(let s), .encryptedSuffix(let s):
                // Bytewise, as Go's strings.HasSuffix (Swift's hasSuffix compares Characters).
                let k = key.utf8, suffix = s.utf8
                return !s.isEmpty && k.count >= suffix.count && k.suffix(suffix.count).elementsEqual(suffix)
            case .unencryptedRegex(let p), .encryptedRegex(let p):
                return !p.isEmpty && search(key)
            case .unencryptedCommentRegex, .encryptedCommentRegex:
                return false
            }
        }

        /// Whether a comment's text matches a comment regex rule.
        public func commentMatches(_ text: String) -> Bool {
            switch rule {
            case .unencryptedCommentRegex(let p), .encryptedCommentRegex(let p): return !p.isEmpty && search(text)
            default: return false
            }
        }

        /// The decision for a leaf, given whether any component of its path matched `keyMatches`.
        /// Mirrors sops's `shouldBeEncrypted`, including its treatment of empty rule values.
        public func shouldEncrypt(pathMatched: Bool, commentStack: [[String]], isComment: Bool) -> Bool {
            switch rule {
            case .unencryptedSuffix(let s), .unencryptedRegex(let s):
                return s.isEmpty ? true : !pathMatched
            case .encryptedSuffix(let s), .encryptedRegex(let s):
                return s.isEmpty ? true : pathMatched
            case .unencryptedCommentRegex(let p):
                if p.isEmpty { return true }
                for level in commentStack { for c in level where commentMatches(c) { return false } }
                return true
            case .encryptedCommentRegex(let p):
                if p.isEmpty { return true }
                let lastLevel = commentStack.count - 1
                for (i, level) in commentStack.enumerated() {
                    for (j, c) in level.enumerated() {
                        if isComment && i == lastLevel && j == level.count - 1 { continue }
                        if commentMatches(c) { return true }
                    }
                }
                return false
            }
        }
    }
}
