/// The tree of a secrets file, independent of its on-disk format (Documentation/Format.md §2).
///
/// A document is a list of branches (one per YAML document, one for every other format). Each
/// branch is a node, normally a mapping. Comments are nodes too: sops encrypts and authenticates
/// them by position, so they live in the tree where they stand in the file.
public indirect enum Node: Sendable, Equatable {
    case mapping([MappingEntry])
    case sequence([Node])
    case scalar(Scalar)
    case comment(Comment)

    public var isComment: Bool { if case .comment = self { return true } else { return false } }
}

/// One item of a mapping: a key and its value, or a comment standing between keys.
public enum MappingEntry: Sendable, Equatable {
    case pair(key: String, value: Node)
    case comment(Comment)

    public var key: String? { if case .pair(let key, _) = self { return key } else { return nil } }
}

/// A leaf value with a handle back to where the store found it, so a layout-preserving store can
/// write the new value at the same place with the same style.
public struct Scalar: Sendable, Equatable {
    public var value: ScalarValue
    /// Opaque to everything but the store that set it; nil for values that were not read from a file.
    public var origin: Int?

    public init(_ value: ScalarValue, origin: Int? = nil) {
        self.value = value
        self.origin = origin
    }
}

/// A comment; `text` is everything after the comment marker (`#` or `;`), leading space kept.
public struct Comment: Sendable, Equatable {
    public var text: String
    public var origin: Int?

    public init(_ text: String, origin: Int? = nil) {
        self.text = text
        self.origin = origin
    }
}

/// The typed value of a leaf, with the types sops knows (Format.md §1.3).
public enum ScalarValue: Sendable, Equatable {
    case string(String)
    /// Raw bytes: the binary store's content, and sops's `bytes` type on read.
    case bytes([UInt8])
    case int(Int64)
    case float(Double)
    case bool(Bool)
    /// A timestamp, held as the RFC 3339 text sops encrypts (`2024-01-02T00:00:00Z`).
    case time(String)
    case null

    /// Equality for the IV stash: floats compare by bit pattern so NaN never matches (as in sops,
    /// where NaN != NaN makes the value re-encrypted every time).
    public static func == (lhs: ScalarValue, rhs: ScalarValue) -> Bool {
        switch (lhs, rhs) {
        case (.string(let a), .string(let b)): return a == b
        case (.bytes(let a), .bytes(let b)): return a == b
        case (.int(let a), .int(let b)): return a == b
        case (.float(let a), .float(let b)): return a == b
        case (.bool(let a), .bool(let b)): return a == b
        case (.time(let a), .time(let b)): return a == b
        case (.null, .null): return true
        default: return false
        }
    }
}

/// A whole file: its branches in order.
public struct Document: Sendable, Equatable {
    public var branches: [Node]

    /// The deepest nesting of collections a store reads (Format.md §2): every walk over a tree is
    /// recursive, and a file nested deeper would overflow the stack instead of failing clearly.
    public static let maxDepth = 1000

    public init(branches: [Node]) { self.branches = branches }
}
