import CYAML
import KSecretSystem

/// Builds the document tree and its layout from libyaml's events.
///
/// libyaml reports no comments, but its marks locate every scalar and collection exactly. The
/// bytes between consecutive events are the "gaps" that hold indicators, whitespace and comments;
/// a `#` there that starts a line or follows whitespace opens a comment. A comment belongs to the
/// innermost collection that contains it, which decides its AAD path (Format.md §2.3).
struct YAMLParser {
    static let maxDepth = Document.maxDepth
    let source: [UInt8]
    let path: String
    /// Where reading starts, in bytes and lines (0 but for the second half of `parseInTwo`, which
    /// reads from a line that starts a key of the root mapping).
    var start = 0
    var lineBase = 0

    init(source: [UInt8], path: String, start: Int = 0, lineBase: Int = 0) {
        self.source = source
        self.path = path
        self.start = start
        self.lineBase = lineBase
    }

    private final class Frame {
        var isMapping: Bool
        var flow: Bool
        var entries: [MappingEntry] = []
        var items: [Node] = []
        var pendingKey: String?
        var pendingKeyStart = 0
        var keys: Set<String> = []
        /// Keys canonically equal to one in `keys` (so `keys` holds only the first spelling) but
        /// with other bytes: "é" decomposed after "é" composed. Two keys to sops; almost always empty.
        var otherSpellings: [String] = []
        var column: Int
        /// Column of the `-` when this mapping is the item of a block sequence.
        var baseIndent: Int
        var anchor: String?
        /// For a block sequence: whether `column` was checked against its first item's dash.
        var dashColumnChecked = false
        /// For a block collection that starts at a tag or anchor: its parent's column, for the
        /// indentation step, counted once the first key or dash gives the collection's own column.
        var unitFromColumn: Int?
        init(isMapping: Bool, flow: Bool, column: Int, baseIndent: Int) {
            self.isMapping = isMapping
            self.flow = flow
            self.column = column
            self.baseIndent = baseIndent
        }
        func node() -> Node { isMapping ? .mapping(entries) : .sequence(items) }
    }

