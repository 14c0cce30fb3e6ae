import KSecretSystem

/// How a scalar was spelled in the source, which is how ksecret writes it back (Format.md §4.3).
enum YAMLScalarStyle: Sendable, Equatable {
    /// Plain, chosen by yaml.v3's rules when re-rendering (sops-written files carry this).
    case plain
    /// Plain in the author's file where yaml.v3 would have quoted it (`yes`, a value inside a flow
    /// collection): the encrypted file carries it as a double-quoted scalar starting with `\x45`,
    /// a spelling of `E` that every YAML reader decodes the same way, so sops reads it unchanged.
    case forcedPlain
    case singleQuoted
    case doubleQuoted
    /// Double-quoted with characters beyond the BMP written as they are, not as `\U` escapes
    /// (carried as `"\u0045NC[…]"`, another spelling of `E`).
    case doubleQuotedRaw
    /// A block scalar; `header` is its indicator text as written (`|`, `>-`, `|2+`).
    case literal(header: String)
    case folded(header: String)

    var isBlock: Bool {
        switch self { case .literal, .folded: return true; default: return false }
    }
}

/// Turns typed values into YAML scalar text, yaml.v3-compatible where sops's output is the reference.
enum YAMLScalarRenderer {
    struct Context {
        /// Inside a flow collection (`[a, b]`, `{a: b}`): plain scalars may not hold `,[]{}`.
        var flow = false
        /// The indentation (spaces) of a block scalar's content lines.
        var blockIndent = 2
        var lineBreak = "\n"
        /// The scalar ends the input with no final line break (a clip block then has no final newline).
        var atEndOfInput = false
        /// The file's indentation step.
        var unit = 4
        /// The indentation of the collection holding the scalar (YAML's n): an indentation indicator
        /// counts from there, so a new block whose text starts with a space or a blank line gets
        /// `blockIndent - parentIndent` as its indicator.
        var parentIndent = 0
        /// The scalar carries the `!!str` tag: a plain spelling stays a string however it resolves.
        var strTagged = false
    }

    /// The text for `value` in `style`, or in the style yaml.v3 would pick when `style` cannot carry
    /// the value. Returns the text and, for block scalars, the header that was used.
    static func render(_ value: ScalarValue, style: YAMLScalarStyle, context: Context) -> String {
        switch value {
        case .null: return "null"
        case .bool(let b): return b ? "true" : "false"
        case .int(let i): return String(i)
        case .float(let f):
            if f.isNaN { return ".nan" }
            if f.isInfinite { return f < 0 ? "-.inf" : ".inf" }
            return GoFloatFormat.general(f, upper: false)
        case .time(let t): return t
        case .bytes(let b):
            if let s = String(validating: b, as: UTF8.self) { return renderString(s, style: style, context: context) }
            return "!!binary " + Data(b).base64EncodedString()
        case .string(let s): return renderString(s, style: style, context: context)
        }
    }

    static func renderString(_ s: String, style: YAMLScalarStyle, context: Context) -> String {
        switch style {
        case .forcedPlain:
            if plainAllowed(s, flow: context.flow, allowTabs: true), context.strTagged || YAMLScalarResolver.resolvePlain(s) == .string(s) { return s }
        case .singleQuoted:
            if singleAllowed(s) { return singleQuoted(s) }
        case .doubleQuoted:
            return doubleQuoted(s)
        case .doubleQuotedRaw:
            return doubleQuoted(s, escapeBeyondBMP: false)
        case .literal(let header):
            if !context.flow, let text = literal(s, header: header, context: context) { return text }
        case .folded(let header):
            if !context.flow, let text = folded(s, header: header, context: context) { return text }
        case .plain:
            break
        }
        return auto(s, context: context)
    }

    /// yaml.v3's choice: plain when it reads back as the same string and is not a YAML 1.1 special
    /// (`yes`, `on`, `1:20`); a literal block for multi-line text; else single or double quotes.
    static func auto(_ s: String, context: Context) -> String {
        if isSimpleWord(s) { return s }
        if s.utf8.contains(0x0A) {
            if !context.flow, let text = literal(s, header: nil, context: context) { return text }
            return doubleQuoted(s)
        }
        if isYAML11Special(s) || YAMLScalarResolver.resolvePlain(s) != .string(s) { return doubleQuoted(s) }
        if plainAllowed(s, flow: context.flow) { return s }
        if singleAllowed(s) { return singleQuoted(s) }
        return doubleQuoted(s)
    }

    /// A mapping key: never a block scalar (a key must fit on one line), else as `auto` picks.
    static func key(_ s: String, context: Context) -> String {
        let text = auto(s, context: context)
        if let first = text.utf8.first, first == UInt8(ascii: "|") || first == UInt8(ascii: ">"), !s.isEmpty, text != s { return doubleQuoted(s) }
        return text
    }

