extension Node {
    /// The value of `key` in a mapping node, or nil.
    public subscript(key: String) -> Node? {
        guard case .mapping(let entries) = self, let i = Node.index(of: key, in: entries), case .pair(_, let v) = entries[i] else { return nil }
        return v
    }

    /// The entry of the pair with `key`: the one with the same bytes, as sops picks it, else the
    /// first whose text is canonically equal (a key typed composed for one stored decomposed).
    /// Swift's `==` alone would take the first of "é" and "e" + U+0301, which are two keys to sops.
    static func index(of key: String, in entries: [MappingEntry]) -> Int? {
        var equivalent: Int?
        for i in entries.indices {
            guard case .pair(let k, _) = entries[i], k == key else { continue }
            if k.utf8.elementsEqual(key.utf8) { return i }
            if equivalent == nil { equivalent = i }
        }
        return equivalent
    }

    /// The string value of a scalar node, or nil.
    public var stringValue: String? {
        if case .scalar(let s) = self, case .string(let v) = s.value { return v }
        return nil
    }

    /// A mapping node without the entry `key` (first occurrence), and the removed value.
    public func removing(key: String) -> (Node, Node?) {
        guard case .mapping(var entries) = self else { return (self, nil) }
        for (i, entry) in entries.enumerated() {
            if case .pair(let k, let v) = entry, k == key {
                entries.remove(at: i)
                return (.mapping(entries), v)
            }
        }
        return (self, nil)
    }

    public static func string(_ s: String) -> Node { .scalar(Scalar(.string(s))) }
    public static func int(_ i: Int64) -> Node { .scalar(Scalar(.int(i))) }
    public static func bool(_ b: Bool) -> Node { .scalar(Scalar(.bool(b))) }
}

extension Node {
    /// Equal as data: same values and structure, ignoring where they came from and comments.
    public func sameValue(as other: Node) -> Bool {
        switch (self, other) {
        case (.scalar(let a), .scalar(let b)): return a.value == b.value
        case (.mapping(let a), .mapping(let b)):
            let pa = a.compactMap { e -> (String, Node)? in if case .pair(let k, let v) = e { return (k, v) } else { return nil } }
            let pb = b.compactMap { e -> (String, Node)? in if case .pair(let k, let v) = e { return (k, v) } else { return nil } }
            return pa.count == pb.count && zip(pa, pb).allSatisfy { $0.0 == $1.0 && $0.1.sameValue(as: $1.1) }
        case (.sequence(let a), .sequence(let b)):
            let ia = a.filter { !$0.isComment }, ib = b.filter { !$0.isComment }
            return ia.count == ib.count && zip(ia, ib).allSatisfy { $0.sameValue(as: $1) }
        default: return false
        }
    }
}

/// Parses a JSON value (for `set`): numbers are floats, as sops reads them.
public enum JSONValue {
    public static func parse(_ bytes: [UInt8]) throws -> Node {
        let wrapped = Array("{\"v\":".utf8) + bytes + Array("}".utf8)
        do {
            let parsed = try JSONStore().parse(wrapped, path: "value")
            guard let node = parsed.document.branches.first?["v"] else { throw KSecretError(.invalidSetFormat, "the value is not valid JSON") }
            return node.withoutOrigins()
        } catch let error as KSecretError {
            throw KSecretError(.invalidSetFormat, "the value is not valid JSON", hints: ["strings need quotes: '\"text\"'"], cause: error)
        }
    }
}

extension Node {
    /// The same tree with every origin cleared (a value that was not read from the file being written).
    public func withoutOrigins() -> Node {
        switch self {
        case .scalar(var s): s.origin = nil; return .scalar(s)
        case .comment(var c): c.origin = nil; return .comment(c)
        case .mapping(let entries):
            return .mapping(entries.map { e in
                switch e {
                case .pair(let k, let v): return .pair(key: k, value: v.withoutOrigins())
                case .comment(var c): c.origin = nil; return .comment(c)
                }
            })
        case .sequence(let items): return .sequence(items.map { $0.withoutOrigins() })
        }
    }
}
