/// What the YAML store remembers of a parsed file so that it can write it back byte for byte
/// with only the changed leaves replaced (Format.md §4.3).
struct YAMLLayout: StoreLayout {
    /// A class, not a struct: the writer looks each one up once per leaf, and copying a struct with
    /// several reference-counted fields per lookup was a tenth of a large file's decryption time.
    final class ScalarSpan: @unchecked Sendable {
        /// The bytes of the value (for block scalars: the content lines, after the header line).
        let span: Range<Int>
        /// Block scalars: the indicator characters (`|`, `>-`, `|2+`).
        let header: Range<Int>?
        let style: YAMLScalarStyle
        /// Inside a flow collection.
        let flow: Bool
        /// Indentation of block-scalar content, in spaces.
        let blockIndent: Int
        /// Indentation of the enclosing collection (YAML's n for indentation indicators).
        let parentIndent: Int
        /// A tag written before the value that cannot stay once the value is encrypted (`!!binary`, `!!int`…).
        let droppableTag: Range<Int>?
        /// For an item of a block sequence: the offset of its `-`.
        let dash: Int?
        /// An alias (`*name`) expanded into this value: the alias's bytes.
        let alias: Range<Int>?
        let line: Int
        let column: Int
        /// The value as read: an unchanged value keeps its bytes, whatever its spelling.
        let value: ScalarValue
        /// Written with the `!!str` tag, which stays on the encrypted value: a plain spelling then
        /// reads back as a string whatever it looks like (`!!str 1`), so it needs no quotes.
        let strTagged: Bool

        init(span: Range<Int>, header: Range<Int>?, style: YAMLScalarStyle, flow: Bool, blockIndent: Int, parentIndent: Int = 0,
             droppableTag: Range<Int>?, dash: Int?, alias: Range<Int>?, line: Int, column: Int, value: ScalarValue = .null,
             strTagged: Bool = false) {
            self.span = span
            self.header = header
            self.style = style
            self.flow = flow
            self.blockIndent = blockIndent
            self.parentIndent = parentIndent
            self.droppableTag = droppableTag
            self.dash = dash
            self.alias = alias
            self.line = line
            self.column = column
            self.value = value
            self.strTagged = strTagged
        }
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
        /// The column of the root block mapping's keys: metadata appended to an indented root
        /// mapping must stand at the same column, or the file is no longer YAML.
        var rootIndent = 0
        /// The root is a sequence (a ksecret extension): its metadata is a document of its own that
        /// follows it, `---` then `sops:` (Format.md §4.5).
        var sequenceRoot = false
    }

    /// The shape of each expanded alias's value (mapping keys, or the item count of a sequence),
    /// by the alias's offset: tells the value itself apart from a collection that only holds it.
    var aliasShapes: [Int: [String]] = [:]
    /// The leaves (scalar ids) of each alias's anchored value, by the alias's offset: an alias must
    /// be written out by value when its anchor's value is encrypted even if the copy is not (a copy
    /// under a `_unencrypted` key would otherwise read back the anchor's ciphertext).
    var aliasTargets: [Int: [Int]] = [:]
    var source: [UInt8]
    var scalars: [ScalarSpan] = []
    var comments: [CommentSpan] = []
    var documents: [DocumentSpan] = []
    var lineBreak = "\n"
    var indentUnit = 4
    /// The indentation step seen in the file, if any (`indentUnit` falls back to 4).
    var observedIndentUnit: Int?
    /// False when the source holds a line break the byte-offset bookkeeping does not follow (LS,
    /// PS): such a file is written in the canonical layout, never patched.
    var patchable = true
    /// The document as parsed, to tell whether a new document still has the same shape.
    var skeleton = Document(branches: [])
    /// Set for the decryption of the parsed document itself (`forDecryptionOfSource`), which has the
    /// skeleton's shape by construction: comparing the two trees again was 5 % of decrypting a
    /// large file.
    var shapeKnown = false

    func forDecryptionOfSource() -> any StoreLayout {
        var copy = self
        copy.shapeKnown = true
        return copy
    }
}