    /// libyaml's printable set (emitter: `IS_PRINTABLE`): LF, ASCII without the controls, NEL, and
    /// the BMP from U+00A0 without the surrogates, U+FEFF and U+FFFE/U+FFFF, and beyond the BMP.
    /// Anything else can only be written double-quoted, as an escape.
    @inline(__always)
    static func isPrintable(_ v: UInt32) -> Bool {
        v == 0x0A || (0x20...0x7E).contains(v) || v == 0x85 || (0xA0...0xD7FF).contains(v)
            || ((0xE000...0xFFFD).contains(v) && v != 0xFEFF) || (0x10000...0x10FFFF).contains(v)
    }

    /// YAML's line breaks besides LF (NEL, LS, PS) and CR: a reader folds or normalises them, so
    /// only a double-quoted escape carries them.
    @inline(__always)
    static func isOtherBreak(_ v: UInt32) -> Bool { v == 0x0D || v == 0x85 || v == 0x2028 || v == 0x2029 }

    /// Whether every character outside ASCII is printable and no break: the test the one-byte checks
    /// of the callers leave to it.
    private static func nonASCIIWritable(_ s: String) -> Bool {
        for scalar in s.unicodeScalars where scalar.value >= 0x80 {
            if !isPrintable(scalar.value) || isOtherBreak(scalar.value) { return false }
        }
        return true
    }

    /// The common case decided in one pass: a letter, then letters, digits and `-_./@`, and not a
    /// word YAML reads as something else (`true`, `null`, `yes`, `on`…).
    @inline(__always)
    static func isSimpleWord(_ s: String) -> Bool {
        var first = true
        // Every word YAML reads as a bool or null is at most five letters long.
        let short = s.utf8.count <= 5
        for c in s.utf8 {
            let letter = (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A)
            if first {
                guard letter else { return false }
                // Words starting like true/false/null/yes/no/on/off/y/n take the full check.
                if short {
                    switch c {
                    case UInt8(ascii: "t"), UInt8(ascii: "T"), UInt8(ascii: "f"), UInt8(ascii: "F"), UInt8(ascii: "n"), UInt8(ascii: "N"),
                         UInt8(ascii: "y"), UInt8(ascii: "Y"), UInt8(ascii: "o"), UInt8(ascii: "O"):
                        return false
                    default: break
                    }
                }
                first = false
                continue
            }
            guard letter || (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "-") || c == UInt8(ascii: "_")
                || c == UInt8(ascii: ".") || c == UInt8(ascii: "/") || c == UInt8(ascii: "@") else { return false }
        }
        return !first
    }

