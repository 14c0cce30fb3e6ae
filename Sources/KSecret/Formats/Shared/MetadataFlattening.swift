/// The flat `key=value` form of the `sops` metadata used by dotenv (`sops_` prefix) and INI
/// (`[sops]` section): nested keys joined with `__map_`, list indices with `__list_N`, newlines
/// written as the two characters `\n` (Format.md §4.2).
enum MetadataFlattening {
    static let mapSeparator = "__map_"
    static let listSeparator = "__list_"

    /// Flattens a metadata mapping into (key, text) pairs sorted by key (byte order); nulls and empty
    /// containers produce nothing, newlines are escaped.
    static func flatten(_ metadata: Node) -> [(key: String, value: String)] {
        var out: [(String, String)] = []
        func visit(_ node: Node, _ prefix: String) {
            switch node {
            case .mapping(let entries):
                // Always joined, even after an empty key: `sops___map_x` is the key "" holding "x".
                for case .pair(let k, let v) in entries { visit(v, prefix + mapSeparator + k) }
            case .sequence(let items):
                for (i, item) in items.enumerated() { visit(item, prefix + listSeparator + String(i)) }
            case .scalar(let s):
                if case .null = s.value { return }
                let text = SopsValueText.string(s.value)
                out.append((prefix, text.replacingBytes(of: "\n", with: "\\n")))
            case .comment:
                return
            }
        }
        if case .mapping(let entries) = metadata {
            for case .pair(let k, let v) in entries { visit(v, k) }
        }
        return out.sorted { Array($0.0.utf8).lexicographicallyPrecedes(Array($1.0.utf8)) }
    }

    private enum Token: Equatable {
        case key(String)
        case index(Int)
    }

    /// sops's `tokenize`: splits `age__list_0__map_enc` into `age`, 0, `enc`.
    private static func tokenize(_ path: String) throws -> [Token] {
        let bytes = Array(path.utf8)
        let map = Array(mapSeparator.utf8), list = Array(listSeparator.utf8)
        var tokens: [Token] = []
        var state = 0 // 0 normal, 1 map, 2 list
        var lastEnd = 0
        var i = 0
        func finish() throws {
            switch state {
            case 0: tokens.append(.key(String(decoding: bytes[lastEnd..<i], as: UTF8.self)))
            case 1: tokens.append(.key(String(decoding: bytes[min(i, lastEnd + map.count)..<i], as: UTF8.self)))
            default:
                let digits = bytes[min(i, lastEnd + list.count)..<i]
                // Only decimal digits: `Int` would also take `+1`, and anything else would silently be item 0.
                guard !digits.isEmpty, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let index = Int(String(decoding: digits, as: UTF8.self)) else {
                    throw KSecretError(.couldNotReadInputFile, "sops metadata key \(TreePath.render([path])) has a list index that is not a number",
                                       location: SourceLocation(keyPath: ["sops"]))
                }
                tokens.append(.index(index))
            }
            lastEnd = i
        }
        func has(_ sep: [UInt8]) -> Bool { i + sep.count <= bytes.count && bytes[i..<(i + sep.count)].elementsEqual(sep) }
        while i < bytes.count {
            if has(map) { try finish(); state = 1; i += map.count }
            else if has(list) { try finish(); state = 2; i += list.count }
            else { i += 1 }
        }
        try finish()
        return tokens
    }

    private final class Builder {
        var value: String?
        var keys: [String] = []
        var children: [String: Builder] = [:]
        var indices: [Int: Builder] = [:]

        func child(_ t: Token) -> Builder {
            switch t {
            case .key(let k):
                if let c = children[k] { return c }
                let c = Builder(); children[k] = c; keys.append(k); return c
            case .index(let i):
                if let c = indices[i] { return c }
                let c = Builder(); indices[i] = c; return c
            }
        }

        func node(_ path: [String]) throws -> Node {
            let kinds = (value != nil ? 1 : 0) + (children.isEmpty ? 0 : 1) + (indices.isEmpty ? 0 : 1)
            if kinds > 1 {
                throw KSecretError(.couldNotReadInputFile, "sops metadata key mixes a value, a map and a list",
                                   location: SourceLocation(keyPath: ["sops"] + path))
            }
            if let value { return .scalar(Scalar(.string(value))) }
            if !children.isEmpty {
                return .mapping(try keys.map { .pair(key: $0, value: try children[$0]!.node(path + [$0])) })
            }
            if !indices.isEmpty {
                // sops numbers list items from 0 without gaps; an index far past the items there
                // are is no list sops wrote, and would overflow or allocate without bound.
                let largest = indices.keys.max() ?? 0
                guard largest < indices.count + 1_024 else {
                    throw KSecretError(.couldNotReadInputFile, "sops metadata list index \(largest) is out of range",
                                       hints: ["the list has \(indices.count) items, numbered from 0"],
                                       location: SourceLocation(keyPath: ["sops"] + path))
                }
                let count = largest + 1
                return .sequence(try (0..<count).map { i in try indices[i]?.node(path) ?? .scalar(Scalar(.null)) })
            }
            return .mapping([])
        }
    }

    /// Rebuilds the metadata mapping from flat pairs in file order (first occurrence decides the
    /// order of a key); `\n` is unescaped, `mac_only_encrypted` becomes a bool and
    /// `shamir_threshold` an int, as sops's `DecodeNonStrings` does.
    static func unflatten(_ pairs: [(key: String, value: String)]) throws -> Node {
        let root = Builder()
        var seen: [String: String] = [:]
        var order: [String] = []
        for (k, v) in pairs {
            if seen[k] == nil { order.append(k) }
            seen[k] = v
        }
        for key in order {
            let raw = seen[key]!.replacingBytes(of: "\\n", with: "\n")
            var node = root
            for t in try tokenize(key) { node = node.child(t) }
            node.value = raw
        }
        var result = try root.node([])
        guard case .mapping(var entries) = result else { return result }
        for (i, entry) in entries.enumerated() {
            guard case .pair(let k, let v) = entry, let text = v.stringValue else { continue }
            if k == "mac_only_encrypted" {
                entries[i] = .pair(key: k, value: .bool(text == "true"))
            } else if k == "shamir_threshold" {
                if let n = Int64(text) {
                    entries[i] = .pair(key: k, value: .int(n))
                } else if let d = Double(text), d == d.rounded(), abs(d) < 9e18 {
                    entries[i] = .pair(key: k, value: .int(Int64(d)))
                } else {
                    throw KSecretError(.couldNotReadInputFile, "shamir_threshold is not an integer",
                                       location: SourceLocation(keyPath: ["sops", "shamir_threshold"]))
                }
            }
        }
        result = .mapping(entries)
        return result
    }
}
