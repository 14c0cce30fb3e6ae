import Dispatch
import KSecretSystem

/// YAML, kept as the author wrote it (Format.md §4).
///
/// Reading builds the tree from libyaml's events and remembers where every leaf and comment stood.
/// Writing a document of the same shape patches only the leaves whose text changes; everything
/// else (comments, blank lines, indentation, quoting, key order) is copied byte for byte. A document
/// whose shape changed (keys added or removed) is written in sops's canonical block style.
public struct YAMLStore: Store {
    public init() {}
    public var format: FileFormat { .yaml }

    public func parse(_ bytes: [UInt8], path: String) throws -> ParsedFile {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
            throw KSecretError(.needAtLeastOneDocument, "the file is empty: there is no document to read", location: SourceLocation(file: path))
        }
        let source = Self.normalizingBreaks(bytes)
        var split: (branches: [Node], layout: YAMLLayout, metadata: Node?)?
        if source.count >= YAMLParser.splitThreshold, let cut = YAMLParser.cutLine(in: source, near: source.count / 2) {
            split = YAMLParser.parseInTwo(source, path: path, cut: cut)
        }
        var (branches, layout, metadata) = try split ?? YAMLParser(source: source, path: path).parse()
        layout.patchable = !Self.containsSeparatorBreak(source)
        // Only comments and no document: nothing to encrypt, and a write would give back the
        // comments in clear without a sops block (sops refuses the same file: "EOF", exit 2).
        if branches.isEmpty {
            throw KSecretError(.couldNotReadInputFile, "the file holds only comments: there is no document to read",
                               hints: ["add at least one key, or remove the file"], location: SourceLocation(file: path))
        }
        return ParsedFile(document: Document(branches: branches), metadata: metadata, format: .yaml, layout: layout)
    }

    /// A lone CR or a NEL is a line break to libyaml exactly as LF is (in scalars, comments and block
    /// scalars alike), but the layout's line arithmetic knows only LF: each is read as the file's own
    /// line break (CRLF in a CRLF file), so that a patched write keeps every line where it was.
    /// A file written back has these breaks in that form (Format.md §4.3).
    static func normalizingBreaks(_ bytes: [UInt8]) -> [UInt8] {
        // The check runs on every file read (megabytes for a large one): memchr, not a byte loop.
        let needed = bytes.withUnsafeBufferPointer { p in
            containsPair(0x0D, where: { $0 != 0x0A }, endOK: true, in: p) || containsPair(0xC2, where: { $0 == 0x85 }, endOK: false, in: p)
        }
        guard needed else { return bytes }
        let crlf = bytes.indices.contains { bytes[$0] == 0x0D && $0 + 1 < bytes.count && bytes[$0 + 1] == 0x0A }
        let lineBreak: [UInt8] = crlf ? [0x0D, 0x0A] : [0x0A]
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 16)
        var i = 0
        while i < bytes.count {
            let c = bytes[i]
            if c == 0x0D, i + 1 == bytes.count || bytes[i + 1] != 0x0A {
                out.append(contentsOf: lineBreak)
            } else if c == 0xC2, i + 1 < bytes.count, bytes[i + 1] == 0x85 {
                out.append(contentsOf: lineBreak)
                i += 1
            } else {
                out.append(c)
            }
            i += 1
        }
        return out
    }

    /// Whether the file holds LS or PS (U+2028, U+2029), which libyaml also reads as line breaks
    /// but keeps in block scalars' values: they cannot be normalised away.
    static func containsSeparatorBreak(_ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBufferPointer { p in
            var i = 0
            while let e2 = firstIndex(of: 0xE2, in: p, from: i) {
                if e2 + 2 < p.count, p[e2 + 1] == 0x80, p[e2 + 2] == 0xA8 || p[e2 + 2] == 0xA9 { return true }
                i = e2 + 1
            }
            return false
        }
    }

    /// Whether some `byte` is followed by a byte for which `next` holds (or ends the input, when `endOK`).
    private static func containsPair(_ byte: UInt8, where next: (UInt8) -> Bool, endOK: Bool, in p: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        while let at = firstIndex(of: byte, in: p, from: i) {
            if at + 1 == p.count ? endOK : next(p[at + 1]) { return true }
            i = at + 1
        }
        return false
    }

    private static func firstIndex(of byte: UInt8, in p: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start < p.count, let base = p.baseAddress, let hit = memchr(base + start, Int32(byte), p.count - start) else { return nil }
        return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
    }

    public func emit(_ document: Document, metadata: Node?, source: ParsedFile?, options: StoreOptions) throws -> [UInt8] {
        let layout = source?.layout as? YAMLLayout
        if let layout, Self.patches(document, metadata: metadata, layout: layout) {
            return YAMLPatcher(layout: layout).write(document, metadata: metadata)
        }
        let emitter = YAMLEmitter(unit: options.yamlIndent ?? layout?.indentUnit ?? 4, lineBreak: layout?.lineBreak ?? "\n")
        let docs = document.branches.map { emitter.document($0, metadata: metadata) }
        return Array(docs.joined(separator: "---" + emitter.lineBreak).utf8)
    }

    /// Whether `emit` with `source` patches the source's text (true) or writes the tree anew in
    /// sops's canonical style, as it does for a tree whose shape changed or a stream it cannot patch.
    public static func patches(_ document: Document, metadata: Node?, source: ParsedFile?) -> Bool {
        guard let layout = source?.layout as? YAMLLayout else { return false }
        return patches(document, metadata: metadata, layout: layout)
    }

    private static func patches(_ document: Document, metadata: Node?, layout: YAMLLayout) -> Bool {
        layout.patchable && layout.documents.count == document.branches.count && (layout.shapeKnown || sameShape(document, layout.skeleton))
            && (metadata == nil || layout.documents.allSatisfy { $0.blockMappingRoot || $0.sequenceRoot })
    }

    public func emitValue(_ node: Node, options: StoreOptions) throws -> [UInt8] {
        let emitter = YAMLEmitter(unit: options.yamlIndent ?? 4)
        return Array(emitter.document(node, metadata: nil).utf8)
    }

    /// Same keys in the same order, same sequence lengths, comments in the same places. A sequence
    /// item may turn from a value into a comment (sops stores list comments as values).
    static func sameShape(_ a: Document, _ b: Document) -> Bool {
        guard a.branches.count == b.branches.count else { return false }
        return zip(a.branches, b.branches).allSatisfy { sameShape($0, $1) }
    }

    static func sameShape(_ a: Node, _ b: Node) -> Bool {
        switch (a, b) {
        // A leaf without an origin was not read from this file: it has no place to be patched into.
        case (.scalar(let s), .scalar): return s.origin != nil
        case (.comment(let c), .comment), (.comment(let c), .scalar): return c.origin != nil
        case (.scalar(let s), .comment): return s.origin != nil
        case (.mapping(let x), .mapping(let y)):
            guard x.count == y.count else { return false }
            for (p, q) in zip(x, y) {
                switch (p, q) {
                case (.comment, .comment): continue
                case (.pair(let k1, let v1), .pair(let k2, let v2)):
                    guard k1 == k2, sameShape(v1, v2) else { return false }
                default: return false
                }
            }
            return true
        case (.sequence(let x), .sequence(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { sameShape($0, $1) }
        default: return false
        }
    }
}

/// Writes a document back over the bytes it was read from, replacing only what changed.
struct YAMLPatcher {
    let layout: YAMLLayout

    /// Where the data of a file without a final line break ends: the end of the input, or where a
    /// metadata block that ksecret appended to such a file starts.
    private var unterminatedEnd: Int {
        let source = layout.source
        guard source.last != 0x0A else { return -1 }
        if let last = layout.documents.last?.metadata, last.upperBound == source.count { return last.lowerBound }
        return source.count
    }

    fileprivate struct Patch { var range: Range<Int>; var text: String }

    func write(_ document: Document, metadata: Node?) -> [UInt8] {
        var patches: [Patch] = []
        var expandedAliases: Set<Int> = []
        var encrypted: Set<Int> = []
        // Only an anchor's leaves are ever looked up: a file without aliases needs no set.
        if !layout.aliasTargets.isEmpty {
            for branch in document.branches { encryptedLeaves(branch, into: &encrypted) }
        }
        var written = self
        written.encryptedOrigins = encrypted
        written.writesMetadata = metadata != nil
        if layout.aliasShapes.isEmpty, document.branches.count == 1,
           let split = SplitPoint(document.branches[0], threshold: Envelope.splitThreshold) {
            // A large file's patches are collected on two threads, as the envelope walks it: the
            // cut container's later members stand after all of its earlier ones in the source.
            let tail: Node = switch split.tail {
            case .entries(let entries): .mapping(entries)
            case .items(let items): .sequence(items)
            }
            let halves = [split.head(of: document.branches[0]), tail]
            let results = CollectedPatches()
            let patcher = written
            DispatchQueue.concurrentPerform(iterations: 2) { part in
                var found: [Patch] = []
                var aliases: Set<Int> = []
                patcher.collect(halves[part], into: &found, aliases: &aliases)
                results.set(part, found)
            }
            patches = results.parts[0] + results.parts[1]
        } else {
            for branch in document.branches { written.collect(branch, into: &patches, aliases: &expandedAliases) }
        }
        if metadata != nil || layout.documents.contains(where: { $0.metadata != nil }) {
            let emitter = YAMLEmitter(unit: layout.indentUnit, lineBreak: layout.lineBreak)
            var block = ""
            if let metadata { emitter.mappingEntries([.pair(key: "sops", value: metadata)], indent: 0, base: 0, out: &block, firstInline: false) }
            let lineBreak = layout.lineBreak
            /// At the end of a file without a final line break, the block goes on a new line and itself
            /// ends without one, so that removing it gives back the file as it was.
            /// A block that ends in a multi-line string keeps its final break (which makes the file end
            /// with one): that value may be a block scalar, whose own last line break would go with it.
            func unterminated(_ text: String) -> String {
                if text.isEmpty { return "" }
                if let metadata, Self.endsInMultilineString(metadata) { return lineBreak + text }
                return lineBreak + String(text.dropLast(lineBreak.count))
            }
            /// The block at the root mapping's column (its first line as it stands when `first` is false).
            func indented(_ text: String, by indent: Int, first: Bool) -> String {
                guard indent > 0 else { return text }
                let pad = String(repeating: " ", count: indent)
                var lines = text.components(separatedBy: lineBreak)
                for i in lines.indices where !lines[i].isEmpty && (i > 0 || first) { lines[i] = pad + lines[i] }
                return lines.joined(separator: lineBreak)
            }
            for doc in layout.documents {
                // A top-level sequence carries its metadata in a document of its own.
                // The first line is indented unless it replaces a block whose first line keeps its
                // indentation in the source; a block at the end of a file without a final line break
                // starts with that line break (and so on a line of its own).
                let block = doc.sequenceRoot && !block.isEmpty ? "---" + lineBreak + block
                    : indented(block, by: doc.rootIndent,
                               first: doc.metadata.map { $0.lowerBound == 0 || layout.source[$0.lowerBound - 1] == 0x0A
                                   || layout.source[$0.lowerBound] == 0x0A || layout.source[$0.lowerBound] == 0x0D } ?? true)
                if let range = doc.metadata {
                    let atUnterminatedEnd = range.upperBound == layout.source.count && layout.source.last != 0x0A
                    patches.append(Patch(range: range, text: atUnterminatedEnd ? unterminated(block) : block))
                } else if metadata != nil {
                    var text = block
                    if doc.insertion == layout.source.count, doc.insertion > 0, layout.source[doc.insertion - 1] != 0x0A {
                        text = unterminated(block)
                    } else if doc.insertion > 0, layout.source[doc.insertion - 1] != 0x0A {
                        text = lineBreak + text
                    }
                    patches.append(Patch(range: doc.insertion..<doc.insertion, text: text))
                }
            }
        }
        let inOrder: (Patch, Patch) -> Bool = { $0.range.lowerBound < $1.range.lowerBound || ($0.range.lowerBound == $1.range.lowerBound && $0.range.isEmpty && !$1.range.isEmpty) }
        // Patches come in document order except for metadata and aliases: sort only when needed.
        if zip(patches, patches.dropFirst()).contains(where: { !inOrder($0, $1) && $0.range.lowerBound != $1.range.lowerBound }) {
            patches.sort(by: inOrder)
        }
        return Self.apply(patches, to: layout.source)
    }

    /// The source with the patches applied in order (a patch that starts inside the previous
    /// one's range is skipped). Many patches are written by two threads into one buffer sized
    /// beforehand, each its half of the patches with the source bytes before them.
    private static func apply(_ patches: [Patch], to source: [UInt8]) -> [UInt8] {
        // Where each applied patch's preceding source bytes start, and where it goes in the output.
        var applied: [(patch: Int, from: Int, at: Int)] = []
        applied.reserveCapacity(patches.count)
        var cursor = 0, length = 0
        for (i, patch) in patches.enumerated() where patch.range.lowerBound >= cursor {
            applied.append((i, cursor, length))
            length += patch.range.lowerBound - cursor + patch.text.utf8.count
            cursor = patch.range.upperBound
        }
        let tail = cursor
        let total = length + source.count - tail
        let jobs = applied
        return [UInt8](unsafeUninitializedCapacity: total) { out, count in
            let mid = jobs.count >= 4_096 ? jobs.count / 2 : jobs.count
            let ranges = [0..<mid, mid..<jobs.count]
            source.withUnsafeBufferPointer { src in
                let buffers = CopyBuffers(source: src, output: out)
                DispatchQueue.concurrentPerform(iterations: mid < jobs.count ? 2 : 1) { part in
                    let (src, out) = (buffers.source, buffers.output)
                    for k in ranges[part] {
                        let (p, from, at) = jobs[k]
                        let patch = patches[p]
                        let gap = patch.range.lowerBound - from
                        if gap > 0 { (out.baseAddress! + at).initialize(from: src.baseAddress! + from, count: gap) }
                        var text = patch.text
                        text.withUTF8 { utf8 in
                            if utf8.count > 0 { (out.baseAddress! + at + gap).initialize(from: utf8.baseAddress!, count: utf8.count) }
                        }
                    }
                }
                if total > length { (out.baseAddress! + length).initialize(from: src.baseAddress! + tail, count: total - length) }
            }
            count = total
        }
    }

    /// Whether the last value written for `node` is a string with a line break.
    static func endsInMultilineString(_ node: Node) -> Bool {
        switch node {
        case .scalar(let s):
            if case .string(let text) = s.value { return text.utf8.contains(0x0A) || text.utf8.contains(0x0D) }
            return false
        case .comment: return false
        case .mapping(let entries):
            guard let last = entries.last(where: { if case .pair = $0 { return true } else { return false } }), case .pair(_, let value) = last else { return false }
            return endsInMultilineString(value)
        case .sequence(let items):
            guard let last = items.last(where: { !$0.isComment }) else { return false }
            return endsInMultilineString(last)
        }
    }

    /// Scalar ids of the leaves written encrypted, for `anchorEncrypted`.
    var encryptedOrigins: Set<Int> = []
    /// A metadata block is written: nothing in the data ends the output.
    var writesMetadata = false

    private func encryptedLeaves(_ node: Node, into set: inout Set<Int>) {
        switch node {
        case .scalar(let s): if let id = s.origin, isEncrypted(s.value) { set.insert(id) }
        case .mapping(let entries): for case .pair(_, let v) in entries { encryptedLeaves(v, into: &set) }
        case .sequence(let items): for item in items { encryptedLeaves(item, into: &set) }
        case .comment: break
        }
    }

    /// Whether the value anchored for `alias` is written encrypted somewhere: then the alias cannot
    /// stay, whatever its own copy holds.
    private func anchorEncrypted(_ alias: Range<Int>) -> Bool {
        layout.aliasTargets[alias.lowerBound]?.contains(where: encryptedOrigins.contains) ?? false
    }

    private func collect(_ node: Node, into patches: inout [Patch], aliases: inout Set<Int>) {
        switch node {
        case .scalar(let scalar):
            guard let id = scalar.origin, id >= 0, id < layout.scalars.count else { return }
            let origin = layout.scalars[id]
            if let alias = origin.alias {
                // A scalar alias: expanded only when its value or its anchor's is encrypted (sops reads no aliases).
                if !aliases.contains(alias.lowerBound), isEncrypted(scalar.value) || anchorEncrypted(alias) {
                    aliases.insert(alias.lowerBound)
                    patches.append(Patch(range: alias, text: carrier(scalar.value, origin: origin, forceQuoted: true)))
                }
                return
            }
            scalarPatches(scalar.value, origin: origin, into: &patches)
        case .comment(let comment):
            guard let id = comment.origin else { return }
            if id < 0 {
                let span = layout.comments[-(id + 1)].text
                if !layout.source[span].elementsEqual(comment.text.utf8) { patches.append(Patch(range: span, text: comment.text)) }
            } else if id < layout.scalars.count, let dash = layout.scalars[id].dash {
                // A sequence value that is a comment (sops's list-comment form): written as a comment line.
                patches.append(Patch(range: dash..<layout.scalars[id].span.upperBound, text: "#" + comment.text))
            }
        case .mapping(let entries):
            for entry in entries {
                switch entry {
                case .pair(_, let value):
                    if let alias = aliasRange(value) {
                        if !aliases.contains(alias.lowerBound), containsEncrypted(value) || anchorEncrypted(alias) {
                            aliases.insert(alias.lowerBound)
                            patches.append(Patch(range: alias, text: flow(value)))
                            commentAfterFlowCopy(alias, into: &patches)
                        }
                        continue
                    }
                    collect(value, into: &patches, aliases: &aliases)
                case .comment(let c): collect(.comment(c), into: &patches, aliases: &aliases)
                }
            }
        case .sequence(let items):
            for item in items {
                if let alias = aliasRange(item), !isScalar(item) {
                    if !aliases.contains(alias.lowerBound), containsEncrypted(item) || anchorEncrypted(alias) {
                        aliases.insert(alias.lowerBound)
                        // A comment after it stays: sops's paths have no index, so in the copy of a
                        // sequence item it keeps the sequence's path and its AAD.
                        patches.append(Patch(range: alias, text: flow(item)))
                    }
                    continue
                }
                collect(item, into: &patches, aliases: &aliases)
            }
        }
    }

    /// A comment after a mapping value's alias on its line belongs to the mapping (sops reads it so
    /// too), but after the flow copy that replaces the alias it would belong to the copy, one key
    /// deeper, and its AAD would no longer match: the comment moves to the next line, at the key's
    /// column, where it belongs to the same mapping (Format.md §4.6).
    private func commentAfterFlowCopy(_ alias: Range<Int>, into patches: inout [Patch]) {
        let source = layout.source
        var hash = alias.upperBound
        while hash < source.count, source[hash] == 0x20 || source[hash] == 0x09 { hash += 1 }
        guard hash < source.count, source[hash] == UInt8(ascii: "#") else { return }
        var lineStart = alias.lowerBound
        while lineStart > 0, source[lineStart - 1] != 0x0A, source[lineStart - 1] != 0x0D { lineStart -= 1 }
        // Past the indentation and the dashes of sequence items that open on this line: the key's column.
        var column = lineStart
        while column < alias.lowerBound {
            if source[column] == 0x20 { column += 1; continue }
            if source[column] == UInt8(ascii: "-"), column + 1 < source.count, source[column + 1] == 0x20 || source[column + 1] == 0x09 {
                column += 2
                continue
            }
            break
        }
        let indent = column - lineStart
        patches.append(Patch(range: alias.upperBound..<hash, text: layout.lineBreak + String(repeating: " ", count: indent)))
    }

    private func isScalar(_ node: Node) -> Bool { if case .scalar = node { return true } else { return false } }

    /// An encrypted value as ksecret or sops writes it: base64 fields and the type name, nothing
    /// that would need quoting or escaping in the carrier forms below. A plain string that only
    /// starts like one (quotes, backslashes, spaces, line breaks) is written as any other string.
    private func isEncrypted(_ value: ScalarValue) -> Bool {
        guard case .string(var s) = value else { return false }
        // Over the string's contiguous bytes, with the prefix as two 8-byte words and a table for the
        // rest: run for every leaf of a file, this was 5 % of a large encryption with bit masks and
        // 6 % with the UTF8View's iterator before that.
        return s.withUTF8 { bytes in
            guard bytes.count >= 15, let base = bytes.baseAddress else { return false }
            let raw = UnsafeRawPointer(base)
            // "ENC[AES2" and "256_GCM," (bytes 7 to 14), little-endian.
            guard raw.loadUnaligned(as: UInt64.self).littleEndian == 0x3253_4541_5B43_4E45,
                  raw.loadUnaligned(fromByteOffset: 7, as: UInt64.self).littleEndian == 0x2C4D_4347_5F36_3532 else { return false }
            return Self.encryptedValueBytes.withUnsafeBufferPointer { allowed in
                var bad: UInt8 = 0
                for c in UnsafeBufferPointer(rebasing: bytes[15...]) { bad |= allowed[Int(c)] }
                return bad == 0
            }
        }
    }

    /// 0 for the bytes an `ENC[…]` value is made of after its prefix (A-Z a-z 0-9 + / = , : [ ] _), 1 for any other.
    private static let encryptedValueBytes: [UInt8] = (0..<256).map { c in
        switch UInt8(c) {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): return 0
        case UInt8(ascii: "+"), UInt8(ascii: "/"), UInt8(ascii: "="), UInt8(ascii: ","), UInt8(ascii: ":"),
             UInt8(ascii: "["), UInt8(ascii: "]"), UInt8(ascii: "_"): return 0
        default: return 1
        }
    }

    private func containsEncrypted(_ node: Node) -> Bool {
        switch node {
        case .scalar(let s): return isEncrypted(s.value)
        case .comment(let c): return isEncrypted(.string(c.text))
        case .mapping(let entries):
            // An encrypted comment counts too: kept as an alias, the copy a reader makes would hold
            // it under the alias's path, where it does not decrypt.
            return entries.contains {
                switch $0 {
                case .pair(_, let v): return containsEncrypted(v)
                case .comment(let c): return isEncrypted(.string(c.text))
                }
            }
        case .sequence(let items): return items.contains(where: containsEncrypted)
        }
    }

    /// The alias a collection was expanded from, if it is such a copy: its first leaf points at the
    /// alias and its shape is the anchored value's.
    private func aliasRange(_ node: Node) -> Range<Int>? {
        if case .scalar = node { return nil }
        guard case let range?? = firstLeaf(node), layout.aliasShapes[range.lowerBound] == YAMLParser.shape(node) else { return nil }
        return range
    }

    /// The alias `node`'s first leaf was copied from: nil when the node holds no leaf at all,
    /// `.some(nil)` when its first leaf is no copy. An empty collection holds no leaf to tell, so the
    /// next value is asked (else a copy whose first value is `{}` went unrecognised, and its alias
    /// was overwritten by a leaf's own patch).
    private func firstLeaf(_ node: Node) -> Range<Int>?? {
        switch node {
        case .scalar(let s): return .some(s.origin.flatMap { $0 >= 0 && $0 < layout.scalars.count ? layout.scalars[$0].alias : nil })
        case .comment: return nil
        case .mapping(let entries):
            for case .pair(_, let v) in entries { if let found = firstLeaf(v) { return found } }
            return nil
        case .sequence(let items):
            for item in items { if let found = firstLeaf(item) { return found } }
            return nil
        }
    }

    /// A collection in flow style, for an expanded alias: `{x: "ENC[…]"}`.
    private func flow(_ node: Node) -> String {
        let context = YAMLScalarRenderer.Context(flow: true, blockIndent: layout.indentUnit, lineBreak: layout.lineBreak)
        switch node {
        case .scalar(let s):
            if isEncrypted(s.value), case .string(let enc) = s.value { return "\"\\x45" + enc.dropFirst() + "\"" }
            let text = YAMLScalarRenderer.render(s.value, style: .plain, context: context)
            // sops's spelling of an integral float (`2.0` as `2`) reads back as an int; a copy that
            // stands for the anchor's float keeps its type (`0e-06` becomes `0.0`, not `0`).
            if case .float(let f) = s.value, f.isFinite, case .int = YAMLScalarResolver.resolvePlain(text) { return text + ".0" }
            return text
        case .comment: return ""
        case .mapping(let entries):
            let parts = entries.compactMap { entry -> String? in
                guard case .pair(let k, let v) = entry else { return nil }
                // A key past libyaml's simple-key limit (1,024 characters) is written as an explicit
                // key, as the canonical writer does from 128 bytes on (YAMLEmitter).
                let key = YAMLScalarRenderer.key(k, context: context)
                return (k.utf8.count > 128 ? "? " + key : key) + ": " + flow(v)
            }
            return "{" + parts.joined(separator: ", ") + "}"
        case .sequence(let items):
            return "[" + items.filter { !$0.isComment }.map(flow).joined(separator: ", ") + "]"
        }
    }

    /// An `ENC[…]` value spelled in the style that tells the decrypting side how to write it back.
    private func carrier(_ value: ScalarValue, origin: YAMLLayout.ScalarSpan, forceQuoted: Bool = false) -> String {
        guard case .string(let enc) = value else { return "" }
        // Built only where it is used: most leaves keep the plain form.
        var forced: String { "\"\\x45" + enc.dropFirst() + "\"" }
        if forceQuoted { return origin.flow ? forced : enc }
        switch origin.style {
        case .singleQuoted: return "'" + enc + "'"
        case .doubleQuoted, .doubleQuotedRaw:
            // Which escapes the author used: libyaml's (the default), or characters beyond the BMP as is.
            let text = String(decoding: layout.source[origin.span], as: UTF8.self)
            if origin.style == .doubleQuotedRaw { return "\"\\u0045" + enc.dropFirst() + "\"" }
            if case .string(let plain) = origin.value, YAMLScalarRenderer.doubleQuoted(plain) != text,
               YAMLScalarRenderer.doubleQuoted(plain, escapeBeyondBMP: false) == text {
                return "\"\\u0045" + enc.dropFirst() + "\""
            }
            return "\"" + enc + "\""
        case .forcedPlain: return forced
        case .literal, .folded:
            return layout.lineBreak + String(repeating: " ", count: origin.blockIndent) + enc
        case .plain:
            if origin.flow { return forced }
            // A plain string that sops's writer would quote (`yes`, `on`) needs the forced form.
            guard case .string(let plain) = origin.value, !YAMLScalarRenderer.isSimpleWord(plain) else { return enc }
            let text = String(decoding: layout.source[origin.span], as: UTF8.self)
            if YAMLScalarRenderer.auto(text, context: .init(flow: false, blockIndent: origin.blockIndent, lineBreak: layout.lineBreak)) != text {
                return forced
            }
            return enc
        }
    }

    private func scalarPatches(_ value: ScalarValue, origin: YAMLLayout.ScalarSpan, into patches: inout [Patch]) {
        let unchanged = (value == origin.value && !(value == .float(.nan)))
            || { if case .float(let f) = value, f.isNaN, case .float(let g) = origin.value, g.isNaN { return true } else { return false } }()
        if unchanged {
            if let header = origin.header, let patch = endOfInputPatch(value, origin: origin, header: header) { patches.append(patch) }
            return
        }
        if isEncrypted(value) {
            if let tag = origin.droppableTag { patches.append(Patch(range: tag, text: "")) }
            let text = carrier(value, origin: origin)
            if !layout.source[origin.span].elementsEqual(text.utf8) {
                patches.append(Patch(range: origin.span, text: separated(text, origin)))
                blankLineTabs(after: origin, quoted: text, into: &patches)
            }
            return
        }
        var context = YAMLScalarRenderer.Context(flow: origin.flow, blockIndent: origin.blockIndent, lineBreak: layout.lineBreak)
        context.atEndOfInput = !writesMetadata && origin.span.upperBound == unterminatedEnd
        context.unit = layout.indentUnit
        context.parentIndent = origin.parentIndent
        context.strTagged = origin.strTagged
        var text = YAMLScalarRenderer.render(value, style: origin.style, context: context)
        if let header = origin.header {
            if (text.hasPrefix("|") || text.hasPrefix(">")), let br = text.utf8.firstIndex(where: { $0 == 0x0A || $0 == 0x0D }) {
                let head = String(text[..<br])
                let body = String(text[br...])
                if !layout.source[header].elementsEqual(head.utf8) { patches.append(Patch(range: header, text: head)) }
                if !layout.source[origin.span].elementsEqual(body.utf8) { patches.append(Patch(range: origin.span, text: body)) }
                return
            }
            // Written as a flow scalar in the header's place; the content lines go, and a comment on
            // the header line stays after the value.
            patches.append(Patch(range: header, text: text))
            patches.append(Patch(range: origin.span, text: ""))
            return
        }
        if text.utf8.contains(0x0A) && !(text.hasPrefix("|") || text.hasPrefix(">")) { text = YAMLScalarRenderer.doubleQuoted(text) }
        if !layout.source[origin.span].elementsEqual(text.utf8) {
            patches.append(Patch(range: origin.span, text: separated(text, origin)))
            blankLineTabs(after: origin, quoted: text, into: &patches)
        }
    }

    /// A plain scalar in block context takes the blank lines after it in, as a possible continuation,
    /// so a tab on them is fine; after a quoted scalar libyaml reads a tab at the start of a line as
    /// a token that cannot start ("found character that cannot start any token"). When a plain
    /// scalar is written quoted, the tabs on the blank lines that follow it are removed (a change to
    /// the author's bytes that decrypting does not undo; Format.md §4.3).
    private func blankLineTabs(after origin: YAMLLayout.ScalarSpan, quoted text: String, into patches: inout [Patch]) {
        guard origin.style == .plain, !origin.flow, let first = text.utf8.first, first == 0x22 || first == 0x27 else { return }
        let source = layout.source
        var i = origin.span.upperBound
        // Only blanks may follow on the scalar's own line (a comment ends the scalar there); a tab
        // there, after the token, is fine either way.
        while i < source.count, source[i] == 0x20 || source[i] == 0x09 { i += 1 }
        guard i == source.count || source[i] == 0x0A || source[i] == 0x0D else { return }
        while i < source.count {
            // Past the line break, to the next line's end.
            if source[i] == 0x0D, i + 1 < source.count, source[i + 1] == 0x0A { i += 2 } else { i += 1 }
            let start = i
            while i < source.count, source[i] == 0x20 || source[i] == 0x09 { i += 1 }
            guard i == source.count || source[i] == 0x0A || source[i] == 0x0D else { return }
            if source[start..<i].contains(0x09) {
                patches.append(Patch(range: start..<i, text: String(decoding: source[start..<i].filter { $0 != 0x09 }, as: UTF8.self)))
            }
        }
    }

    /// A kept block scalar that ends a file without a final line break gains one line break after
    /// its last line when a metadata block is appended after it, and loses one when the block that
    /// followed it is removed: its header may have to change for its value to read back the same
    /// (`|` there reads as `|-`), or, where no chomping indicator can carry the value, the value is
    /// written double-quoted (Format.md §4.5).
    private func endOfInputPatch(_ value: ScalarValue, origin: YAMLLayout.ScalarSpan, header: Range<Int>) -> Patch? {
        let source = layout.source
        guard source.last != 0x0A, case .string(let text) = value else { return nil }
        // Where the data ends, in the source and in the output.
        let metadataStart = unterminatedEnd
        let endedSource = metadataStart == source.count
        let endsOutput = !writesMetadata
        guard endsOutput != endedSource else { return nil }
        let isBlank: (UInt8) -> Bool = { $0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D }
        guard origin.span.upperBound <= metadataStart, source[origin.span.upperBound..<metadataStart].allSatisfy(isBlank) else { return nil }
        // The line breaks after the last line with content: in the source, and once written.
        var lastContent = metadataStart
        while lastContent > origin.span.lowerBound, isBlank(source[lastContent - 1]) { lastContent -= 1 }
        let breaks = source[lastContent..<metadataStart].reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) }
        let after = breaks + (endsOutput ? 0 : 1)
        let trailing = text.utf8.reversed().prefix { $0 == 0x0A }.count
        let head = String(decoding: source[header], as: UTF8.self)
        let current: Character = head.contains("-") ? "-" : head.contains("+") ? "+" : " "
        func reads(_ chomp: Character) -> Bool {
            switch chomp {
            case "-": trailing == 0
            case "+": after == trailing
            default: min(after, 1) == trailing
            }
        }
        if reads(current) { return nil }
        if let chomp = ["-", " ", "+"].first(where: reads) {
            let indicator = head.filter { $0 == "|" || $0 == ">" }
            let digits = head.filter(\.isNumber)
            return Patch(range: header, text: indicator + digits + (chomp == " " ? "" : String(chomp)))
        }
        return Patch(range: header.lowerBound..<metadataStart, text: YAMLScalarRenderer.doubleQuoted(text))
    }

    /// A value written right after its anchor's name (`&a:b x` anchors `:b x`) gets a space, or
    /// its first characters would read as more of the name.
    private func separated(_ text: String, _ origin: YAMLLayout.ScalarSpan) -> String {
        let at = origin.span.lowerBound
        guard at > 0, YAMLParser.isAnchorCharacter(layout.source[at - 1]), let first = text.utf8.first,
              YAMLParser.isAnchorCharacter(first) || first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") else { return text }
        return " " + text
    }
}

/// The patches of the two halves of a split write, each set by its own thread.
private final class CollectedPatches: @unchecked Sendable {
    private(set) var parts: [[YAMLPatcher.Patch]] = [[], []]
    private let lock = Lock()
    func set(_ part: Int, _ patches: [YAMLPatcher.Patch]) {
        lock.lock()
        parts[part] = patches
        lock.unlock()
    }
}

/// The source and the output buffer of `apply`: the two threads read the one and fill disjoint
/// parts of the other.
private struct CopyBuffers: @unchecked Sendable {
    let source: UnsafeBufferPointer<UInt8>
    let output: UnsafeMutableBufferPointer<UInt8>
}
