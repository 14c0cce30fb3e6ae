/// One recipient stanza of an age header: `-> type args…` and a base64 body.
///
/// Recipients produce stanzas and identities consume them; the header parser guarantees that
/// every argument is non-empty printable ASCII (0x21–0x7E) and the body was canonical base64.
public struct AgeStanza: Sendable, Equatable {
    public var type: String
    public var arguments: [String]
    public var body: [UInt8]

    public init(type: String, arguments: [String], body: [UInt8]) {
        self.type = type
        self.arguments = arguments
        self.body = body
    }

    /// The stanza's text form: the argument line, then the body in 64-column lines ending with a
    /// short (possibly empty) line (trap 4).
    var encoded: [UInt8] {
        var out = Array("->".utf8)
        for argument in [type] + arguments {
            out.append(UInt8(ascii: " "))
            out.append(contentsOf: argument.utf8)
        }
        out.append(UInt8(ascii: "\n"))
        let text = AgeBase64.encodeBytes(body, padded: false)
        var index = 0
        while true {
            let end = min(index + 64, text.count)
            out.append(contentsOf: text[index..<end])
            out.append(UInt8(ascii: "\n"))
            if end - index < 64 { break }
            index = end
        }
        return out
    }
}
