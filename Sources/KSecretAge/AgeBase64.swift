/// Strict RFC 4648 base64 for age: the unpadded canonical form used inside the header, and the
/// padded canonical form used by the ASCII armor.
///
/// Policy (age-format.md §2.1, §2.2, trap 2): decoding accepts only the standard alphabet, rejects
/// CR, LF, spaces and every other byte, and rejects a last character whose spare bits are not zero.
/// Use this rather than Foundation, which needs padding, tolerates non-canonical input and wraps
/// with CRLF.
public enum AgeBase64 {
    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (index, char) in alphabet.enumerated() { table[Int(char)] = UInt8(index) }
        return table
    }()

    /// Canonical unpadded encoding (Go's `RawStdEncoding`), as written in stanza arguments, bodies
    /// and the header MAC.
    public static func encodeUnpadded(_ bytes: [UInt8]) -> String {
        String(decoding: encodeBytes(bytes, padded: false), as: UTF8.self)
    }

    /// Canonical padded encoding, as written in the armor.
    public static func encodePadded(_ bytes: [UInt8]) -> String {
        String(decoding: encodeBytes(bytes, padded: true), as: UTF8.self)
    }

    /// Strict canonical unpadded decoding; nil for any padding, foreign byte, length of 1 mod 4,
    /// or non-zero spare bits.
    public static func decodeUnpadded<C: Collection>(_ text: C) -> [UInt8]? where C.Element == UInt8 {
        decodeGroups(Array(text))
    }

    /// Strict canonical unpadded decoding of a string.
    public static func decodeUnpadded(_ text: String) -> [UInt8]? { decodeUnpadded(Array(text.utf8)) }

    /// Strict canonical padded decoding: the length must be a multiple of 4, with `=` only as
    /// the one or two final characters, and zero spare bits.
    public static func decodePadded<C: Collection>(_ text: C) -> [UInt8]? where C.Element == UInt8 {
        let chars = Array(text)
        guard chars.count % 4 == 0 else { return nil }
        var end = chars.count
        if end > 0 && chars[end - 1] == UInt8(ascii: "=") {
            end -= 1
            if chars[end - 1] == UInt8(ascii: "=") { end -= 1 }
        }
        return decodeGroups(Array(chars[..<end]))
    }

    static func encodeBytes(_ bytes: [UInt8], padded: Bool) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out.append(alphabet[Int(n >> 18 & 63)]); out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)]); out.append(alphabet[Int(n & 63)])
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            let n = UInt32(bytes[index]) << 16
            out.append(alphabet[Int(n >> 18 & 63)]); out.append(alphabet[Int(n >> 12 & 63)])
            if padded { out.append(contentsOf: [UInt8(ascii: "="), UInt8(ascii: "=")]) }
        } else if rest == 2 {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out.append(alphabet[Int(n >> 18 & 63)]); out.append(alphabet[Int(n >> 12 & 63)])
            out.append(alphabet[Int(n >> 6 & 63)])
            if padded { out.append(UInt8(ascii: "=")) }
        }
        return out
    }

    /// Decodes alphabet characters only (no `=`), checking that spare bits are zero.
    private static func decodeGroups(_ chars: [UInt8]) -> [UInt8]? {
        guard chars.count % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for char in chars {
            let value = decodeTable[Int(char)]
            guard value != 0xFF else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
                accumulator &= (1 << UInt32(bits)) - 1
            }
        }
        guard accumulator == 0 else { return nil }
        return out
    }
}
