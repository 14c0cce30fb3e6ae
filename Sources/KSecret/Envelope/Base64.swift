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
        text.withUnsafeBufferPointer { decode($0) }
    }

    /// The bytes of `text`, or nil when it is not padded standard base64. Written straight into the
    /// result's storage: run for three fields of every value of a file.
    static func decode(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        let n = text.count
        if n == 0 { return [] }
        guard n % 4 == 0 else { return nil }
        var padding = 0
        if text[n - 1] == UInt8(ascii: "=") { padding += 1 }
        if text[n - 2] == UInt8(ascii: "=") { padding += 1 }
        var valid = true
        let out = decodeTable.withUnsafeBufferPointer { t in
            [UInt8](unsafeUninitializedCapacity: n / 4 * 3 - padding) { o, initialized in
                // A table entry is 0-63 for an alphabet byte and 0xFF otherwise: OR-ing the four
                // and testing the top bits finds any byte outside the alphabet.
                var i = 0, j = 0
                let full = padding > 0 ? n - 4 : n
                while i < full {
                    let c0 = t[Int(text[i])], c1 = t[Int(text[i + 1])], c2 = t[Int(text[i + 2])], c3 = t[Int(text[i + 3])]
                    guard (c0 | c1 | c2 | c3) & 0xC0 == 0 else { valid = false; break }
                    o[j] = c0 << 2 | c1 >> 4
                    o[j + 1] = c1 << 4 | c2 >> 2
                    o[j + 2] = c2 << 6 | c3
                    i += 4
                    j += 3
                }
                if valid && padding > 0 {
                    let c0 = t[Int(text[i])], c1 = t[Int(text[i + 1])]
                    if (c0 | c1) & 0xC0 != 0 {
                        valid = false
                    } else if padding == 2 {
                        o[j] = c0 << 2 | c1 >> 4
                        j += 1
                    } else {
                        let c2 = t[Int(text[i + 2])]
                        if c2 & 0xC0 != 0 || text[i + 3] != UInt8(ascii: "=") {
                            valid = false
                        } else {
                            o[j] = c0 << 2 | c1 >> 4
                            o[j + 1] = c1 << 4 | c2 >> 2
                            j += 2
                        }
                    }
                }
                initialized = j
            }
        }
        return valid ? out : nil
    }

    static func decode(_ text: String) -> [UInt8]? { decode(Array(text.utf8)[...]) }
}
