/// What the YAML store remembers of a parsed file so that it can write it back byte for byte
/// with only the changed leaves replaced (Format.md §4.3).
struct YAMLLayout: StoreLayout {
    struct ScalarSpan: Sendable {
        /// The bytes of the value (for block scalars: the content lines, after the header line).
        var span: Range<Int>
        /// Block scalars: the indicator characters (`|`, `>-`, `|2+`).
        var header: Range<Int>?
        var style: YAMLScalarStyle
        /// Inside a flow collection.
        var flow: Bool
        /// Indentation of block-scalar content, in spaces.
        var blockIndent: Int
        /// Indentation of the enclosing collection (YAML's n for indentation indicators).
        var parentIndent: Int = 0
        /// A tag written before the value that cannot stay once the value is encrypted (`!!binary`, `!!int`…).
        var droppableTag: Range<Int>?
        /// For an item of a block sequence: the offset of its `-`.
        var dash: Int?
        /// An alias (`*name`) expanded into this value: the alias's bytes.
        var alias: Range<Int>?
        var line: Int
        var column: Int
        /// The value as read: an unchanged value keeps its bytes, whatever its spelling.
        var value: ScalarValue = .null
    }

    struct CommentSpan: Sendable {
        /// The text after `#`, up to the end of the line.
        var text: Range<Int>
    }

    struct DocumentSpan: Sendable {
        /// Where `sops:` metadata is (to be removed) or should be appended.
        var metadata: Range<Int>?
        var insertion: Int
        /// The root is a block mapping (metadata can be appended as a last key).
        var blockMappingRoot: Bool
        /// The root is a sequence (a ksecret extension): its metadata is a document of its own that
        /// follows it, `---` then `sops:` (Format.md §4.5).
        var sequenceRoot = false
    }

    /// The shape of each expanded alias's value (mapping keys, or the item count of a sequence),
    /// by the alias's offset: tells the value itself apart from a collection that only holds it.
    var aliasShapes: [Int: [String]] = [:]
    var source: [UInt8]
    var scalars: [ScalarSpan] = []
    var comments: [CommentSpan] = []
    var documents: [DocumentSpan] = []
    var lineBreak = "\n"
    var indentUnit = 4
    /// The document as parsed, to tell whether a new document still has the same shape.
    var skeleton = Document(branches: [])
}
