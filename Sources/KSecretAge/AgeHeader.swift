import KSecretCrypto

/// The parsed header of an age file: its stanzas, its MAC, and the raw bytes the MAC covers.
///
/// Parsing follows age-format.md §3 strictly; every deviation is `AgeError.header`. The MAC is
/// checked over the raw bytes as read (from `age-encryption.org` through `---`), which equals
/// Go's re-serialization only because the parser refuses every non-canonical form.
public struct AgeHeader: Sendable {
    static let versionLine = Array("age-encryption.org/v1".utf8)
    static let intro = versionLine + [UInt8(ascii: "\n")]
    /// Headers and key files larger than this are refused (not in the spec; Go and rage agree).
    static let maxSize = 16 << 20

    public var stanzas: [AgeStanza]
    public var mac: [UInt8]
    /// The bytes covered by the MAC: from the start of the file through `---`.
    public var macInput: [UInt8]
    /// The header's length in the file, including the MAC line's LF; the payload starts here.
    public var length: Int

    /// Parses the header at the start of `file`.
    public static func parse(_ file: [UInt8]) throws -> AgeHeader {
        var reader = LineReader(bytes: file)
        guard let version = reader.next() else {
            throw AgeError.header(file.isEmpty ? "empty file" : "missing version line")
        }
        guard version == versionLine[...] else {
            if version.starts(with: Array("age-encryption.org/".utf8)) {
                throw AgeError.header("unsupported version")
            }
            throw AgeError.header("not an age file: bad version line")
        }
        var stanzas: [AgeStanza] = []
        while true {
            let lineStart = reader.offset
            guard let line = reader.next() else { throw AgeError.header("unexpected end of header") }
            if line.starts(with: Array("---".utf8)) {
                let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
                guard parts.count == 2, parts[0].elementsEqual("---".utf8) else {
                    throw AgeError.header("malformed MAC line")
                }
                guard let mac = AgeBase64.decodeUnpadded(parts[1]), mac.count == 32 else {
                    throw AgeError.header("malformed MAC")
                }
                return AgeHeader(stanzas: stanzas, mac: mac, macInput: Array(file[..<(lineStart + 3)]),
                                 length: reader.offset)
            }
            guard line.starts(with: Array("->".utf8)) else {
                throw AgeError.header("line \(reader.lineNumber) is neither a stanza nor the MAC line")
            }
            let parts = line.split(separator: UInt8(ascii: " "), omittingEmptySubsequences: false)
            guard parts[0].elementsEqual("->".utf8) else {
                throw AgeError.header("malformed stanza opening at line \(reader.lineNumber)")
            }
            let arguments = parts.dropFirst()
            guard !arguments.isEmpty else {
                throw AgeError.header("stanza without a type at line \(reader.lineNumber)")
            }
            for argument in arguments {
                guard !argument.isEmpty, argument.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                    throw AgeError.header("invalid stanza argument at line \(reader.lineNumber)")
                }
            }
            var body: [UInt8] = []
            while true {
                guard let bodyLine = reader.next() else {
                    throw AgeError.header("stanza body does not end with a short line")
                }
                guard bodyLine.count <= 64 else {
                    throw AgeError.header("stanza body line longer than 64 columns at line \(reader.lineNumber)")
                }
                guard let decoded = AgeBase64.decodeUnpadded(bodyLine) else {
                    throw AgeError.header("invalid base64 in stanza body at line \(reader.lineNumber)")
                }
                body.append(contentsOf: decoded)
                if bodyLine.count < 64 { break }
            }
            let strings = arguments.map { String(decoding: $0, as: UTF8.self) }
            stanzas.append(AgeStanza(type: strings[0], arguments: Array(strings.dropFirst()), body: body))
            if reader.offset > maxSize { throw AgeError.header("header larger than 16 MiB") }
        }
    }

    /// Serializes a header for `stanzas` and appends the MAC computed with `macKey`.
    static func encode(stanzas: [AgeStanza], macKey: [UInt8]) -> [UInt8] {
        var out = intro
        for stanza in stanzas { out.append(contentsOf: stanza.encoded) }
        out.append(contentsOf: "---".utf8)
        let mac = HMAC.sha256(key: macKey, data: out)
        out.append(UInt8(ascii: " "))
        out.append(contentsOf: AgeBase64.encodeBytes(mac, padded: false))
        out.append(UInt8(ascii: "\n"))
        return out
    }

    /// The header re-serialized from its parsed parts (Go's way); equals the raw bytes for every
    /// header the strict parser accepts.
    var serialized: [UInt8] {
        var out = AgeHeader.intro
        for stanza in stanzas { out.append(contentsOf: stanza.encoded) }
        out.append(contentsOf: "--- ".utf8)
        out.append(contentsOf: AgeBase64.encodeBytes(mac, padded: false))
        out.append(UInt8(ascii: "\n"))
        return out
    }

    /// `HKDF-SHA256(file key, salt: "", info: "header")`, the header MAC key (§4).
    static func macKey(fileKey: [UInt8]) throws -> [UInt8] {
        try HKDF.sha256(ikm: fileKey, salt: [], info: Array("header".utf8), count: 32)
    }

    /// Checks the MAC in constant time against the file key.
    func verifyMAC(fileKey: [UInt8]) throws -> Bool {
        var key = try AgeHeader.macKey(fileKey: fileKey)
        defer { SecureBytes.zero(&key) }
        return HMAC.isValid(mac, for: macInput, key: key)
    }
}

/// Splits bytes into LF-terminated lines; a final fragment without LF is not a line.
struct LineReader {
    let bytes: [UInt8]
    private(set) var offset = 0
    private(set) var lineNumber = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func next() -> ArraySlice<UInt8>? {
        guard offset < bytes.count,
              let newline = bytes[offset...].firstIndex(of: UInt8(ascii: "\n")) else { return nil }
        let line = bytes[offset..<newline]
        offset = newline + 1
        lineNumber += 1
        return line
    }
}
