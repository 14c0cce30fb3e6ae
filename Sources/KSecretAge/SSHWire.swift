import KSecretCrypto

/// The SSH wire encoding (RFC 4251 §5) of public keys and OpenSSH private keys: `uint32`,
/// `string` (a uint32 big-endian length, then the bytes) and `mpint`.
struct SSHWireReader {
    private var bytes: ArraySlice<UInt8>

    init(_ bytes: [UInt8]) { self.bytes = bytes[...] }

    var isAtEnd: Bool { bytes.isEmpty }
    var remaining: ArraySlice<UInt8> { bytes }

    mutating func uint32() throws -> UInt32 {
        guard bytes.count >= 4 else { throw AgeError.invalidKey("malformed ssh key: truncated") }
        let value = bytes.prefix(4).reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        bytes = bytes.dropFirst(4)
        return value
    }

    mutating func string() throws -> [UInt8] {
        let length = Int(try uint32())
        guard bytes.count >= length else { throw AgeError.invalidKey("malformed ssh key: truncated") }
        defer { bytes = bytes.dropFirst(length) }
        return Array(bytes.prefix(length))
    }

    mutating func text() throws -> String { String(decoding: try string(), as: UTF8.self) }

    /// A non-negative mpint as unsigned big-endian bytes (the sign-padding zero removed).
    mutating func mpint() throws -> [UInt8] {
        let raw = try string()
        if let first = raw.first, first & 0x80 != 0 { throw AgeError.invalidKey("malformed ssh key: negative integer") }
        return Array(raw.drop { $0 == 0 })
    }
}

enum SSHWire {
    static func string(_ bytes: [UInt8]) -> [UInt8] {
        let n = UInt32(bytes.count)
        return [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] + bytes
    }

    static func mpint(_ unsigned: [UInt8]) -> [UInt8] {
        let trimmed = Array(unsigned.drop { $0 == 0 })
        return string(trimmed.first.map { $0 & 0x80 != 0 } == true ? [0] + trimmed : trimmed)
    }

    /// The 4-byte key tag of the ssh stanzas: `base64_unpadded(SHA-256(wire)[0:4])`.
    static func tag(_ wire: [UInt8]) -> String { AgeBase64.encodeUnpadded(Array(Digest.sha256(wire).prefix(4))) }

    /// Splits an authorized_keys line `type base64 [comment]` and decodes the blob, which must name
    /// the same type.
    static func parseAuthorizedKey(_ line: String) throws -> (type: String, wire: [UInt8]) {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 2 else { throw AgeError.invalidKey("malformed ssh public key: expected \"type base64 [comment]\"") }
        guard let wire = AgeBase64.decodePadded(Array(fields[1].utf8)) else {
            throw AgeError.invalidKey("malformed ssh public key: invalid base64")
        }
        var reader = SSHWireReader(wire)
        let type = try reader.text()
        guard type == fields[0] else { throw AgeError.invalidKey("malformed ssh public key: the key type does not match its data") }
        return (type, wire)
    }
}
