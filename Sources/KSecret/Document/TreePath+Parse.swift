/// Parsing of sops's path syntax for `decrypt --extract`, `set` and `unset` (Format.md §8.2):
/// `["a"]["b"][0]` or `['a']`: a quoted component is a mapping key, a bare one a list index.
extension TreePath {
    public enum Component: Sendable, Equatable, CustomStringConvertible {
        case key(String)
        case index(Int)

        public var description: String {
            switch self {
            case .key(let k): return "['\(k)']"
            case .index(let i): return "[\(i)]"
            }
        }
    }

    /// Parses a path. `errorCode` is 91 for `--extract` (the default) and 7 for `set`/`unset`.
    /// The empty string is the empty path (the whole document).
    public static func parse(_ text: String, errorCode: KSecretError.Code = .invalidTreePathFormat) throws -> [Component] {
        let b = Array(text.utf8)
        var out: [Component] = []
        var i = 0
        func fail(_ why: String) -> KSecretError {
            KSecretError(errorCode, "invalid tree path \"\(text)\": \(why)",
                         hints: ["write the path as [\"key\"][\"nested\"][0]: quoted mapping keys, bare list indices"])
        }
        while i < b.count {
            guard b[i] == UInt8(ascii: "[") else { throw fail("expected '[' at offset \(i)") }
            i += 1
            guard i < b.count else { throw fail("unterminated component") }
            let quote = b[i]
            if quote == UInt8(ascii: "\"") || quote == UInt8(ascii: "'") {
                // The key runs to the first matching quote followed by ']'.
                var j = i + 1
                while j + 1 < b.count && !(b[j] == quote && b[j + 1] == UInt8(ascii: "]")) { j += 1 }
                guard j + 1 < b.count else { throw fail("unterminated quoted key") }
                out.append(.key(String(decoding: b[(i + 1)..<j], as: UTF8.self)))
                i = j + 2
            } else {
                var j = i
                while j < b.count && b[j] != UInt8(ascii: "]") { j += 1 }
                guard j < b.count else { throw fail("unterminated component") }
                let digits = String(decoding: b[i..<j], as: UTF8.self)
                guard let index = Int(digits), index >= 0 else {
                    throw fail("\"\(digits)\" is neither a quoted key nor a list index")
                }
                out.append(.index(index))
                i = j + 1
            }
        }
        return out
    }

    /// sops's rendering of a path with indices, e.g. `["a"][0]`.
    public static func render(_ components: [Component]) -> String {
        components.map { component in
            switch component {
            case .key(let k): return render([k])
            case .index(let i): return "[\(i)]"
            }
        }.joined()
    }
}
