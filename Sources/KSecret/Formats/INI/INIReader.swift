/// Reads INI the way gopkg.in/ini.v1 (as configured by sops) does, keeping byte positions.
///
/// go-ini rules mirrored here (Format.md §6.4): keys outside sections go to `DEFAULT`, which
/// always exists; `;`/`#` lines collect into the comment of the next key or section; an inline
/// comment starts at the first `;` or `#` of an unquoted value; values may be quoted with
/// `"""…"""` (multi-line) or backticks, or surrounded by `"`/`'`; a trailing `\` continues a value.
/// A repeated key keeps its first position and takes the last value and comment.
struct INIReader {
    struct Key {
        var name: String
        var value: String
        var valueSpan: Range<Int>
        var comment: String
        var commentSpan: Range<Int>?
    }

    struct Section {
        var name: String
        var comment: String
        var commentSpan: Range<Int>?
        var keys: [Key] = []
        var index: [String: Int] = [:]
        /// For `[sops]`: the bytes to remove with it (preceding blank/comment lines through its last line).
        var region: Range<Int>
    }

    struct Result {
        var sections: [Section]
        /// True when go-ini would drop something the bytes still hold (a repeated key, a trailing
        /// comment): the file must then be written in the canonical layout, never patched.
        var lossy: Bool
    }

    let path: String

    @inline(__always) static func isSpace(_ c: UInt8) -> Bool {
        c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0B || c == 0x0C || c == 0x0D
    }

