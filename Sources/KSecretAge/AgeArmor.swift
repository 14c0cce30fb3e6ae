/// The age ASCII armor: PEM-style `AGE ENCRYPTED FILE` around padded base64 (age-format.md §8).
///
/// Policy: the writer emits LF line endings, 64-column lines and never an empty line before END.
/// The reader is strict like Go's `armor` package: up to 1 KiB of whitespace around the block,
/// an optional CR per line, no empty lines, no spaces, no PEM headers or checksums, canonical
/// padded base64 with every line but the last decoding to exactly 48 bytes.
public enum AgeArmor {
    static let begin = Array("-----BEGIN AGE ENCRYPTED FILE-----".utf8)
    static let end = Array("-----END AGE ENCRYPTED FILE-----".utf8)
    static let maxWhitespace = 1024
    static let columns = 64

    /// Armors a binary age file.
    public static func encode(_ file: [UInt8]) -> [UInt8] {
        let text = AgeBase64.encodeBytes(file, padded: true)
        var out = begin + [UInt8(ascii: "\n")]
        out.reserveCapacity(text.count + text.count / columns + 2 * begin.count + 4)
        var index = 0
        while index < text.count {
            let stop = min(index + columns, text.count)
            out.append(contentsOf: text[index..<stop])
            out.append(UInt8(ascii: "\n"))
            index = stop
        }
        out.append(contentsOf: end)
        out.append(UInt8(ascii: "\n"))
        return out
    }

    /// True when `data`, after up to 1 KiB of leading whitespace, starts with a PEM BEGIN line
    /// (any label, so a wrong one is reported as an armor error rather than a header error).
    public static func looksArmored(_ data: [UInt8]) -> Bool {
        var index = 0
        while index < data.count, index < maxWhitespace, isWhitespace(data[index]) { index += 1 }
        return data[index...].starts(with: Array("-----BEGIN".utf8))
    }

    /// Strictly decodes an armored file into the binary age file; throws `AgeError.armor`.
    public static func decode(_ data: [UInt8]) throws -> [UInt8] {
        var start = 0
        while start < data.count, isWhitespace(data[start]) {
            start += 1
            guard start <= maxWhitespace else { throw AgeError.armor("too much leading whitespace") }
        }
        var stop = data.count
        while stop > start, isWhitespace(data[stop - 1]) {
            stop -= 1
            guard data.count - stop <= maxWhitespace else { throw AgeError.armor("too much trailing data") }
        }
        // Split into lines; each may end in LF or CRLF, the last (END) may lack a newline.
        var lines: [ArraySlice<UInt8>] = []
        var lineStart = start
        var index = start
        while index < stop {
            if data[index] == UInt8(ascii: "\n") {
                var line = data[lineStart..<index]
                if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
                lines.append(line)
                lineStart = index + 1
            }
            index += 1
        }
        if lineStart < stop {
            var line = data[lineStart..<stop]
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            lines.append(line)
        }
        guard let first = lines.first, first.elementsEqual(begin) else {
            throw AgeError.armor("missing or malformed BEGIN line")
        }
        var out: [UInt8] = []
        var sawShortLine = false
        for (number, line) in lines.enumerated().dropFirst() {
            if line.elementsEqual(end) {
                guard number == lines.count - 1 else { throw AgeError.armor("data after the END line") }
                return out
            }
            guard !sawShortLine else { throw AgeError.armor("short line before the end of the armor") }
            guard !line.isEmpty else { throw AgeError.armor("empty line at line \(number + 1)") }
            guard line.count <= columns else { throw AgeError.armor("line \(number + 1) is longer than 64 columns") }
            guard let decoded = AgeBase64.decodePadded(line) else {
                throw AgeError.armor("invalid base64 at line \(number + 1)")
            }
            if decoded.count < columns / 4 * 3 { sawShortLine = true }
            out.append(contentsOf: decoded)
        }
        throw AgeError.armor("missing END line")
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D
    }
}
