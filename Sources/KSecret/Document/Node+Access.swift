extension Node {
    /// The value of `key` in a mapping node, or nil.
    public subscript(key: String) -> Node? {
        guard case .mapping(let entries) = self else { return nil }
        for entry in entries { if case .pair(let k, let v) = entry, k == key { return v } }
        return nil
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
