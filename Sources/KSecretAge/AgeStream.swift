import KSecretCrypto

/// The age payload: STREAM over ChaCha20-Poly1305 in 64 KiB chunks (age-format.md §5, trap 7).
///
/// The chunk nonce is an 11-byte big-endian counter followed by a last-chunk flag. A plaintext
/// that is a whole number of chunks ends with a full final chunk (never an empty extra one); an
/// empty plaintext is one tag-only chunk. Decryption releases each chunk only after its tag
/// verifies, then reports the first error.
public enum AgeStream {
    public static let chunkSize = 64 * 1024
    public static let tagSize = 16
    public static let encryptedChunkSize = chunkSize + tagSize
    static let nonceSize = 16

    /// `HKDF-SHA256(file key, salt: nonce, info: "payload")`.
    static func payloadKey(fileKey: [UInt8], nonce: [UInt8]) throws -> [UInt8] {
        try HKDF.sha256(ikm: fileKey, salt: nonce, info: Array("payload".utf8), count: 32)
    }

    static func chunkNonce(_ counter: UInt64, last: Bool) -> [UInt8] {
        var nonce = [UInt8](repeating: 0, count: 12)
        for index in 0..<8 { nonce[10 - index] = UInt8(truncatingIfNeeded: counter >> UInt64(8 * index)) }
        nonce[11] = last ? 1 : 0
        return nonce
    }

    /// Encrypts `plaintext` under `key` (the payload key, not the file key) into STREAM chunks.
    public static func seal(_ plaintext: [UInt8], key: [UInt8]) throws -> [UInt8] {
        var out: [UInt8] = []
        let chunks = max(1, (plaintext.count + chunkSize - 1) / chunkSize)
        out.reserveCapacity(plaintext.count + chunks * tagSize)
        for index in 0..<chunks {
            let start = index * chunkSize
            let end = min(start + chunkSize, plaintext.count)
            let sealed = try ChaChaPoly.seal(key: key, nonce: chunkNonce(UInt64(index), last: index == chunks - 1),
                                             plaintext: Array(plaintext[start..<end]))
            out.append(contentsOf: sealed)
        }
        return out
    }

    /// Decrypts STREAM chunks under `key`, handing each verified chunk to `release` before moving
    /// on; throws `AgeError.payload` at the first failure (truncation, a bad tag, an empty final
    /// chunk after others, trailing data).
    public static func open(_ ciphertext: ArraySlice<UInt8>, key: [UInt8], release: ([UInt8]) throws -> Void) throws {
        var offset = ciphertext.startIndex
        var counter: UInt64 = 0
        while true {
            let available = ciphertext.endIndex - offset
            guard available > 0 else { throw AgeError.payload("file is truncated: no final chunk") }
            let length = min(available, encryptedChunkSize)
            let chunk = Array(ciphertext[offset..<(offset + length)])
            offset += length
            var last = length < encryptedChunkSize
            if last && length == tagSize && counter != 0 {
                throw AgeError.payload("last chunk is empty")
            }
            var plaintext: [UInt8]
            do {
                plaintext = try ChaChaPoly.open(key: key, nonce: chunkNonce(counter, last: last), sealed: chunk)
            } catch where !last {
                // A full-length chunk may be the final one.
                last = true
                guard let opened = try? ChaChaPoly.open(key: key, nonce: chunkNonce(counter, last: true), sealed: chunk) else {
                    throw AgeError.payload("chunk \(counter) failed to authenticate")
                }
                plaintext = opened
            } catch {
                throw AgeError.payload("chunk \(counter) failed to authenticate")
            }
            try release(plaintext)
            SecureBytes.zero(&plaintext)
            if last {
                guard offset == ciphertext.endIndex else { throw AgeError.payload("trailing data after the final chunk") }
                return
            }
            counter += 1
        }
    }
}
