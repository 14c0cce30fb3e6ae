import Foundation
@testable import KSecret

/// A deliberately tiny reader for the block-style YAML that sops writes (4-space mappings, `- `
/// sequences, `#` comments, `|` literal blocks, `{}`/`[]`, quoted scalars), so envelope tests can
/// use the golden fixtures before the real YAML store exists. Test-only; not a YAML parser.
enum FixtureYAML {
    struct Line { var indent: Int; var text: String }

    static let fixtures = URL(fileURLWithPath: "/work/shared/fixtures/sops")

    static func read(_ name: String) throws -> String {
        try String(contentsOf: fixtures.appendingPathComponent(name), encoding: .utf8)
    }

    /// Data keys from datakeys.txt, by file name.
    static func dataKey(_ name: String) throws -> [UInt8] {
        let text = try read("datakeys.txt")
        for line in text.split(separator: "\n") where line.hasPrefix(name + ":") {
            let hex = line.split(separator: " ")[1]
            var out: [UInt8] = []
            var i = hex.startIndex
            while i < hex.endIndex {
                let j = hex.index(i, offsetBy: 2)
                out.append(UInt8(hex[i..<j], radix: 16)!)
                i = j
            }
            return out
        }
        throw KSecretError(.generic, "no data key for \(name)")
    }

    /// The documents of a file, each split into data and `sops` metadata.
    static func parse(_ text: String) -> [(data: Node, sops: Node?)] {
        var docs: [[Line]] = [[]]
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if raw == "---" { docs.append([]); continue }
            if raw.trimmingCharacters(in: .whitespaces).isEmpty { docs[docs.count - 1].append(Line(indent: -1, text: "")); continue }
            let indent = raw.prefix { $0 == " " }.count
            docs[docs.count - 1].append(Line(indent: indent, text: String(raw.dropFirst(indent))))
        }
        return docs.filter { $0.contains { $0.indent >= 0 } }.map { lines in
            var p = Parser(lines: lines)
            let node = p.block(indent: 0)
            let (data, sops) = node.removing(key: "sops")
            return (data, sops)
        }
    }

    static func document(_ text: String) -> (Document, Node?) {
        let docs = parse(text)
        return (Document(branches: docs.map(\.data)), docs.first?.sops)
    }

    struct Parser {
        var lines: [Line]
        var i = 0

        mutating func skipBlank() { while i < lines.count && lines[i].indent < 0 { i += 1 } }

        mutating func block(indent: Int) -> Node {
            skipBlank()
            guard i < lines.count else { return .mapping([]) }
            // Leading comments belong to whatever follows them at the same indent.
            var j = i
            while j < lines.count && (lines[j].indent < 0 || (lines[j].indent == lines[i].indent && lines[j].text.hasPrefix("#"))) { j += 1 }
            let first = j < lines.count ? lines[j] : lines[i]
            if first.text.hasPrefix("- ") || first.text == "-" { return sequence(indent: lines[i].indent) }
            return mapping(indent: lines[i].indent)
        }

        mutating func sequence(indent: Int) -> Node {
            var items: [Node] = []
            while true {
                skipBlank()
                guard i < lines.count, lines[i].indent == indent else { break }
                let text = lines[i].text
                if text.hasPrefix("#") { items.append(.comment(Comment(String(text.dropFirst())))); i += 1; continue }
                guard text.hasPrefix("- ") else { break }
                let rest = String(text.dropFirst(2))
                if rest.hasPrefix("- ") || splitKey(rest) != nil {
                    lines[i] = Line(indent: indent + 2, text: rest)
                    items.append(block(indent: indent + 2))
                } else {
                    i += 1
                    items.append(scalar(rest, indent: indent))
                }
            }
            return .sequence(items)
        }

        mutating func mapping(indent: Int) -> Node {
            var entries: [MappingEntry] = []
            while true {
                skipBlank()
                guard i < lines.count, lines[i].indent == indent else { break }
                let text = lines[i].text
                if text.hasPrefix("#") { entries.append(.comment(Comment(String(text.dropFirst())))); i += 1; continue }
                guard let (key, value) = splitKey(text) else { break }
                i += 1
                if value.isEmpty {
                    skipBlank()
                    if i < lines.count && (lines[i].indent > indent || (lines[i].indent == indent && lines[i].text.hasPrefix("- "))) {
                        entries.append(.pair(key: key, value: block(indent: lines[i].indent)))
                    } else {
                        entries.append(.pair(key: key, value: .scalar(Scalar(.null))))
                    }
                } else {
                    entries.append(.pair(key: key, value: scalar(value, indent: indent)))
                }
            }
            return .mapping(entries)
        }

        func splitKey(_ text: String) -> (String, String)? {
            if text.hasPrefix("\"") {
                guard let close = text.dropFirst().firstIndex(of: "\"") else { return nil }
                let key = String(text[text.index(after: text.startIndex)..<close])
                let after = text[text.index(after: close)...]
                guard after.hasPrefix(":") else { return nil }
                return (key, after.dropFirst().trimmingCharacters(in: .whitespaces))
            }
            if text.hasPrefix("ENC[") || text.hasPrefix("'") { return nil }
            if let r = text.range(of: ": ") { return (String(text[..<r.lowerBound]), String(text[r.upperBound...])) }
            if text.hasSuffix(":") { return (String(text.dropLast()), "") }
            return nil
        }

        mutating func scalar(_ raw: String, indent: Int) -> Node {
            if raw == "|" || raw == "|-" {
                var body: [String] = []
                var blockIndent: Int?
                while i < lines.count && (lines[i].indent < 0 || lines[i].indent > indent) {
                    if lines[i].indent < 0 { body.append(""); i += 1; continue }
                    if blockIndent == nil { blockIndent = lines[i].indent }
                    body.append(String(repeating: " ", count: lines[i].indent - blockIndent!) + lines[i].text)
                    i += 1
                }
                while body.last == "" { body.removeLast() }
                return .string(body.joined(separator: "\n") + (raw == "|" ? "\n" : ""))
            }
            if raw == "{}" { return .mapping([]) }
            if raw == "[]" { return .sequence([]) }
            return .scalar(Scalar(FixtureYAML.typed(raw)))
        }
    }

    static func typed(_ raw: String) -> ScalarValue {
        if raw.hasPrefix("\"") && raw.hasSuffix("\"") && raw.count >= 2 {
            return .string(String(raw.dropFirst().dropLast()).replacingOccurrences(of: "\\\"", with: "\"").replacingOccurrences(of: "\\n", with: "\n"))
        }
        if raw.hasPrefix("'") && raw.hasSuffix("'") && raw.count >= 2 { return .string(String(raw.dropFirst().dropLast())) }
        switch raw {
        case "null", "~": return .null
        case "true": return .bool(true)
        case "false": return .bool(false)
        case ".inf": return .float(.infinity)
        case "-.inf": return .float(-.infinity)
        case ".nan": return .float(.nan)
        default: break
        }
        if raw.range(of: #"^[-+]?[0-9]+$"#, options: .regularExpression) != nil, let i = Int64(raw) { return .int(i) }
        if raw.range(of: #"^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$"#, options: .regularExpression) != nil,
           let d = Double(raw) { return .float(d) }
        if raw.range(of: #"^[0-9]{4}-[0-9]{2}-[0-9]{2}T"#, options: .regularExpression) != nil { return .time(raw) }
        return .string(raw)
    }
}
