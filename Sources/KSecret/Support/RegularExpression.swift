import KSecretSystem

/// A regular expression from a user (`path_regex`, `encrypted_regex`, …) or from ksecret itself,
/// searched for in a string as sops does (Go's `regexp.MatchString`: a match anywhere).
///
/// Swift's own engine, matching Unicode scalars one at a time as Go's RE2 and ICU do (not
/// grapheme clusters, Swift's default: with those, `\r?\n` would not match a CRLF line break and
/// `.` would take a letter together with its combining accents). Perl syntax, a superset of what
/// sops rules use: `(?i)`, classes, `\d \w \s`, anchors, alternation, lazy quantifiers.
public struct RegularExpression: @unchecked Sendable {
    public let pattern: String
    private let regex: Regex<AnyRegexOutput>

    /// Throws the engine's own description of what is wrong with the pattern.
    public init(_ pattern: String) throws {
        self.pattern = pattern
        regex = try Regex(pattern).matchingSemantics(.unicodeScalar)
    }

    /// Whether the expression matches somewhere in `text`.
    public func matches(_ text: String) -> Bool {
        (try? regex.firstMatch(in: text)) != nil
    }
}
