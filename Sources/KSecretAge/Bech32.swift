/// BIP-173 Bech32 (checksum constant 1, not Bech32m) as age uses it for keys.
///
/// Policy (age-format.md §2.3, trap 13): no 90-character limit (post-quantum and plugin keys are
/// longer); the separator is the last `1`, so a human-readable part may itself contain `1`; a
/// string is all lowercase or all uppercase; the checksum is computed over the lowercased form.
public enum Bech32 {
    private static let charset: [UInt8] = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l".utf8)
    private static let charsetIndex: [Int8] = {
        var table = [Int8](repeating: -1, count: 128)
        for (index, char) in charset.enumerated() { table[Int(char)] = Int8(index) }
        return table
    }()

    /// Encodes `data` under `hrp`. An uppercase `hrp` gives an all-uppercase string (age's
    /// `AGE-SECRET-KEY-1…`). Returns nil for an empty or mixed-case HRP, or one outside 33–126.
    public static func encode(hrp: String, data: [UInt8]) -> String? {
        let hrpBytes = Array(hrp.utf8)
        guard !hrpBytes.isEmpty, hrpBytes.allSatisfy({ (33...126).contains($0) }) else { return nil }
        let lower = hrpBytes.map(lowercased)
        let upper = hrpBytes.map(uppercased)
        let isUpper: Bool
        if lower == hrpBytes { isUpper = false } else if upper == hrpBytes { isUpper = true } else { return nil }
        guard let values = convertBits(data, from: 8, to: 5, pad: true) else { return nil }
        let checksum = createChecksum(hrp: lower, values: values)
        var out = lower + [UInt8(ascii: "1")]
        for value in values + checksum { out.append(charset[Int(value)]) }
        if isUpper { out = out.map(uppercased) }
        return String(decoding: out, as: UTF8.self)
    }

    /// Decodes a Bech32 string into its HRP (in the case it was written) and data bytes, or nil
    /// when it is malformed: mixed case, no separator, fewer than 6 checksum characters, a
    /// character outside the charset, a bad checksum, or non-zero padding bits.
    public static func decode(_ text: String) -> (hrp: String, data: [UInt8])? {
        let bytes = Array(text.utf8)
        guard bytes.allSatisfy({ (33...126).contains($0) }) else { return nil }
        let lower = bytes.map(lowercased)
        let upper = bytes.map(uppercased)
        guard lower == bytes || upper == bytes else { return nil }
        guard let separator = lower.lastIndex(of: UInt8(ascii: "1")), separator >= 1,
              separator + 7 <= lower.count else { return nil }
        let hrp = Array(lower[..<separator])
        var values: [UInt8] = []
        for char in lower[(separator + 1)...] {
            let index = char < 128 ? charsetIndex[Int(char)] : -1
            guard index >= 0 else { return nil }
            values.append(UInt8(index))
        }
        guard polymod(hrpExpand(hrp) + values) == 1 else { return nil }
        guard let data = convertBits(Array(values.dropLast(6)), from: 5, to: 8, pad: false) else { return nil }
        return (String(decoding: bytes[..<separator], as: UTF8.self), data)
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (65...90).contains(byte) ? byte + 32 : byte
    }

    private static func uppercased(_ byte: UInt8) -> UInt8 {
        (97...122).contains(byte) ? byte - 32 : byte
    }

    private static func polymod(_ values: [UInt8]) -> UInt32 {
        let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
        var checksum: UInt32 = 1
        for value in values {
            let top = checksum >> 25
            checksum = (checksum & 0x1ff_ffff) << 5 ^ UInt32(value)
            for bit in 0..<5 where (top >> UInt32(bit)) & 1 == 1 { checksum ^= generator[bit] }
        }
        return checksum
    }

    private static func hrpExpand(_ hrp: [UInt8]) -> [UInt8] {
        hrp.map { $0 >> 5 } + [0] + hrp.map { $0 & 31 }
    }

    private static func createChecksum(hrp: [UInt8], values: [UInt8]) -> [UInt8] {
        let mod = polymod(hrpExpand(hrp) + values + [0, 0, 0, 0, 0, 0]) ^ 1
        return (0..<6).map { UInt8((mod >> UInt32(5 * (5 - $0))) & 31) }
    }

    /// Regroups bits strictly: when not padding, refuses 5 or more leftover bits and non-zero
    /// leftover bits.
    private static func convertBits(_ data: [UInt8], from: Int, to: Int, pad: Bool) -> [UInt8]? {
        var accumulator = 0
        var bits = 0
        var out: [UInt8] = []
        let maxValue = (1 << to) - 1
        for value in data {
            guard Int(value) >> from == 0 else { return nil }
            accumulator = (accumulator << from) | Int(value)
            bits += from
            while bits >= to {
                bits -= to
                out.append(UInt8((accumulator >> bits) & maxValue))
            }
            accumulator &= (1 << bits) - 1
        }
        if pad {
            if bits > 0 { out.append(UInt8((accumulator << (to - bits)) & maxValue)) }
        } else if bits >= from || accumulator != 0 {
            return nil
        }
        return out
    }
}
