/// Standard base64 (RFC 4648 §4, `+` and `/`, `=` padding) over bytes, as Go's
/// `base64.StdEncoding` writes and reads it for `ENC[...]` fields (Format.md §1.2).
///
/// Use this rather than Foundation's `Data(base64Encoded:)` on the hot path: it works on
/// `[UInt8]` slices without bridging, and it is strict the way Go is (padding required, no
/// whitespace, no trailing garbage), so a value ksecret accepts is one sops accepts.
enum Base64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in alphabet.enumerated() { table[Int(c)] = UInt8(i) }
        return table
    }()

    static func encodedLength(_ count: Int) -> Int { (count + 2) / 3 * 4 }

    /// Appends the base64 text of `bytes` to `out`.
    static func encode(_ bytes: [UInt8], into out: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        let start = out.count
        // Grow once, then fill through a pointer: a per-byte append is most of the cost otherwise.
        out.append(contentsOf: repeatElement(0, count: encodedLength(bytes.count)))
        out.withUnsafeMutableBufferPointer { _ = encode(bytes, to: $0, at: start) }
    }

    /// Writes the base64 text of `bytes` into `o` from index `j` (room for `encodedLength` bytes
    /// must be there); returns the index after it.
    static func encode(_ bytes: [UInt8], to o: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        let n = bytes.count
        precondition(start + encodedLength(n) <= o.count, "base64 output buffer too small")
        return alphabet.withUnsafeBufferPointer { a in
            bytes.withUnsafeBufferPointer { b in
                var i = 0, j = start
                while i + 3 <= n {
                    let v = UInt32(b[i]) << 16 | UInt32(b[i + 1]) << 8 | UInt32(b[i + 2])
                    o[j] = a[Int(v >> 18 & 63)]
                    o[j + 1] = a[Int(v >> 12 & 63)]
                    o[j + 2] = a[Int(v >> 6 & 63)]
                    o[j + 3] = a[Int(v & 63)]
                    i += 3
                    j += 4
                }
                let rest = n - i
                if rest > 0 {
                    let v = UInt32(b[i]) << 16 | (rest == 2 ? UInt32(b[i + 1]) << 8 : 0)
                    o[j] = a[Int(v >> 18 & 63)]
                    o[j + 1] = a[Int(v >> 12 & 63)]
                    o[j + 2] = rest == 2 ? a[Int(v >> 6 & 63)] : UInt8(ascii: "=")
                    o[j + 3] = UInt8(ascii: "=")
                    j += 4
                }
                return j
            }
        }
    }

    static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        encode(bytes, into: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes padded standard base64; nil when the text is not valid (wrong length, a character
    /// outside the alphabet, misplaced padding). Like Go's non-strict `StdEncoding`, non-zero
    /// trailing bits before the padding are tolerated.
    static func decode(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        let n = text.count
        if n == 0 { return [] }
        guard n % 4 == 0 else { return nil }
        var padding = 0
        if text[text.endIndex - 1] == UInt8(ascii: "=") { padding += 1 }
        if text[text.endIndex - 2] == UInt8(ascii: "=") { padding += 1 }
        var out = [UInt8]()
        out.reserveCapacity(n / 4 * 3 - padding)
        return decodeTable.withUnsafeBufferPointer { t -> [UInt8]? in
            var i = text.startIndex
            let end = text.endIndex
            while i < end {
                let last = i + 4 == end
                let c0 = t[Int(text[i])], c1 = t[Int(text[i + 1])]
                guard c0 != 0xFF, c1 != 0xFF else { return nil }
                if last && padding > 0 {
                    if padding == 2 {
                        out.append(c0 << 2 | c1 >> 4)
                    } else {
                        let c2 = t[Int(text[i + 2])]
                        guard c2 != 0xFF, text[i + 3] == UInt8(ascii: "=") else { return nil }
                        out.append(c0 << 2 | c1 >> 4)
                        out.append(c1 << 4 | c2 >> 2)
                    }
                } else {
                    let c2 = t[Int(text[i + 2])], c3 = t[Int(text[i + 3])]
                    guard c2 != 0xFF, c3 != 0xFF else { return nil }
                    out.append(c0 << 2 | c1 >> 4)
                    out.append(c1 << 4 | c2 >> 2)
                    out.append(c2 << 6 | c3)
                }
                i += 4
            }
            return out
        }
    }

    static func decode(_ text: String) -> [UInt8]? { decode(Array(text.utf8)[...]) }
}