    static func isYAML11Special(_ s: String) -> Bool {
        switch s {
        case "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF": return true
        default: break
        }
        // Base-60 numbers (YAML 1.1): [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?
        var bytes = Array(s.utf8)[...]
        if let f = bytes.first, f == UInt8(ascii: "-") || f == UInt8(ascii: "+") { bytes = bytes.dropFirst() }
        guard let f = bytes.first, f >= 0x30, f <= 0x39, bytes.contains(UInt8(ascii: ":")) else { return false }
        let parts = bytes.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
        guard parts.count >= 2, parts[0].allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "_") }) else { return false }
        for (n, part) in parts.dropFirst().enumerated() {
            var p = part
            if n == parts.count - 2, let dot = p.firstIndex(of: UInt8(ascii: ".")) {
                guard p[(dot + 1)...].allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: "_") }) else { return false }
                p = p[..<dot]
            }
            guard (1...2).contains(p.count), p.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return false }
            if p.count == 2, p.first! > UInt8(ascii: "5") { return false }
        }
        return true
    }

    private static let indicators: Set<UInt8> = Set("#,[]{}&*!|>'\"%@`".utf8)

    @inline(__always)
    static func isFlowIndicator(_ c: UInt8) -> Bool {
        c == UInt8(ascii: "[") || c == UInt8(ascii: "]") || c == UInt8(ascii: "{") || c == UInt8(ascii: "}") || c == UInt8(ascii: ",")
    }

    /// libyaml's test for plain style (emitter.c, yaml_emitter_analyze_scalar), reduced to one line.
    static func plainAllowed(_ s: String, flow: Bool, allowTabs: Bool = false) -> Bool {
        let b = Array(s.utf8)
        guard let first = b.first else { return false }
        // Bytes, not characters: a combining mark after the third `-` (or after a leading space,
        // below) makes one character of the two, and String's hasPrefix would miss it.
        if b.starts(with: [0x2D, 0x2D, 0x2D]) || b.starts(with: [0x2E, 0x2E, 0x2E]) { return false }
        if first == 0x20 || b.last == 0x20 { return false }
        if indicators.contains(first) {
            if !(first == UInt8(ascii: ",") || first == UInt8(ascii: "[") || first == UInt8(ascii: "]") || first == UInt8(ascii: "{") || first == UInt8(ascii: "}")) || flow { return false }
            return false
        }
        // In a flow collection libyaml reads a leading `?` or `:` as an indicator, whatever follows.
        if flow, first == UInt8(ascii: "?") || first == UInt8(ascii: ":") { return false }
        if first == UInt8(ascii: "-") || first == UInt8(ascii: "?") || first == UInt8(ascii: ":") {
            if b.count == 1 || b[1] == 0x20 { return false }
            if flow, isFlowIndicator(b[1]) { return false }
        }
        for (i, c) in b.enumerated() {
            if c == 0x09, allowTabs, i > 0, i < b.count - 1 { continue }   // a tab inside is readable plain
            if c >= 0xF0, !allowTabs { return false }   // beyond the BMP: libyaml's writer escapes it
            if c < 0x20 || c == 0x7F { return false }             // control characters, tab
            if c == 0xC2, i + 1 < b.count, b[i + 1] == 0x85 || b[i + 1] == 0xA0 { return false }   // NEL, NBSP
            if c == 0xE2, i + 2 < b.count, b[i + 1] == 0x80, b[i + 2] == 0xA8 || b[i + 2] == 0xA9 { return false } // LS, PS
            if c == 0xEF, i + 2 < b.count, b[i + 1] == 0xBB, b[i + 2] == 0xBF { return false } // BOM
            if flow, c == UInt8(ascii: ",") || c == UInt8(ascii: "[") || c == UInt8(ascii: "]") || c == UInt8(ascii: "{") || c == UInt8(ascii: "}") { return false }
            if c == UInt8(ascii: ":") {
                if i + 1 == b.count || b[i + 1] == 0x20 { return false }
                // libyaml 0.2.5's scanner refuses `:` before `,?[]{}` inside a flow plain scalar.
                if flow, isFlowIndicator(b[i + 1]) || b[i + 1] == UInt8(ascii: "?") { return false }
            }
            if c == UInt8(ascii: "#"), i > 0, b[i - 1] == 0x20 { return false }
        }
        // C1 controls, U+FFFE/U+FFFF: libyaml refuses them unescaped ("control characters are not allowed").
        return b.allSatisfy { $0 < 0x80 } || nonASCIIWritable(s)
    }

    /// Single quotes carry any printable character on one line; a line break would be folded.
    static func singleAllowed(_ s: String) -> Bool {
        for c in s.utf8 where c < 0x20 || c == 0x7F || c >= 0xF0 { return false }
        return s.utf8.allSatisfy { $0 < 0x80 } || nonASCIIWritable(s)
    }

    static func singleQuoted(_ s: String) -> String {
        "'" + s.replacingBytes(of: "'", with: "''") + "'"
    }

    /// Double-quoted with libyaml's escapes; printable Unicode is written as is.
    static func doubleQuoted(_ s: String, escapeBeyondBMP: Bool = true) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar.value {
            case 0x00: out += "\\0"
            case 0x07: out += "\\a"
            case 0x08: out += "\\b"
            case 0x09: out += "\\t"
            case 0x0A: out += "\\n"
            case 0x0B: out += "\\v"
            case 0x0C: out += "\\f"
            case 0x0D: out += "\\r"
            case 0x1B: out += "\\e"
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x85: out += "\\N"
            case 0xA0: out += "\\_"
            case 0x2028: out += "\\L"
            case 0x2029: out += "\\P"
            case 0xFEFF: out += "\\uFEFF"
            case 0x10000... where escapeBeyondBMP:
                // libyaml's writer treats characters beyond the BMP as not printable.
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\U" + String(repeating: "0", count: 8 - hex.count) + hex
            case 0x01...0x1F, 0x7F...0x9F:
                let hex = String(scalar.value, radix: 16, uppercase: true)
                out += "\\x" + (hex.count < 2 ? "0" + hex : hex)
            case 0xFFFE, 0xFFFF:
                out += "\\u" + String(scalar.value, radix: 16, uppercase: true)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    /// Chomping of a value: "-" (no final break), "" (exactly one), "+" (more than one).
    static func chomping(for s: String) -> String {
        if !s.hasSuffix("\n") { return "-" }
        if s.hasSuffix("\n\n") || s == "\n" { return "+" }
        return ""
    }

    /// A literal block (`|`) for `s`, keeping `header`'s explicit indentation indicator when the
    /// chomping still fits; nil when a literal cannot carry the value (trailing spaces on a line,
    /// control characters), as libyaml decides.
    static func literal(_ s: String, header: String?, context: Context) -> String? {
        guard blockAllowed(s, keeping: header), !s.isEmpty else { return nil }
        let context = indicatable(context, value: s, header: header)
        let head = blockHeader(indicator: "|", original: header, value: s, context: context)
        let indent = String(repeating: " ", count: context.blockIndent)
        var body = s
        if body.hasSuffix("\n") { body.removeLast() }
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        var out = head
        for line in lines {
            out += context.lineBreak
            if !line.isEmpty { out += indent + line }
        }
        return out
    }

    /// A folded block (`>`) for `s`. Line breaks of the value become blank lines (folding never
    /// joins lines here), so the value reads back exactly; where the author had folded long lines,
    /// ksecret writes one line per paragraph instead (Format.md §4.3).
    static func folded(_ s: String, header: String?, context: Context) -> String? {
        guard blockAllowed(s, keeping: header), !s.isEmpty else { return nil }
        let context = indicatable(context, value: s, header: header)
        let head = blockHeader(indicator: ">", original: header, value: s, context: context)
        let indent = String(repeating: " ", count: context.blockIndent)
        var body = s
        while body.hasSuffix("\n") { body.removeLast() }
        let trailing = s.count - body.count
        let lines = body.split(separator: "\n", omittingEmptySubsequences: false)
        var out = head
        var previousMoreIndented = true
        for (i, line) in lines.enumerated() {
            let moreIndented = line.utf8.first == 0x20 || line.utf8.first == 0x09
            if i > 0 && !line.isEmpty && !previousMoreIndented && !moreIndented {
                out += context.lineBreak   // a blank line stands for the value's line break
            }
            out += context.lineBreak
            if !line.isEmpty { out += indent + line; previousMoreIndented = moreIndented }
        }
        if trailing > 1 {
            for _ in 1..<trailing { out += context.lineBreak }
        }
        return out
    }

    /// Whether a block scalar can carry `s`. Writing a new block follows libyaml (no trailing spaces,
    /// no leading space or blank line); keeping the author's block is allowed whatever its lines hold,
    /// and a leading space or blank line needs the author's indentation indicator.
    private static func blockAllowed(_ s: String, keeping header: String?) -> Bool {
        for c in s.utf8 where (c < 0x20 && c != 0x0A && c != 0x09) || c == 0x7F { return false }
        // Breaks other than LF would be read as line ends; C1 controls and U+FEFF are not printable.
        for scalar in s.unicodeScalars where scalar.value >= 0x80 {
            if !isPrintable(scalar.value) || isOtherBreak(scalar.value) || scalar.value == 0xFEFF { return false }
        }
        // A first line that starts with a space needs an indentation indicator (a new block gets one);
        // a leading blank line is fine in a kept block.
        let hasIndicator = header?.contains(where: \.isNumber) ?? true
        if s.utf8.first == 0x20 || s.utf8.first == 0x09 { return hasIndicator }
        if s.utf8.first == 0x0A { return true }
        if header != nil { return true }
        if s.utf8.contains(where: { $0 >= 0xF0 }) { return false }
        for line in s.split(separator: "\n", omittingEmptySubsequences: false) where line.utf8.last == 0x20 { return false }
        return true
    }

    /// Whether a new block for `value` needs an indentation indicator (see `blockHeader`).
    private static func needsIndicator(_ value: String, header: String?) -> Bool {
        guard header == nil, let first = value.utf8.first else { return false }
        return first == 0x20 || first == 0x0A || first == 0x09
    }

    /// `context` with the block's indentation brought within the indicator's reach: an indicator is
    /// one digit, so content deeper than 9 columns past its parent (a file indented by 10 or more)
    /// is written at 9, or the reader would take the extra columns as part of the value.
    private static func indicatable(_ context: Context, value: String, header: String?) -> Context {
        guard needsIndicator(value, header: header), context.blockIndent - context.parentIndent > 9 else { return context }
        var context = context
        context.blockIndent = context.parentIndent + 9
        return context
    }

    private static func blockHeader(indicator: Character, original: String?, value: String, context: Context) -> String {
        var chomp = chomping(for: value)
        // A first line starting with a space or a tab, or leading blank lines, would make a reader
        // guess the indentation wrong (a tab there is an error: "found a tab character where an
        // indentation space is expected"): the indentation is given.
        if needsIndicator(value, header: original) {
            return String(indicator) + String(max(1, min(9, context.blockIndent - context.parentIndent))) + chomp
        }
        if let original {
            let originalChomp = original.contains("-") ? "-" : original.contains("+") ? "+" : ""
            if originalChomp == chomp { return original }
            // At the end of the input without a final break, clip and keep read as strip.
            if context.atEndOfInput && chomp == "-" && originalChomp != "-" { return original }
            if context.atEndOfInput && chomp == "-" { chomp = "-" }
            let digits = original.filter(\.isNumber)
            return String(indicator) + digits + chomp
        }
        return String(indicator) + chomp
    }
}