    func read(_ src: [UInt8]) throws -> Result {
        try StoreErrors.checkText(src, path: path, format: "INI", controls: true)
        let n = src.count
        var pos = 0
        if n >= 3 && src[0] == 0xEF && src[1] == 0xBB && src[2] == 0xBF { pos = 3 }
        var sections: [Section] = [Section(name: "DEFAULT", comment: "", region: 0..<0)]
        var pieces: [Range<Int>] = []
        var lossy = false
        var lastContentEnd = pos
        var autoCount = 1

        func lineEnd(from s: Int) -> Int {
            var e = s
            while e < n && src[e] != 0x0A { e += 1 }
            return e < n ? e + 1 : e
        }
        func trimmed(_ r: Range<Int>) -> Range<Int> {
            var a = r.lowerBound, b = r.upperBound
            while a < b && INIReader.isSpace(src[a]) { a += 1 }
            while b > a && INIReader.isSpace(src[b - 1]) { b -= 1 }
            return a..<b
        }
        func error(_ message: String, _ offset: Int) -> KSecretError {
            StoreErrors.syntax(message, source: src, offset: offset, path: path)
        }
        func firstIndex(of set: [UInt8], in r: Range<Int>) -> Int? {
            var i = r.lowerBound
            while i < r.upperBound { if set.contains(src[i]) { return i }; i += 1 }
            return nil
        }
        func lastIndex(of needle: [UInt8], in r: Range<Int>) -> Int? {
            guard r.count >= needle.count else { return nil }
            var i = r.upperBound - needle.count
            while i >= r.lowerBound {
                if src[i..<(i + needle.count)].elementsEqual(needle) { return i }
                i -= 1
            }
            return nil
        }
        func text(_ r: Range<Int>) -> String { String(decoding: src[r], as: UTF8.self) }
        /// The comment collected so far: go-ini's TrimSpace of the joined lines, then sops's strip of
        /// leading `;`/`#` and spaces; the span is usable only when the bytes there are that text.
        func takeComment() -> (String, Range<Int>?) {
            defer { pieces.removeAll() }
            guard !pieces.isEmpty else { return ("", nil) }
            var joined: [UInt8] = []
            for p in pieces { joined.append(contentsOf: src[p]) }
            var a = 0, b = joined.count
            while a < b && INIReader.isSpace(joined[a]) { a += 1 }
            while b > a && INIReader.isSpace(joined[b - 1]) { b -= 1 }
            guard a < b else { return ("", nil) }
            let raw = Array(joined[a..<b])
            let stripped = INIReader.stripCommentChar(raw)
            let textValue = String(decoding: stripped, as: UTF8.self)
            let first = trimmed(pieces.first!), last = trimmed(pieces.last!)
            let start = first.lowerBound + (raw.count - stripped.count)
            guard start <= last.upperBound else { return (textValue, nil) }
            let span = start..<last.upperBound
            return (textValue, src[span].elementsEqual(stripped) ? span : nil)
        }

        while pos < n {
            let ls = pos
            let le = lineEnd(from: pos)
            pos = le
            var s = ls
            while s < le && INIReader.isSpace(src[s]) { s += 1 }
            if s == le { continue }
            let c = src[s]
            if c == UInt8(ascii: "#") || c == UInt8(ascii: ";") {
                pieces.append(s..<le)
                continue
            }
            if c == UInt8(ascii: "[") {
                guard let close = lastIndex(of: [UInt8(ascii: "]")], in: s..<le) else {
                    throw error("unclosed section header", s)
                }
                let name = text((s + 1)..<close)
                if name.isEmpty { throw error("empty section name", s) }
                // The writers cannot spell such a name back (go-ini would not read it the same).
                if src[(s + 1)..<close].contains(where: { $0 < 0x20 || $0 == 0x7F }) {
                    throw error("the section name holds a tab or a control character, which an INI file cannot carry back", s)
                }
                if let i = firstIndex(of: [UInt8(ascii: "#"), UInt8(ascii: ";")], in: (close + 1)..<le) { pieces.append(i..<le) }
                // A preceding section named sops ends at the last line it owned.
                if sections.last!.name == "sops" { sections[sections.count - 1].region = sections.last!.region.lowerBound..<lastContentEnd }
                let regionStart = lastContentEnd
                let (comment, span) = takeComment()
                sections.append(Section(name: name, comment: comment, commentSpan: span, region: regionStart..<le))
                autoCount = 1
                lastContentEnd = le
                continue
            }
            // Key name.
            var nameRange: Range<Int>
            var offset: Int
            let delimiters: [UInt8] = [UInt8(ascii: "="), UInt8(ascii: ":")]
            var quote: [UInt8] = []
            if c == UInt8(ascii: "\"") {
                quote = (le - s > 6 && src[s..<(s + 3)].elementsEqual(Array("\"\"\"".utf8))) ? Array("\"\"\"".utf8) : [0x22]
            } else if c == UInt8(ascii: "`") {
                quote = [UInt8(ascii: "`")]
            }
            if !quote.isEmpty {
                var q = s + quote.count
                var found: Int?
                while q + quote.count <= le {
                    if src[q..<(q + quote.count)].elementsEqual(quote) { found = q; break }
                    q += 1
                }
                guard let close = found else { throw error("missing closing key quote", s) }
                guard let d = firstIndex(of: delimiters, in: min(le, close + quote.count)..<le) else {
                    throw error("key-value delimiter not found", s)
                }
                nameRange = trimmed((s + quote.count)..<close)
                offset = d + 1
            } else {
                guard let d = firstIndex(of: delimiters, in: s..<le) else { throw error("key-value delimiter not found", s) }
                if d == s { throw error("empty key name", s) }
                nameRange = trimmed(s..<d)
                offset = d + 1
            }
            var name = text(nameRange)
            if name.isEmpty { throw error("empty key name", s) }
            if name == "-" { name = "#\(autoCount)"; autoCount += 1 }
            // A key go-ini reads but no spelling writes back (a `"`, a backquote and a `"""` or a
            // final `"` in one name) is refused here, not when the decrypted file is printed.
            if INIWriter.spelledKey(name) == nil {
                throw error("the key \(TreePath.render([name])) cannot be written back in an INI file (it holds quotes of every kind)", s)
            }

            // Value.
            var v = offset
            while v < le && INIReader.isSpace(src[v]) { v += 1 }
            var value = ""
            var span: Range<Int>
            if v == le {
                var p = le
                while p > offset && (src[p - 1] == 0x0A || src[p - 1] == 0x0D) { p -= 1 }
                span = p..<p
            } else {
                var vq: [UInt8] = []
                if le - v > 3 && src[v..<(v + 3)].elementsEqual(Array("\"\"\"".utf8)) { vq = Array("\"\"\"".utf8) }
                else if src[v] == UInt8(ascii: "`") { vq = [UInt8(ascii: "`")] }
                if !vq.isEmpty {
                    let inner = v + vq.count
                    if let q = lastIndex(of: vq, in: inner..<le) {
                        value = text(inner..<q)
                        span = v..<(q + vq.count)
                    } else {
                        var bytes = Array(src[inner..<le])
                        var closed: Int?
                        while true {
                            let ns = pos
                            let ne = lineEnd(from: pos)
                            pos = ne
                            if let q = lastIndex(of: vq, in: ns..<ne) {
                                bytes.append(contentsOf: src[ns..<q])
                                if let i = firstIndex(of: [UInt8(ascii: "#"), UInt8(ascii: ";")], in: q..<ne) {
                                    let t = trimmed(i..<ne)
                                    if !t.isEmpty { pieces.append(t) }
                                }
                                closed = q + vq.count
                                break
                            }
                            bytes.append(contentsOf: src[ns..<ne])
                            if ne >= n { break }
                        }
                        guard let end = closed else { throw error("missing closing value quote", v) }
                        value = String(decoding: bytes, as: UTF8.self)
                        span = v..<end
                    }
                } else {
                    var t = trimmed(v..<le)
                    if src[t.upperBound - 1] == UInt8(ascii: "\\") {
                        var bytes = Array(src[t.lowerBound..<(t.upperBound - 1)])
                        var end = t.upperBound
                        while true {
                            let ns = pos
                            let ne = lineEnd(from: pos)
                            pos = ne
                            let nt = trimmed(ns..<ne)
                            if nt.isEmpty { break }
                            bytes.append(contentsOf: src[nt])
                            end = nt.upperBound
                            if bytes.last != UInt8(ascii: "\\") { break }
                            bytes.removeLast()
                            if ne >= n { break }
                        }
                        value = String(decoding: bytes, as: UTF8.self)
                        span = t.lowerBound..<end
                    } else {
                        if let i = firstIndex(of: [UInt8(ascii: "#"), UInt8(ascii: ";")], in: t) {
                            pieces.append(i..<t.upperBound)
                            t = trimmed(t.lowerBound..<i)
                        }
                        span = t
                        var r = t
                        if r.count >= 2 {
                            for q in [UInt8(ascii: "'"), UInt8(ascii: "\"")] where src[r.lowerBound] == q && src[r.upperBound - 1] == q {
                                if !src[(r.lowerBound + 1)..<(r.upperBound - 1)].contains(q) { r = (r.lowerBound + 1)..<(r.upperBound - 1) }
                                break
                            }
                        }
                        value = text(r)
                    }
                }
            }
            lastContentEnd = pos
            let (comment, commentSpan) = takeComment()
            let key = Key(name: name, value: value, valueSpan: span, comment: comment, commentSpan: commentSpan)
            var section = sections.removeLast()
            if let i = section.index[name] {
                lossy = true
                section.keys[i].value = value
                section.keys[i].valueSpan = span
                section.keys[i].comment = comment
                section.keys[i].commentSpan = commentSpan
            } else {
                section.index[name] = section.keys.count
                section.keys.append(key)
            }
            sections.append(section)
        }
        if sections.last!.name == "sops" { sections[sections.count - 1].region = sections.last!.region.lowerBound..<n }
        if !pieces.isEmpty {
            if sections.last!.name != "sops" { lossy = true }
        }
        return Result(sections: sections, lossy: lossy)
    }

    /// sops's `stripCommentChar`: drops leading `;` and spaces (or `#` and spaces).
    static func stripCommentChar(_ raw: [UInt8]) -> [UInt8] {
        guard let first = raw.first else { return raw }
        let marker: UInt8
        if first == UInt8(ascii: ";") { marker = first } else if first == UInt8(ascii: "#") { marker = first } else { return raw }
        var i = 0
        while i < raw.count && (raw[i] == marker || raw[i] == 0x20) { i += 1 }
        return Array(raw[i...])
    }
}
