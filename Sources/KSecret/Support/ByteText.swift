/// Text operations on UTF-8 bytes. Swift's `String` compares by grapheme cluster, so a `'` followed by
/// a combining mark (U+0651 and the like) is one `Character` that equals no `"'"`: a quote escaped,
/// a secret redacted or a line break replaced that way can be missed. The formats and the wire
/// (YAML quoting, sops's flat metadata, libpq's messages) work on bytes, and so do these.
extension String {
    /// `self` with every occurrence of `target`'s bytes replaced by `replacement`'s, left to right.
    public func replacingBytes(of target: String, with replacement: String) -> String {
        let needle = Array(target.utf8)
        guard !needle.isEmpty else { return self }
        let haystack = Array(utf8)
        guard haystack.count >= needle.count else { return self }
        var out: [UInt8] = []
        out.reserveCapacity(haystack.count)
        var i = 0
        var replaced = false
        while i < haystack.count {
            if haystack[i] == needle[0], i + needle.count <= haystack.count,
               haystack[i..<(i + needle.count)].elementsEqual(needle) {
                out.append(contentsOf: replacement.utf8)
                i += needle.count
                replaced = true
            } else {
                out.append(haystack[i])
                i += 1
            }
        }
        return replaced ? String(decoding: out, as: UTF8.self) : self
    }
}
