import Dispatch
import KSecretSystem

/// A large YAML file read on two threads: libyaml and the tree building were nearly half of a
/// 20,000-value file's decryption, and one core sat idle meanwhile.
///
/// The file is cut at a line that starts a key of the root mapping (column 0, after a line of
/// content, so no comment stands in the gap), each half is parsed on its own, and the halves are
/// joined: the second half's leaf and comment ids follow the first half's, its offsets and lines
/// are the file's already. Whenever the cut could change the reading, the result is nil and the
/// caller parses the file on one thread, which also gives any error its exact position:
/// - either half fails to parse (a cut inside a multi-line quoted scalar or flow collection leaves
///   the first half unterminated; an alias to an anchor in the other half is unknown);
/// - either half is not one document with a block mapping at column 0, or uses aliases;
/// - a root key appears in both halves, or both hold `sops`.
/// `YAMLSplitParseTests` compares the joined result with the one-thread reading at every line
/// where a cut is allowed, on the whole YAML corpus.
extension YAMLParser {
    /// Files from this size on are read in two halves.
    static let splitThreshold = 512 * 1024

    /// Where `parseInTwo` cuts `source` near `target`: the first line at or after it that starts
    /// with a plain key character at column 0 and follows a line of content.
    static func cutLine(in source: [UInt8], near target: Int) -> Int? {
        let limit = min(source.count, target + 256 * 1024)
        return source.withUnsafeBufferPointer { s -> Int? in
            var i = max(target, 1)
            while i < limit {
                guard let nl = Self.index(of: 0x0A, in: s, from: i, before: limit) else { return nil }
                let at = nl + 1
                i = at
                guard at < s.count, Self.isKeyStart(s[at]) else { continue }
                // The line before: not blank, not a comment, not a document marker.
                var ls = nl
                while ls > 0 && s[ls - 1] != 0x0A { ls -= 1 }
                var first = ls
                while first < nl && (s[first] == 0x20 || s[first] == 0x09) { first += 1 }
                guard first < nl, s[first] != UInt8(ascii: "#"), s[first] != 0x0D else { continue }
                if nl - ls >= 3, s[ls] == UInt8(ascii: "-") || s[ls] == UInt8(ascii: "."),
                   s[ls + 1] == s[ls], s[ls + 2] == s[ls] { continue }
                return at
            }
            return nil
        }
    }

    private static func isKeyStart(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == UInt8(ascii: "_")
    }

    private static func index(of byte: UInt8, in s: UnsafeBufferPointer<UInt8>, from: Int, before end: Int) -> Int? {
        var i = from
        while i < end {
            if s[i] == byte { return i }
            i += 1
        }
        return nil
    }

    /// The file read in two halves cut at `cut` (a line start from `cutLine`), or nil when the cut
    /// could change the reading (see the type's comment).
    static func parseInTwo(_ source: [UInt8], path: String, cut: Int) -> (branches: [Node], layout: YAMLLayout, metadata: Node?)? {
        let results = HalfResults()
        DispatchQueue.concurrentPerform(iterations: 2) { part in
            if part == 0 {
                results.set(0, try? YAMLParser(source: Array(source[..<cut]), path: path).parse())
            } else {
                let lines = source.withUnsafeBufferPointer { s in
                    var n = 0
                    var i = 0
                    while i < cut, let nl = memchr(s.baseAddress! + i, 0x0A, cut - i) {
                        n += 1
                        i = s.baseAddress!.distance(to: nl.assumingMemoryBound(to: UInt8.self)) + 1
                    }
                    return n
                }
                results.set(1, try? YAMLParser(source: source, path: path, start: cut, lineBase: lines).parse())
            }
        }
        guard let first = results.parts[0], let second = results.parts[1] else { return nil }
        guard let rootA = onlyBlockMapping(first), let rootB = onlyBlockMapping(second),
              first.metadata == nil || second.metadata == nil else { return nil }
        var keys = Set<String>()
        for case .pair(let key, _) in rootA { keys.insert(key) }
        for case .pair(let key, _) in rootB where keys.contains(key) { return nil }

        let scalarBase = first.layout.scalars.count, commentBase = first.layout.comments.count
        let root = Node.mapping(rootA + rootB.map { shift($0, scalars: scalarBase, comments: commentBase) })
        var layout = first.layout
        layout.source = source
        layout.scalars += second.layout.scalars
        layout.comments += second.layout.comments
        // The document's end (where metadata is appended) is the second half's; metadata found in
        // the first half keeps its own place.
        layout.documents = [first.metadata != nil ? first.layout.documents[0] : second.layout.documents[0]]
        let units = [first.layout.observedIndentUnit, second.layout.observedIndentUnit].compactMap { $0 }
        layout.observedIndentUnit = units.min()
        layout.indentUnit = units.min() ?? 4
        layout.skeleton = Document(branches: [root])
        return ([root], layout, first.metadata ?? second.metadata.map { shift($0, scalars: scalarBase, comments: commentBase) })
    }

    /// The root entries of a half that is one document whose root is a block mapping at column 0
    /// and that uses no aliases; nil otherwise.
    private static func onlyBlockMapping(_ half: (branches: [Node], layout: YAMLLayout, metadata: Node?)) -> [MappingEntry]? {
        guard half.branches.count == 1, half.layout.documents.count == 1, half.layout.aliasShapes.isEmpty,
              half.layout.documents[0].blockMappingRoot, !half.layout.documents[0].sequenceRoot,
              half.layout.documents[0].rootIndent == 0, case .mapping(let entries) = half.branches[0] else { return nil }
        return entries
    }

    private static func shift(_ entry: MappingEntry, scalars: Int, comments: Int) -> MappingEntry {
        switch entry {
        case .pair(let key, let value): return .pair(key: key, value: shift(value, scalars: scalars, comments: comments))
        case .comment(let c): return .comment(shift(c, scalars: scalars, comments: comments))
        }
    }

    private static func shift(_ node: Node, scalars: Int, comments: Int) -> Node {
        switch node {
        case .scalar(var s):
            if let id = s.origin { s.origin = id + scalars }
            return .scalar(s)
        case .comment(let c): return .comment(shift(c, scalars: scalars, comments: comments))
        case .mapping(let entries): return .mapping(entries.map { shift($0, scalars: scalars, comments: comments) })
        case .sequence(let items): return .sequence(items.map { shift($0, scalars: scalars, comments: comments) })
        }
    }

    /// Comment ids are negative (-(index + 1)) for comments of the layout's list, and a sequence
    /// value that is a comment carries its scalar's id: both move with their half.
    private static func shift(_ comment: Comment, scalars: Int, comments: Int) -> Comment {
        var c = comment
        if let id = c.origin { c.origin = id < 0 ? id - comments : id + scalars }
        return c
    }
}

/// Each half's parse, set by its own thread.
private final class HalfResults: @unchecked Sendable {
    private(set) var parts: [(branches: [Node], layout: YAMLLayout, metadata: Node?)?] = [nil, nil]
    private let lock = Lock()

    func set(_ part: Int, _ result: (branches: [Node], layout: YAMLLayout, metadata: Node?)?) {
        lock.lock()
        parts[part] = result
        lock.unlock()
    }
}
