import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import KSecret

/// The XML Namecheap's dynamic DNS answers with:
/// `<interface-response><IP>..</IP><ErrCount>0</ErrCount><errors><Err1>..</Err1></errors><Done>true</Done></interface-response>`.
///
/// The real service declares `encoding="utf-16"` but sends UTF-8 bytes, so a parser that believes
/// the declaration fails. The bytes are what counts: without a UTF-16 byte-order mark they are read
/// as UTF-8 (the declaration is rewritten to say so before Foundation's XMLParser sees it); with
/// one they are converted to UTF-8 first.
public struct NamecheapAnswer: Sendable, Equatable {
    public var errCount: Int
    public var errors: [String]
    public var ip: String?
    public var done: Bool

    public init(errCount: Int, errors: [String] = [], ip: String? = nil, done: Bool = true) {
        self.errCount = errCount
        self.errors = errors
        self.ip = ip
        self.done = done
    }

    public init(parsing bytes: [UInt8]) throws {
        let collector = Collector()
        let parser = XMLParser(data: Data(Self.utf8Document(bytes)))
        parser.delegate = collector
        parser.shouldResolveExternalEntities = false
        guard parser.parse(), collector.sawRoot, let count = collector.values["ErrCount"].flatMap({ Int($0) }) else {
            throw KSecretError(.ddnsUnexpectedAnswer, "the dynamic DNS endpoint did not answer with Namecheap's interface-response XML",
                               hints: ["check --endpoint"])
        }
        self.init(errCount: count, errors: collector.errors.sorted { $0.0 < $1.0 }.map(\.1).filter { !$0.isEmpty },
                  ip: collector.values["IP"].flatMap { $0.isEmpty ? nil : $0 },
                  done: collector.values["Done"]?.lowercased() == "true")
    }

    /// The document as UTF-8 with a declaration that says so.
    static func utf8Document(_ bytes: [UInt8]) -> [UInt8] {
        var text: [UInt8]
        if bytes.starts(with: [0xFF, 0xFE]) || bytes.starts(with: [0xFE, 0xFF]) {
            let little = bytes[0] == 0xFF
            let units = stride(from: 2, to: bytes.count - 1, by: 2).map { i -> UInt16 in
                little ? UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8 : UInt16(bytes[i]) << 8 | UInt16(bytes[i + 1])
            }
            text = Array(String(decoding: units, as: UTF16.self).utf8)
        } else {
            text = bytes.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(bytes.dropFirst(3)) : bytes
        }
        // The declaration, `<?xml ... ?>`, is the only place an encoding is named.
        guard text.starts(with: Array("<?xml".utf8)), let end = text.firstRange(of: Array("?>".utf8)) else { return text }
        let declaration = String(decoding: text[..<end.lowerBound], as: UTF8.self)
        guard let name = declaration.range(of: #"encoding\s*=\s*["'][^"']*["']"#, options: .regularExpression) else { return text }
        let fixed = declaration.replacingCharacters(in: name, with: #"encoding="UTF-8""#)
        return Array(fixed.utf8) + text[end.lowerBound...]
    }

    /// Collects the text of the root's children and of `errors/ErrN`.
    private final class Collector: NSObject, XMLParserDelegate {
        var stack: [String] = []
        var text = ""
        var sawRoot = false
        var values: [String: String] = [:]
        var errors: [(Int, String)] = []

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                    attributes: [String: String] = [:]) {
            if stack.isEmpty { sawRoot = name == "interface-response" }
            stack.append(name)
            text = ""
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

        func parser(_ parser: XMLParser, foundCDATA block: Data) { text += String(decoding: block, as: UTF8.self) }

        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
            let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
            if stack.count == 2, sawRoot, values[name] == nil {
                values[name] = value
            } else if stack.count == 3, stack[1] == "errors", name.hasPrefix("Err"), let n = Int(name.dropFirst(3)) {
                errors.append((n, value))
            }
            stack.removeLast()
            text = ""
        }
    }
}
