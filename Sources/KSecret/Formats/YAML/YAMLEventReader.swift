import CYAML

/// One libyaml event with its marks converted to byte offsets into the source.
struct YAMLEvent {
    enum Kind { case streamStart, streamEnd, documentStart, documentEnd, mappingStart, mappingEnd, sequenceStart, sequenceEnd, scalar, alias }
    var kind: Kind
    var start: Int
    var end: Int
    var line: Int      // 0-based, of start
    var column: Int    // 0-based, of start
    var value: String = ""
    var anchor: String?
    var tag: String?
    var style: yaml_scalar_style_t = YAML_ANY_SCALAR_STYLE
    var flow = false
    var plainImplicit = false
}

/// Owns a libyaml `yaml_parser_t` over a byte buffer and yields events; frees the parser in `deinit`.
/// libyaml counts marks in characters, so offsets are mapped back to bytes here.
final class YAMLEventReader {
    private var parser = yaml_parser_t()
    private let source: [UInt8]
    private let buffer: UnsafeMutableBufferPointer<UInt8>
    /// charIndex -> byte offset, only built when the source is not pure ASCII.
    private let charToByte: [Int]?
    let path: String
    /// Where `source` starts in the file, in bytes and in lines: events report file positions.
    private let offset: Int
    private let lineBase: Int

    init(_ source: [UInt8], path: String, offset: Int = 0, lineBase: Int = 0) throws {
        self.source = source
        self.path = path
        self.offset = offset
        self.lineBase = lineBase
        buffer = .allocate(capacity: max(source.count, 1))
        _ = buffer.initialize(from: source)
        if Self.containsNonASCII(source) {
            var table: [Int] = []
            table.reserveCapacity(source.count + 1)
            var i = 0
            // A UTF-8 BOM is skipped by libyaml without counting it.
            if source.starts(with: [0xEF, 0xBB, 0xBF]) { i = 3 }
            while i < source.count {
                table.append(i)
                let b = source[i]
                i += b < 0x80 ? 1 : b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4
            }
            table.append(source.count)
            charToByte = table
        } else {
            charToByte = nil
        }
        guard yaml_parser_initialize(&parser) == 1 else {
            buffer.deallocate()
            throw KSecretError(.couldNotReadInputFile, "could not initialise the YAML parser")
        }
        yaml_parser_set_input_string(&parser, buffer.baseAddress, source.count)
    }

    deinit {
        yaml_parser_delete(&parser)
        buffer.deallocate()
    }

    /// Whether any byte is 0x80 or above, eight bytes at a time (this runs over every input).
    private static func containsNonASCII(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var i = 0
            let n = raw.count
            while i + 8 <= n {
                if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return true }
                i += 8
            }
            while i < n {
                if raw[i] >= 0x80 { return true }
                i += 1
            }
            return false
        }
    }

    private func byteOffset(_ mark: yaml_mark_t) -> Int {
        guard let table = charToByte else { return offset + min(Int(mark.index), source.count) }
        let index = Int(mark.index)
        return offset + (index < table.count ? table[index] : source.count)
    }

    func next() throws -> YAMLEvent {
        var event = yaml_event_t()
        guard yaml_parser_parse(&parser, &event) == 1 else { throw parseError() }
        defer { yaml_event_delete(&event) }
        let start = byteOffset(event.start_mark), end = byteOffset(event.end_mark)
        var result = YAMLEvent(kind: .streamStart, start: start, end: end, line: lineBase + Int(event.start_mark.line), column: Int(event.start_mark.column))
        switch event.type {
        case YAML_STREAM_START_EVENT: result.kind = .streamStart
        case YAML_STREAM_END_EVENT: result.kind = .streamEnd
        case YAML_DOCUMENT_START_EVENT: result.kind = .documentStart
        case YAML_DOCUMENT_END_EVENT: result.kind = .documentEnd
        case YAML_MAPPING_START_EVENT:
            result.kind = .mappingStart
            result.flow = event.data.mapping_start.style == YAML_FLOW_MAPPING_STYLE
            result.anchor = string(event.data.mapping_start.anchor)
            result.tag = string(event.data.mapping_start.tag)
        case YAML_MAPPING_END_EVENT: result.kind = .mappingEnd
        case YAML_SEQUENCE_START_EVENT:
            result.kind = .sequenceStart
            result.flow = event.data.sequence_start.style == YAML_FLOW_SEQUENCE_STYLE
            result.anchor = string(event.data.sequence_start.anchor)
            result.tag = string(event.data.sequence_start.tag)
        case YAML_SEQUENCE_END_EVENT: result.kind = .sequenceEnd
        case YAML_ALIAS_EVENT:
            result.kind = .alias
            result.anchor = string(event.data.alias.anchor)
        case YAML_SCALAR_EVENT:
            result.kind = .scalar
            let s = event.data.scalar
            result.value = s.value.map { String(decoding: UnsafeBufferPointer(start: $0, count: s.length), as: UTF8.self) } ?? ""
            result.anchor = string(s.anchor)
            result.tag = string(s.tag)
            result.style = s.style
            result.plainImplicit = s.plain_implicit == 1
        default:
            throw KSecretError(.couldNotReadInputFile, "unexpected YAML event", location: SourceLocation(file: path))
        }
        return result
    }

    private func string(_ p: UnsafeMutablePointer<yaml_char_t>?) -> String? {
        guard let p else { return nil }
        return String(cString: UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self))
    }

    /// libyaml's problem and context as a located error with the source line and a caret.
    private func parseError() -> KSecretError {
        let problem = parser.problem.map { String(cString: $0) } ?? "invalid YAML"
        let context = parser.context.map { String(cString: $0) }
        let mark = parser.problem_mark
        let line = Int(mark.line) + 1
        let column = Int(mark.column) + 1
        var message = "invalid YAML: \(problem)"
        if let context { message += " (\(context))" }
        return KSecretError(.couldNotReadInputFile, message,
                            hints: ["fix the YAML syntax at the marked position; nothing was written"],
                            location: SourceLocation(file: path, line: line, column: column,
                                                     snippet: SourceLocation.snippet(in: source, line: line, column: column)))
    }
}
