import KSecretCrypto
#if canImport(Glibc)
import Glibc
#endif

/// One `ENC[AES256_GCM,data:…,iv:…,tag:…,type:…]` value (Format.md §1.2): the ciphertext, IV,
/// GCM tag and the plaintext type name, as raw bytes.
///
/// Use `parse` on text read from a file and `text` to write; `Envelope` does both. Parsing
/// follows sops's pattern `^ENC\[AES256_GCM,data:(.+),iv:(.+),tag:(.+),type:(.+)\]` (greedy,
/// not anchored at the end) without a regular expression, over UTF-8 bytes.
public struct EncryptedValue: Sendable, Equatable {
    public var data: [UInt8]
    public var iv: [UInt8]
    public var tag: [UInt8]
    /// `str`, `int`, `float`, `bool`, `time`, `comment` or `bytes` (any text on read).
    public var type: String

    /// sops writes 32-byte IVs (not GCM's usual 12); any length is accepted on read.
    public static let ivLength = 32

    public init(data: [UInt8], iv: [UInt8], tag: [UInt8], type: String) {
        self.data = data
        self.iv = iv
        self.tag = tag
        self.type = type
    }

    private static let prefix: [UInt8] = Array("ENC[AES256_GCM,data:".utf8)
    private static let ivMarker: [UInt8] = Array(",iv:".utf8)
    private static let tagMarker: [UInt8] = Array(",tag:".utf8)
    private static let typeMarker: [UInt8] = Array(",type:".utf8)

    /// Whether `text` starts like an encrypted value (cheap check before `parse`).
    public static func looksEncrypted(_ text: String) -> Bool {
        var copy = text
        return copy.withUTF8 { buffer in
            buffer.count >= 4 && buffer[0] == 0x45 && buffer[1] == 0x4E && buffer[2] == 0x43 && buffer[3] == 0x5B // "ENC["
        }
    }

    /// Parses the text form. Throws exit 25 naming `path` (never the value) when it is malformed.
    public static func parse(_ text: String, path: [String] = []) throws -> EncryptedValue {
        var copy = text
        let parsed: EncryptedValue? = copy.withUTF8 { buffer in parse(bytes: buffer) }
        guard let parsed else {
            throw KSecretError(.errorDecryptingTree, "malformed encrypted value at \(TreePath.render(path))",
                               hints: ["expected ENC[AES256_GCM,data:…,iv:…,tag:…,type:…] with standard base64 fields"],
                               location: SourceLocation(keyPath: path))
        }
        return parsed
    }

    private static func parse(bytes s: UnsafeBufferPointer<UInt8>) -> EncryptedValue? {
        let n = s.count
        guard n > prefix.count else { return nil }
        for i in 0..<prefix.count where s[i] != prefix[i] { return nil }
        // `.` in the Go pattern does not match a newline: the match must end before the first one.
        var limit = n
        if let newline = memchr(s.baseAddress! + prefix.count, 0x0A, n - prefix.count) {
            limit = s.baseAddress!.distance(to: newline.assumingMemoryBound(to: UInt8.self))
        }
        // Greedy groups: the type runs to the last `]`; each earlier marker is its last occurrence
        // that still leaves a non-empty group on both sides.
        var close = limit - 1
        while close >= prefix.count && s[close] != 0x5D { close -= 1 }
        guard close > prefix.count else { return nil }
        guard let typeAt = lastIndex(of: typeMarker, in: s, from: prefix.count + 1, before: close - 1) else { return nil }
        guard let tagAt = lastIndex(of: tagMarker, in: s, from: prefix.count + 1, before: typeAt - 1) else { return nil }
        guard let ivAt = lastIndex(of: ivMarker, in: s, from: prefix.count + 1, before: tagAt - 1) else { return nil }
        let dataRange = prefix.count..<ivAt
        let ivRange = (ivAt + ivMarker.count)..<tagAt
        let tagRange = (tagAt + tagMarker.count)..<typeAt
        let typeRange = (typeAt + typeMarker.count)..<close
        guard !dataRange.isEmpty, !ivRange.isEmpty, !tagRange.isEmpty, !typeRange.isEmpty else { return nil }
        guard let data = Base64.decode(UnsafeBufferPointer(rebasing: s[dataRange])), let iv = Base64.decode(UnsafeBufferPointer(rebasing: s[ivRange])),
              let tag = Base64.decode(UnsafeBufferPointer(rebasing: s[tagRange])) else { return nil }
        let type = String(decoding: UnsafeBufferPointer(rebasing: s[typeRange]), as: UTF8.self)
        return EncryptedValue(data: data, iv: iv, tag: tag, type: type)
    }

    /// The last start index `i` of `marker` with `from <= i` and `i + marker.count <= before`,
    /// so that at least one byte remains on each side for the greedy groups.
    private static func lastIndex(of marker: [UInt8], in s: UnsafeBufferPointer<UInt8>, from: Int, before: Int) -> Int? {
        var i = before - marker.count
        while i >= from {
            var match = true
            for j in 0..<marker.count where s[i + j] != marker[j] { match = false; break }
            if match { return i }
            i -= 1
        }
        return nil
    }

    /// The text form, fields in sops's order, written straight into the string's storage.
    public var text: String {
        let count = Self.prefix.count + Base64.encodedLength(data.count) + Self.ivMarker.count + Base64.encodedLength(iv.count)
            + Self.tagMarker.count + Base64.encodedLength(tag.count) + Self.typeMarker.count + type.utf8.count + 1
        return String(unsafeUninitializedCapacity: count) { o in
            func put(_ bytes: [UInt8], at j: Int) -> Int {
                _ = UnsafeMutableBufferPointer(rebasing: o[j..<(j + bytes.count)]).initialize(from: bytes)
                return j + bytes.count
            }
            var j = put(Self.prefix, at: 0)
            j = Base64.encode(data, to: o, at: j)
            j = put(Self.ivMarker, at: j)
            j = Base64.encode(iv, to: o, at: j)
            j = put(Self.tagMarker, at: j)
            j = Base64.encode(tag, to: o, at: j)
            j = put(Self.typeMarker, at: j)
            j = put(Array(type.utf8), at: j)
            o[j] = 0x5D
            return j + 1
        }
    }
}
