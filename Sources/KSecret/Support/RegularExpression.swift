import KSecretSystem

/// A regular expression from a user (`path_regex`, `encrypted_regex`, …) or from ksecret itself,
/// searched for in a string as sops does (Go's `regexp.MatchString`: a match anywhere).
///
/// Swift's own engine, matching Unicode scalars one at a time as Go's RE2 and ICU do (not
/// grapheme clusters, Swift's default: with those, `\r?\n` would not match a CRLF line break and
/// `.` would take a letter together with its combining accents). Perl syntax, a superset of what
/// sops rules use: `(?i)`, classes, `\d \w \s`, anchors, alternation, lazy quantifiers. The two
/// escapes Go writes differently are translated first (`swiftSyntax(fromGo:)`).
public struct RegularExpression: @unchecked Sendable {
    public let pattern: String
    private let regex: Regex<AnyRegexOutput>

    /// Throws the engine's own description of what is wrong with the pattern.
    public init(_ pattern: String) throws {
        self.pattern = pattern
        regex = try Regex(Self.swiftSyntax(fromGo: pattern)).matchingSemantics(.unicodeScalar)
    }

    /// Go's regexp syntax (RE2) where Swift's differs: a one-letter Unicode class without braces
    /// (`\pL`, `\PN`) and an octal escape (`\0`, `\012`, `\141`: in Go a backslash and a digit is
    /// never a back-reference) become `\p{L}`, `\P{N}` and `\o{141}`. Everything else is the same
    /// in both, or is Perl syntax Go would refuse and Swift accepts.
    static func swiftSyntax(fromGo pattern: String) -> String {
        let scalars = Array(pattern.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        func isOctal(_ at: Int) -> Bool { at < scalars.count && ("0"..."7").contains(scalars[at]) }
        while i < scalars.count {
            guard scalars[i] == "\\", i + 1 < scalars.count else {
                out.append(scalars[i])
                i += 1
                continue
            }
            let next = scalars[i + 1]
            if (next == "p" || next == "P"), i + 2 < scalars.count, scalars[i + 2] != "{",
               scalars[i + 2].properties.isAlphabetic {
                out.append(contentsOf: "\\\(next){\(scalars[i + 2])}".unicodeScalars)
                i += 3
            } else if next == "0" || (("1"..."7").contains(next) && isOctal(i + 2)) {
                var end = i + 2
                while end < scalars.count, end < i + 4, isOctal(end) { end += 1 }
                out.append(contentsOf: "\\o{".unicodeScalars)
                out.append(contentsOf: scalars[(i + 1)..<end])
                out.append("}")
                i = end
            } else {
                out.append(scalars[i])
                out.append(next)
                i += 2
            }
        }
        return String(out)
    }

    /// Whether the expression matches somewhere in `text`.
    public func matches(_ text: String) -> Bool {
        (try? regex.firstMatch(in: text)) != nil
    }
}