    func parse() throws -> (branches: [Node], layout: YAMLLayout, metadata: Node?) {
        let reader = start == 0 ? try YAMLEventReader(source, path: path)
            : try YAMLEventReader(Array(source[start...]), path: path, offset: start, lineBase: lineBase)
        var layout = YAMLLayout(source: source)
        if let cr = source.firstIndex(of: UInt8(ascii: "\n")), cr > 0, source[cr - 1] == UInt8(ascii: "\r") { layout.lineBreak = "\r\n" }
        var branches: [Node] = []
        var metadata: Node?
        var stack: [Frame] = []
        var anchors: [String: (node: Node, alias: Bool)] = [:]
        var cursor = start
        var leading: [Comment] = []     // comments before a document's root
        var root: Node?
        var rootFlowOrScalar = false
        var rootColumn = 0
        var unitCandidates: [Int] = []
        var sopsRange: Range<Int>?
        var pendingSopsStart: Int?
        var documentInsertion = 0
        var documentStartOffset = 0

        func location(_ line: Int, _ column: Int) -> SourceLocation {
            SourceLocation(file: path, line: line + 1, column: column + 1,
                           snippet: SourceLocation.snippet(in: source, line: line + 1, column: column + 1))
        }

        /// The comments in `range`, with their columns. `range` lies between two events (or, with
        /// `directives`, is a document start's own text: directive lines, whose tag prefixes may
        /// hold a `#`, take a comment only after white space, as libyaml does there).
        func comments(in range: Range<Int>, directives: Bool = false) -> [(Comment, Int)] {
            // Most gaps are ": " or a line break and indentation: no comment to look for.
            guard source[range].contains(UInt8(ascii: "#")) else { return [] }
            var found: [(Comment, Int)] = []
            var i = range.lowerBound
            while i < range.upperBound {
                let c = source[i]
                if c == UInt8(ascii: "#") && (i == 0 || (!directives && i == range.lowerBound)
                                                || (directives ? Self.isWhiteSpace(source[i - 1]) : Self.opensComment(after: source[i - 1]))) {
                    var end = i + 1
                    while end < source.count && source[end] != 0x0A && source[end] != 0x0D { end += 1 }
                    var lineStart = i
                    while lineStart > 0 && source[lineStart - 1] != 0x0A { lineStart -= 1 }
                    let id = layout.comments.count
                    layout.comments.append(.init(text: (i + 1)..<end))
                    found.append((Comment(String(decoding: source[(i + 1)..<end], as: UTF8.self), origin: -(id + 1)), i - lineStart))
                    i = end
                    continue
                }
                i += 1
            }
            return found
        }

        func attach(_ comment: Comment, to frame: Frame) {
            if frame.isMapping { frame.entries.append(.comment(comment)) } else { frame.items.append(.comment(comment)) }
        }

        /// Scans the gap up to `offset`; before a block collection's end, comments left of its
        /// column belong to an enclosing collection.
        func scanGap(to offset: Int, beforeEnd: Bool) {
            guard offset > cursor else { return }
            let found = comments(in: cursor..<offset)
            cursor = offset
            // Once a comment has gone to an outer collection, the inner ones are over for the
            // comments that follow it (sops reads those as the outer collection's foot comments).
            var innermost = stack.count - 1
            for (comment, column) in found {
                guard let top = stack.last else { leading.append(comment); continue }
                if beforeEnd && !top.flow {
                    // Deferred to the innermost frame whose column is <= the comment's column.
                    var target = innermost
                    // An indentless sequence (`key:` then `- a` at the key's column) ends where its
                    // parent's next key starts: a comment at that column belongs to the parent.
                    while target > 0 && (column < stack[target].column
                        || (!stack[target].isMapping && stack[target].column == stack[target - 1].column && column <= stack[target].column)) {
                        target -= 1
                    }
                    innermost = target
                    if target == stack.count - 1 { attach(comment, to: top) } else { deferred.append((comment, target)) }
                } else {
                    attach(comment, to: top)
                }
            }
        }
        var deferred: [(Comment, Int)] = []
        /// Where the last scalar, alias or flow collection read ended.
        var lastContentEnd = 0
        /// Where each anchor of the current document was set.
        var anchorStarts: [String: Int] = [:]

        func add(_ node: Node, at start: Int, end: Int) throws {
            guard let top = stack.last else { root = node; return }
            if top.isMapping {
                if let key = top.pendingKey {
                    top.pendingKey = nil
                    if stack.count == 1 && key == "sops" {
                        metadata = metadata ?? node
                        // The block ends with its last value: a block collection's end event stands
                        // where the next token does, past any comment that follows the block.
                        let last = lastContentEnd > (pendingSopsStart ?? 0) ? min(end, lastContentEnd) : end
                        var stop = lineStart(of: last) == last ? last : lineEnd(after: last)
                        // The blank lines right after it go with it, wherever it stands: a new block
                        // ending in `|+` would take them in. Comments right of the root's column too,
                        // when nothing else follows in the document (`linesEnd`).
                        stop = linesEnd(from: stop, commentsRightOf: nil)
                        if pendingSopsStart != nil {
                            let end = linesEnd(from: stop, commentsRightOf: rootColumn)
                            if end == source.count || isDocumentMarker(at: end) {
                                stop = end
                                cursor = max(cursor, end)
                            }
                        }
                        sopsRange = pendingSopsStart.map { metadataRange(from: $0, to: stop) }
                    } else {
                        top.entries.append(.pair(key: key, value: node))
                    }
                } else {
                    throw KSecretError(.couldNotReadInputFile, "mapping keys must be scalars", location: nil)
                }
            } else {
                top.items.append(node)
            }
        }

        func lineEnd(after offset: Int) -> Int {
            var i = offset
            while i < source.count && source[i] != 0x0A { i += 1 }
            return min(i + 1, source.count)
        }

        /// Past the blank lines from `offset` on, and with a `column` the comment lines right of it
        /// too. At the end of a document such comments go with the `sops` block when it is
        /// rewritten: left after a new block that ends in a block scalar, they would be read as its
        /// last lines (as would a line of spaces deeper than its indentation, or any blank line
        /// under `|+`). They are inside the block by their indentation, and sops's reader drops them
        /// too; a comment at the root's column stays.
        func linesEnd(from offset: Int, commentsRightOf column: Int?) -> Int {
            var i = offset
            while i < source.count {
                var j = i
                while j < source.count && (source[j] == 0x20 || source[j] == 0x09) { j += 1 }
                if j < source.count, source[j] != 0x0A, source[j] != 0x0D {
                    guard let column, source[j] == UInt8(ascii: "#"), j - i > column else { break }
                }
                i = lineEnd(after: j)
            }
            return i
        }

        /// Whether the line at `offset` is `---` or `...` (a document's end).
        func isDocumentMarker(at offset: Int) -> Bool {
            guard offset + 3 <= source.count else { return false }
            let mark = source[offset..<(offset + 3)]
            guard mark.elementsEqual("---".utf8) || mark.elementsEqual("...".utf8) else { return false }
            return offset + 3 == source.count || [0x20, 0x09, 0x0A, 0x0D].contains(source[offset + 3])
        }

        /// The bytes the metadata takes, `start..<stop`. ksecret appends it to a file without a
        /// final line break as "\nsops: ..." (or "\n---\nsops: ..." after a top-level sequence),
        /// itself without a final break: the range then takes that first line break too, so that
        /// removing it gives the file back as it was.
        func metadataRange(from start: Int, to stop: Int) -> Range<Int> {
            if stop == source.count, source.last != 0x0A, start > 0, source[start - 1] == 0x0A {
                return (start > 1 && source[start - 2] == 0x0D ? start - 2 : start - 1)..<stop
            }
            return start..<stop
        }

        /// Where the YAML content before `offset` ends: back over white space, line breaks,
        /// blank lines, comment lines and a comment that ends a line.
        func endOfContent(before offset: Int) -> Int {
            var end = offset
            while true {
                while end > 0, source[end - 1] == 0x20 || source[end - 1] == 0x09 { end -= 1 }
                guard end > 0, source[end - 1] == 0x0A || source[end - 1] == 0x0D else { return end }
                // The line before: blank or a comment line is passed over; otherwise its content
                // ends where a comment (a `#` after white space) starts, or at its end.
                var lineEnd = end - 1
                if lineEnd > 0, source[lineEnd] == 0x0A, source[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let start = lineStart(of: lineEnd)
                var content = start
                while content < lineEnd, source[content] == 0x20 || source[content] == 0x09 { content += 1 }
                if content == lineEnd || source[content] == UInt8(ascii: "#") {
                    end = start
                    guard start > 0 else { return 0 }
                    continue
                }
                var stop = lineEnd
                for i in (content + 1)..<max(content + 1, lineEnd) where source[i] == UInt8(ascii: "#") && (source[i - 1] == 0x20 || source[i - 1] == 0x09) {
                    stop = i
                    break
                }
                while stop > content, source[stop - 1] == 0x20 || source[stop - 1] == 0x09 { stop -= 1 }
                return stop
            }
        }

        func lineStart(of offset: Int) -> Int {
            var i = offset
            while i > 0 && source[i - 1] != 0x0A { i -= 1 }
            return i
        }

        /// Where the anchor and tag names at `start` end (before any comment after them).
        func propertiesEnd(_ start: Int, _ end: Int) -> Int {
            var i = start
            while i < end, source[i] == UInt8(ascii: "&") || source[i] == UInt8(ascii: "!") {
                if source[i] == UInt8(ascii: "!"), i + 1 < end, source[i + 1] == UInt8(ascii: "<") {
                    while i < end && source[i] != UInt8(ascii: ">") { i += 1 }
                    i += 1
                } else if source[i] == UInt8(ascii: "&") {
                    i += 1
                    while i < end, Self.isAnchorCharacter(source[i]) { i += 1 }
                } else {
                    while i < end && !(source[i] == 0x20 || source[i] == 0x0A || source[i] == 0x0D || source[i] == 0x09) { i += 1 }
                }
                while i < end && (source[i] == 0x20 || source[i] == 0x0A || source[i] == 0x0D || source[i] == 0x09) { i += 1 }
            }
            return min(i, end)
        }

        /// Skips `&anchor` / `!tag` properties at the start of an event's span; returns the value's start
        /// and the range of a tag if one was written.
        func skipProperties(_ start: Int, _ end: Int) -> (Int, Range<Int>?) {
            var i = start
            var tagRange: Range<Int>?
            while i < end, source[i] == UInt8(ascii: "&") || source[i] == UInt8(ascii: "!") {
                let propertyStart = i
                let isTag = source[i] == UInt8(ascii: "!")
                if isTag, i + 1 < end, source[i + 1] == UInt8(ascii: "<") {
                    while i < end && source[i] != UInt8(ascii: ">") { i += 1 }
                    i += 1
                } else if !isTag {
                    // An anchor name is what libyaml takes for one: letters, digits, `-` and `_`
                    // (`&a:b x` anchors `:b x` as `a`).
                    i += 1
                    while i < end, Self.isAnchorCharacter(source[i]) { i += 1 }
                } else {
                    while i < end && !(source[i] == 0x20 || source[i] == 0x0A || source[i] == 0x0D || source[i] == 0x09) { i += 1 }
                }
                var j = i
                while j < end && (source[j] == 0x20 || source[j] == 0x0A || source[j] == 0x0D || source[j] == 0x09) { j += 1 }
                if isTag { tagRange = propertyStart..<j }
                // Comment lines between a property and its value are not the value.
                while j < end, j > 0, source[j] == UInt8(ascii: "#"),
                      source[j - 1] == 0x20 || source[j - 1] == 0x0A || source[j - 1] == 0x0D || source[j - 1] == 0x09 {
                    while j < end && source[j] != 0x0A && source[j] != 0x0D { j += 1 }
                    while j < end && (source[j] == 0x20 || source[j] == 0x0A || source[j] == 0x0D || source[j] == 0x09) { j += 1 }
                }
                i = j
            }
            return (i, tagRange)
        }

        while true {
            let event = try reader.next()
            // A block sequence whose tag or anchor stands before its first item (`key: &a`, then
            // `- x`) starts, for libyaml, at that property; its items stand at their dashes' column,
            // which decides where the comments after them belong, whatever the items' lengths.
            if event.kind == .scalar || event.kind == .alias || event.kind == .mappingStart || event.kind == .sequenceStart,
               let top = stack.last, !top.isMapping, !top.flow, !top.dashColumnChecked {
                top.dashColumnChecked = true
                if let dash = dashOffset(before: event.start, in: top) { top.column = dash - lineStart(of: dash) }
                if let from = top.unitFromColumn { unitCandidates.append(top.column - from); top.unitFromColumn = nil }
            }
            switch event.kind {
            case .streamStart:
                continue
            case .streamEnd:
                scanGap(to: source.count, beforeEnd: false)
                if !leading.isEmpty, var last = branches.popLast() {
                    if case .mapping(var entries) = last { entries.append(contentsOf: leading.map { .comment($0) }); last = .mapping(entries) }
                    branches.append(last)
                }
                layout.skeleton = Document(branches: branches)
                layout.observedIndentUnit = unitCandidates.filter({ $0 > 0 }).min()
                if let unit = layout.observedIndentUnit { layout.indentUnit = unit }
                return (branches, layout, metadata)
            case .documentStart:
                scanGap(to: event.start, beforeEnd: false)
                documentStartOffset = lineStart(of: event.start)
                // A document start spans its directives and `---`: comments on and between their
                // lines come before the root, as sops reads them (it drops the directives).
                if event.end > max(cursor, event.start) {
                    leading += comments(in: max(cursor, event.start)..<event.end, directives: true).map(\.0)
                }
                cursor = max(cursor, event.end)
                root = nil
                rootFlowOrScalar = false
                sopsRange = nil
                anchors = [:]
                anchorStarts = [:]
            case .documentEnd:
                scanGap(to: event.start, beforeEnd: false)
                cursor = max(cursor, event.end)
                var branch: Node
                switch root {
                case nil: branch = .mapping([])
                case .scalar(let s)? where s.value == .null: branch = .mapping([])
                case .scalar?:
                    throw KSecretError(.couldNotReadInputFile, "the YAML document is a single scalar; a secrets file must be a mapping",
                                       location: SourceLocation(file: path))
                case let node?: branch = node
                }
                if !leading.isEmpty {
                    let comments = leading.map { MappingEntry.comment($0) }
                    switch branch {
                    case .mapping(let entries): branch = .mapping(comments + entries)
                    case .sequence(let items): branch = .sequence(leading.map { .comment($0) } + items)
                    default: break
                    }
                    leading = []
                }
                if case .mapping(let entries) = branch, entries.isEmpty, let range = sopsRange, leading.isEmpty,
                   case .sequence? = branches.last, let last = layout.documents.indices.last,
                   layout.documents[last].sequenceRoot, layout.documents[last].metadata == nil {
                    // The metadata document of a top-level sequence: not a branch of its own.
                    layout.documents[last].metadata = metadataRange(from: documentStartOffset, to: range.upperBound)
                    continue
                }
                branches.append(branch)
                // After a flow collection at the root, the document's trailing comments come before
                // anything ksecret appends (the metadata document of a top-level sequence): past
                // it, they would be read as part of the metadata document and stay encrypted.
                if rootFlowOrScalar, let last = layout.comments.last, last.text.lowerBound > documentInsertion, last.text.upperBound <= event.start {
                    documentInsertion = last.text.upperBound
                }
                var insertion = documentInsertion
                if insertion > 0 && source[insertion - 1] != 0x0A { insertion = lineEnd(after: insertion) }
                var span = YAMLLayout.DocumentSpan(metadata: sopsRange, insertion: sopsRange?.lowerBound ?? insertion,
                                                   blockMappingRoot: !rootFlowOrScalar && { if case .mapping? = root { return true } else { return false } }())
                if case .sequence? = root { span.sequenceRoot = true }
                if span.blockMappingRoot { span.rootIndent = rootColumn }
                layout.documents.append(span)
            case .mappingStart, .sequenceStart:
                if stack.count >= Self.maxDepth {
                    throw KSecretError(.couldNotReadInputFile, "the document is nested deeper than \(Self.maxDepth) levels",
                                       hints: ["a secrets file this deep is not one sops wrote; flatten it"],
                                       location: location(event.line, event.column))
                }
                if stack.isEmpty { rootColumn = event.column }
                // Comments on the lines between a key and its block collection belong to that
                // collection (sops reads them as head comments of its first item); a comment on the
                // key's own line belongs to the key's mapping.
                var childComments: [Comment] = []
                if !event.flow, let top = stack.last, event.start > cursor {
                    let gapStart = cursor
                    let found = comments(in: cursor..<event.start)
                    for (comment, _) in found {
                        let hash = layout.comments[-(comment.origin! + 1)].text.lowerBound - 1
                        if source[gapStart..<hash].contains(0x0A) { childComments.append(comment) } else { attach(comment, to: top) }
                    }
                    cursor = event.start
                } else {
                    scanGap(to: event.start, beforeEnd: false)
                }
                // With an anchor or a tag (`key: &a`, then the keys on the next lines), libyaml's
                // event runs from the property to the first key: comments after the property are
                // in the event, and would be lost (left in clear text) past `cursor`. They belong
                // to the collection, the one on the property's line too (sops reads that one as
                // the collection's line comment, as the property starts the collection there).
                if !event.flow, event.end > event.start, source[event.start] == UInt8(ascii: "&") || source[event.start] == UInt8(ascii: "!") {
                    for (comment, _) in comments(in: propertiesEnd(event.start, event.end)..<event.end) { childComments.append(comment) }
                }
                cursor = max(cursor, event.end)
                let parent = stack.last
                if parent == nil { rootFlowOrScalar = event.flow }
                // The indentation step, from collections nested in an ordinary mapping (a mapping
                // that is a sequence item has its keys two columns past its dash).
                // A collection that starts at its tag or anchor (`key: &a`) has its column from its
                // first key or dash, not from the property: counted then.
                let startsAtProperty = !event.flow && (source[event.start] == UInt8(ascii: "&") || source[event.start] == UInt8(ascii: "!"))
                var unitFromColumn: Int?
                if let parent, parent.isMapping, !parent.flow, !event.flow, parent.baseIndent == parent.column {
                    if startsAtProperty { unitFromColumn = parent.column } else { unitCandidates.append(event.column - parent.column) }
                }
                // Block-scalar content and nested collections are indented one unit from the base:
                // a mapping's own column, or for a mapping that is a sequence item, the item's dash.
                var base = event.column
                if event.kind == .mappingStart, let parent, !parent.isMapping, !parent.flow, !event.flow { base = parent.column }
                let frame = Frame(isMapping: event.kind == .mappingStart, flow: event.flow || (parent?.flow ?? false),
                                  column: event.column, baseIndent: base)
                frame.anchor = event.anchor
                frame.unitFromColumn = unitFromColumn
                if let anchor = event.anchor { anchorStarts[anchor] = event.start }
                for comment in childComments { attach(comment, to: frame) }
                stack.append(frame)
            case .mappingEnd, .sequenceEnd:
                scanGap(to: event.start, beforeEnd: true)
                cursor = max(cursor, event.end)
                if let top = stack.last, top.flow, stack.count < 2 || !stack[stack.count - 2].flow {
                    // A comment on the line right after a flow collection belongs to it (sops reads
                    // it as the collection's line comment).
                    var i = event.end
                    while i < source.count && (source[i] == 0x20 || source[i] == 0x09) { i += 1 }
                    if i < source.count && source[i] == UInt8(ascii: "#") {
                        var e = i
                        while e < source.count && source[e] != 0x0A && source[e] != 0x0D { e += 1 }
                        for (comment, _) in comments(in: i..<e) { attach(comment, to: top) }
                        cursor = e
                    }
                }
                let frame = stack.removeLast()
                if let pendingKey = frame.pendingKey {
                    throw KSecretError(.couldNotReadInputFile, "the key \(TreePath.render([pendingKey])) has no value")
                }
                let node = frame.node()
                if let anchor = frame.anchor { anchors[anchor] = (node, false) }
                if frame.flow { lastContentEnd = event.end }
                // A block collection ends where the next token starts; a flow one at its `]` or `}`,
                // after which anything appended goes (on the next line).
                if stack.isEmpty { documentInsertion = frame.flow ? event.end : event.start }
                try add(node, at: event.start, end: event.end)
                // Comments that belonged to enclosing collections follow the collection just closed.
                let mine = deferred.filter { $0.1 == stack.count - 1 }
                deferred.removeAll { $0.1 == stack.count - 1 }
                if let top = stack.last { for (comment, _) in mine { attach(comment, to: top) } }
            case .alias:
                scanGap(to: event.start, beforeEnd: false)
                cursor = max(cursor, event.end)
                guard let name = event.anchor, let target = anchors[name] else {
                    throw KSecretError(.couldNotReadInputFile, "unknown alias", location: location(event.line, event.column))
                }
                // The sops block is written anew at every encryption, without its anchors.
                if let block = sopsRange, let anchored = anchorStarts[name], block.contains(anchored) {
                    throw KSecretError(.couldNotReadInputFile, "an alias refers to an anchor in the sops metadata",
                                       hints: ["the sops block is rewritten at each encryption; write the value out instead of *\(name)"],
                                       location: location(event.line, event.column))
                }
                lastContentEnd = event.end
                // sops expands aliases: each copy is its own value under its own path. Every leaf of
                // the copy points at the alias, which is rewritten as the expanded value when written.
                let copy = expandAlias(target.node, alias: event.start..<event.end, line: event.line, column: event.column, layout: &layout,
                                       flow: stack.last?.flow ?? false, dash: dashOffset(before: event.start, in: stack.last))
                try add(copy, at: event.start, end: event.end)
            case .scalar:
                scanGap(to: event.start, beforeEnd: false)
                let (valueStart, tagRange) = skipProperties(event.start, event.end)
                // Comment lines between a tag or anchor and the value (encrypted like any other).
                if valueStart > event.start { scanGap(to: valueStart, beforeEnd: false) }
                var end = event.end
                cursor = max(cursor, end)
                if let top = stack.last, top.isMapping, top.pendingKey == nil {
                    // A key. A block mapping whose tag or anchor stands before its first key (`!t`,
                    // `&a` on a line of their own) starts, for libyaml, at that property: its keys'
                    // column is the mapping's, where appended metadata must stand too.
                    // An explicit key (`? key`) stands at its `?`.
                    // The key may also stand on a line after its `?` (`?` alone, then `  key`),
                    // with comment lines, or a comment after the `?`, in between. Only the first
                    // key of a block mapping says where the mapping stands.
                    if !top.flow, top.keys.isEmpty {
                        var keyColumn = event.column
                        let before = endOfContent(before: event.start)
                        if before > 0, source[before - 1] == UInt8(ascii: "?") {
                            var lineStart = before - 1
                            while lineStart > 0, source[lineStart - 1] != 0x0A, source[lineStart - 1] != 0x0D { lineStart -= 1 }
                            // The indicator opens its line (after indentation or a sequence item's
                            // dash): a `?` that ends a comment or a value on an earlier line is none.
                            let lead = source[lineStart..<(before - 1)]
                            if lead.allSatisfy({ $0 == 0x20 || $0 == UInt8(ascii: "-") || $0 == 0x09 }) { keyColumn = before - 1 - lineStart }
                        }
                        if top.column != keyColumn {
                            if top.baseIndent == top.column { top.baseIndent = keyColumn }
                            top.column = keyColumn
                            if stack.count == 1 { rootColumn = keyColumn }
                        }
                    }
                    if top.keys.isEmpty, let from = top.unitFromColumn { unitCandidates.append(top.column - from); top.unitFromColumn = nil }
                    let key = event.value
                    if event.style == YAML_PLAIN_SCALAR_STYLE && event.tag == nil {
                        switch YAMLScalarResolver.resolvePlain(key) {
                        case .string: break
                        default:
                            throw KSecretError(.errorEncryptingTree, "the mapping key \(TreePath.render([key])) is not a string",
                                               hints: ["quote the key, e.g. \"\(key)\": value"], location: location(event.line, event.column))
                        }
                    }
                    // A duplicate is the same bytes, as sops compares keys: Swift's strings compare by
                    // canonical equivalence, so "é" composed and decomposed meet in `keys` and are told
                    // apart here.
                    let (isNew, first) = top.keys.insert(key)
                    if !isNew {
                        let same = { (other: String) in other.utf8.elementsEqual(key.utf8) }
                        guard !same(first), !top.otherSpellings.contains(where: same) else {
                            throw KSecretError(.couldNotReadInputFile, "duplicate mapping key \(TreePath.render([key]))",
                                               location: location(event.line, event.column))
                        }
                        top.otherSpellings.append(key)
                    }
                    top.pendingKey = key
                    top.pendingKeyStart = event.start
                    if stack.count == 1 && key == "sops" { pendingSopsStart = lineStart(of: event.start) }
                    continue
                }
                var style: YAMLScalarStyle
                var header: Range<Int>?
                var spanStart = valueStart
                var blockIndent = (stack.last?.baseIndent ?? 0) + layout.indentUnit
                if let top = stack.last, top.isMapping, blockIndent <= top.column { blockIndent = top.column + layout.indentUnit }
                // A block scalar that is itself a sequence item is indented past its "- " (sops's writer).
                if let top = stack.last, !top.isMapping, !top.flow { blockIndent = top.column + 2 }
                switch event.style {
                case YAML_SINGLE_QUOTED_SCALAR_STYLE: style = .singleQuoted
                case YAML_DOUBLE_QUOTED_SCALAR_STYLE:
                    let quoted = source[valueStart..<end]
                    style = quoted.starts(with: Array(#""\x45NC["#.utf8)) ? .forcedPlain
                        : quoted.starts(with: Array(#""\u0045NC["#.utf8)) ? .doubleQuotedRaw : .doubleQuoted
                case YAML_LITERAL_SCALAR_STYLE, YAML_FOLDED_SCALAR_STYLE:
                    var h = valueStart + 1
                    while h < end, "+-0123456789".utf8.contains(source[h]) { h += 1 }
                    let headerText = String(decoding: source[valueStart..<h], as: UTF8.self)
                    style = event.style == YAML_LITERAL_SCALAR_STYLE ? .literal(header: headerText) : .folded(header: headerText)
                    header = valueStart..<h
                    // Content: from the header line's break to the last content line (kept chomping:
                    // the trailing blank lines are part of the value).
                    var contentStart = h
                    while contentStart < end && source[contentStart] != 0x0A && source[contentStart] != 0x0D { contentStart += 1 }
                    // A comment on the header line (`key: | # note`, also `|#note` to libyaml) stands
                    // before the value's key or item, as sops reads it (a head comment).
                    for (comment, _) in comments(in: h..<contentStart) {
                        if let top = stack.last { attach(comment, to: top) } else { leading.append(comment) }
                    }
                    var contentEnd = end
                    if contentEnd > contentStart, source[contentEnd - 1] == 0x0A {
                        contentEnd -= 1
                        if contentEnd > contentStart, source[contentEnd - 1] == 0x0D { contentEnd -= 1 }
                    }
                    if !headerText.contains("+") {
                        // Drop trailing whitespace-only lines: they are layout, not value.
                        var e = contentEnd
                        while e > contentStart {
                            var ls = e
                            while ls > contentStart && source[ls - 1] != 0x0A { ls -= 1 }
                            if source[ls..<e].allSatisfy({ $0 == 0x20 || $0 == 0x0D || $0 == 0x09 }) && ls > contentStart {
                                e = ls - 1
                                if e > contentStart, source[e - 1] == 0x0D { e -= 1 }
                            } else { break }
                        }
                        contentEnd = e
                    }
                    // Content indentation: the leading spaces of the first line with content. Lines
                    // of spaces alone do not set it (libyaml's auto-detection): a block holding only
                    // such lines keeps the default, which stands right of the enclosing collection.
                    var k = contentStart
                    var indent = 0
                    while k < contentEnd {
                        while k < contentEnd && (source[k] == 0x0A || source[k] == 0x0D) { k += 1 }
                        var p = k
                        while p < contentEnd && source[p] == 0x20 { p += 1 }
                        if p < contentEnd && source[p] != 0x0A && source[p] != 0x0D { indent = p - k; break }
                        k = p
                    }
                    if indent > 0 { blockIndent = indent }
                    // An explicit indentation indicator fixes the content's indentation relative to
                    // the enclosing collection, whatever the first line holds.
                    if let digit = headerText.first(where: \.isNumber)?.wholeNumberValue {
                        blockIndent = (stack.last?.column ?? 0) + digit
                    }
                    spanStart = contentStart
                    end = contentEnd
                default: style = .plain
                }
                if header == nil && tagRange == nil && event.style == YAML_PLAIN_SCALAR_STYLE {
                    // A plain scalar's end mark is exact.
                }
                var value = typedValue(event)
                if case .string(let s) = value, style.isBlock {
                    var trimmed = Substring(s)
                    while trimmed.hasSuffix("\n") { trimmed.removeLast() }
                    if trimmed.hasPrefix("ENC[AES256_GCM,") && !trimmed.contains("\n") { value = .string(String(trimmed)) }
                }
                var droppable: Range<Int>?
                if let tagRange, let tag = event.tag, tag.hasPrefix("tag:yaml.org,2002:"), tag != "tag:yaml.org,2002:str" { droppable = tagRange }
                let id = layout.scalars.count
                let flow = stack.last?.flow ?? false
                layout.scalars.append(.init(span: spanStart..<end, header: header, style: style, flow: flow, blockIndent: blockIndent,
                                            parentIndent: stack.last?.column ?? 0, droppableTag: droppable, dash: dashOffset(before: event.start, in: stack.last),
                                            alias: nil, line: event.line, column: event.column, value: value,
                                            strTagged: tagRange != nil && event.tag == "tag:yaml.org,2002:str"))
                let node = Node.scalar(Scalar(value, origin: id))
                if let anchor = event.anchor {
                    anchors[anchor] = (node, false)
                    anchorStarts[anchor] = event.start
                }
                lastContentEnd = event.end
                try add(node, at: event.start, end: event.end)
            }
        }
    }

    static func isWhiteSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    /// Whether a `#` right after `byte`, in the text between two events, starts a comment. libyaml
    /// looks for a comment wherever a token may start: after white space, and also straight after a
    /// flow indicator or an event (`[a]#note`, `"x"#note`, `[p,#note`), where YAML's spec would
    /// want a space. (A gap's first byte follows an event, and is checked by the caller.)
    static func opensComment(after byte: UInt8) -> Bool {
        if isWhiteSpace(byte) { return true }
        switch byte {
        case UInt8(ascii: ","), UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: ":"): return true
        default: return false
        }
    }

    static func isAnchorCharacter(_ c: UInt8) -> Bool {
        (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2D || c == 0x5F
    }

    /// The offset of the `-` that starts a block-sequence item at `start`, if there is one.
    private func dashOffset(before start: Int, in frame: Frame?) -> Int? {
        guard let frame, !frame.isMapping, !frame.flow else { return nil }
        var i = start
        while i > 0 {
            let c = source[i - 1]
            if c == 0x20 || c == 0x09 { i -= 1; continue }
            return c == UInt8(ascii: "-") ? i - 1 : nil
        }
        return nil
    }

    private func expandAlias(_ node: Node, alias: Range<Int>, line: Int, column: Int, layout: inout YAMLLayout, flow: Bool, dash: Int?) -> Node {
        func copy(_ node: Node) -> Node {
            switch node {
            case .scalar(var s):
                let id = layout.scalars.count
                layout.scalars.append(.init(span: alias, header: nil, style: .plain, flow: flow, blockIndent: layout.indentUnit,
                                            droppableTag: nil, dash: dash, alias: alias, line: line, column: column, value: s.value))
                s.origin = id
                return .scalar(s)
            case .mapping(let entries):
                return .mapping(entries.map { entry in
                    switch entry {
                    case .pair(let k, let v): return .pair(key: k, value: copy(v))
                    case .comment(var c): c.origin = nil; return .comment(c)
                    }
                })
            case .sequence(let items): return .sequence(items.map(copy))
            case .comment(var c): c.origin = nil; return .comment(c)
            }
        }
        func leaves(_ node: Node) -> [Int] {
            switch node {
            case .scalar(let s): return s.origin.map { [$0] } ?? []
            case .mapping(let entries): return entries.flatMap { if case .pair(_, let v) = $0 { return leaves(v) } else { return [] } }
            case .sequence(let items): return items.flatMap(leaves)
            case .comment: return []
            }
        }
        layout.aliasShapes[alias.lowerBound] = Self.shape(node)
        layout.aliasTargets[alias.lowerBound] = leaves(node)
        return copy(node)
    }

    static func shape(_ node: Node) -> [String] {
        switch node {
        case .mapping(let entries): return entries.compactMap(\.key)
        case .sequence(let items): return ["#\(items.filter { !$0.isComment }.count)"]
        default: return []
        }
    }

    /// The typed value of a scalar event (Format.md §4.2: sops's YAML typing).
    private func typedValue(_ event: YAMLEvent) -> ScalarValue {
        let text = event.value
        if let tag = event.tag, tag != "!" {
            switch tag {
            case "tag:yaml.org,2002:str": return .string(text)
            case "tag:yaml.org,2002:binary":
                let cleaned = text.filter { !$0.isWhitespace }
                guard let data = Data(base64Encoded: cleaned) else { return .string(text) }
                let bytes = [UInt8](data)
                if let s = String(validating: bytes, as: UTF8.self) { return .string(s) }
                return .bytes(bytes)
            case "tag:yaml.org,2002:int", "tag:yaml.org,2002:float", "tag:yaml.org,2002:bool",
                 "tag:yaml.org,2002:null", "tag:yaml.org,2002:timestamp":
                return YAMLScalarResolver.resolvePlain(text)
            default: return .string(text)
            }
        }
        if event.style == YAML_PLAIN_SCALAR_STYLE && event.tag == nil { return YAMLScalarResolver.resolvePlain(text) }
        return .string(text)
    }
}
