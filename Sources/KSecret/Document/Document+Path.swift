/// Reading and changing one place of a document by a `TreePath` (for `--extract`, `set`, `unset`),
/// on the first branch as sops does. List indices count every element, comments included, as in
/// sops's tree.
///
/// Errors: a missing component is exit 1 with sops's wording ("component ['x'] not found"); a path
/// that does not fit the tree's shape is exit 1 too (`set` callers may remap to 7).
extension Document {
    /// The node at `path` (the whole first branch for the empty path).
    public func value(at path: [TreePath.Component]) throws -> Node {
        guard var current = branches.first else {
            throw KSecretError(.needAtLeastOneDocument, "the document is empty")
        }
        for component in path {
            switch component {
            case .key(let k):
                guard case .mapping = current else {
                    throw KSecretError(.generic, "component ['\(k)'] not found", hints: ["\(TreePath.render(path)) goes through a value that is not a mapping"])
                }
                guard let next = current[k] else { throw KSecretError(.generic, "component ['\(k)'] not found") }
                current = next
            case .index(let i):
                guard case .sequence(let items) = current else {
                    throw KSecretError(.generic, "component [\(i)] is integer, but tree part is not a slice")
                }
                guard i < items.count else { throw KSecretError(.generic, "component [\(i)] accesses out of bounds") }
                current = items[i]
            }
        }
        return current
    }

    /// A copy with `value` at `path`: missing keys are created (appended to their mapping), an
    /// index at or past the end of a list appends, and a scalar in the way is replaced, as sops's
    /// `set` does. The empty path replaces the first branch.
    public func setting(_ value: Node, at path: [TreePath.Component]) -> Document {
        var copy = self
        if copy.branches.isEmpty { copy.branches = [.mapping([])] }
        copy.branches[0] = Document.set(copy.branches[0], path[...], value)
        return copy
    }

    /// A copy without the node at `path`. Throws exit 1 "component … not found" when it is absent.
    public func unsetting(at path: [TreePath.Component]) throws -> Document {
        guard !path.isEmpty else { throw KSecretError(.invalidSetFormat, "cannot unset the whole document") }
        guard !branches.isEmpty else { throw KSecretError(.needAtLeastOneDocument, "the document is empty") }
        var copy = self
        copy.branches[0] = try Document.unset(copy.branches[0], path[...])
        return copy
    }

    private static func fresh(_ path: ArraySlice<TreePath.Component>, _ leaf: Node) -> Node {
        guard let first = path.first else { return leaf }
        let inner = fresh(path.dropFirst(), leaf)
        switch first {
        case .key(let k): return .mapping([.pair(key: k, value: inner)])
        case .index: return .sequence([inner])
        }
    }

    private static func set(_ node: Node, _ path: ArraySlice<TreePath.Component>, _ leaf: Node) -> Node {
        guard let first = path.first else {
            // A scalar replacing a scalar takes over its place in the file (its origin), so a
            // layout-preserving store writes the new value where the old one stood.
            if case .scalar(let old) = node, case .scalar(var new) = leaf, new.origin == nil {
                new.origin = old.origin
                return .scalar(new)
            }
            return leaf
        }
        let rest = path.dropFirst()
        switch (node, first) {
        case (.mapping(var entries), .key(let k)):
            if let i = Node.index(of: k, in: entries), case .pair(let key, let v) = entries[i] {
                entries[i] = .pair(key: key, value: set(v, rest, leaf))
                return .mapping(entries)
            }
            entries.append(.pair(key: k, value: fresh(rest, leaf)))
            return .mapping(entries)
        case (.sequence(var items), .index(let i)):
            if i >= items.count {
                items.append(fresh(rest, leaf))
            } else {
                items[i] = set(items[i], rest, leaf)
            }
            return .sequence(items)
        default:
            return fresh(path, leaf)
        }
    }

    private static func unset(_ node: Node, _ path: ArraySlice<TreePath.Component>) throws -> Node {
        let first = path.first!
        let rest = path.dropFirst()
        switch (node, first) {
        case (.mapping(var entries), .key(let k)):
            guard let i = Node.index(of: k, in: entries), case .pair(let key, let v) = entries[i] else {
                throw KSecretError(.generic, "component ['\(k)'] not found")
            }
            // The key keeps its own spelling (the path may name it in another normalization).
            if rest.isEmpty { entries.remove(at: i) } else { entries[i] = .pair(key: key, value: try unset(v, rest)) }
            return .mapping(entries)
        case (.sequence(var items), .index(let i)):
            guard i < items.count else { throw KSecretError(.generic, "component [\(i)] accesses out of bounds") }
            if rest.isEmpty { items.remove(at: i) } else { items[i] = try unset(items[i], rest) }
            return .sequence(items)
        case (_, .key(let k)):
            throw KSecretError(.generic, "component ['\(k)'] not found")
        case (_, .index(let i)):
            throw KSecretError(.generic, "component [\(i)] is integer, but tree part is not a slice")
        }
    }
}
