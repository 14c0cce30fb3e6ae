import Foundation
import Testing
@testable import KSecret

/// A large YAML file is parsed in two halves on two threads (`YAMLParser.parseInTwo`). Wherever
/// a cut is allowed, the joined result must be exactly the one-thread reading: the same tree
/// (leaf and comment ids included), metadata and layout, so that writing it back is the same too.
/// Where a cut could change the reading, `parseInTwo` must refuse, and `YAMLStore` then reads the
/// file on one thread.
@Suite("YAML parsed in two halves")
struct YAMLSplitParseTests {
    static let corpusDir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Corpus/yaml")

    static var corpus: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: corpusDir.path)) ?? []).filter { $0.hasSuffix(".yaml") }.sorted()
    }

    /// Files that exercise what a cut must not change: comments just before and after root keys,
    /// block scalars, multi-line quoted and plain values, flow collections, nested sequences,
    /// a sops block in either half, CRLF, unicode and anchors (which make it refuse).
    static let crafted: [String: String] = [
        "comments": "# head\na: 1  # one\nb:\n  c: 2\n  # foot of b\nd: 3\n# between\ne: [x, y]\nf:\n  - 1\n  # in list\n  - 2\ng: 4\n",
        "block scalars": "a: |\n  line one\n  line two\nb: >-\n  folded\n  text\n\nc: |+\n  kept\n\nd: plain\ne: |2\n    indented\nf: end\n",
        "multi-line values": "a: \"first\nb: not a key\"\nc: plain\n  continued\nd: 'single\ne: still value'\nf: {x: 1,\ng: 2}\nh: done\n",
        "sops first": "sops:\n    mac: x\n    version: 3.11.0\na: 1\nb: 2\nc: 3\n",
        "sops last": "a: 1\nb:\n  c: 2\nsops:\n    mac: x\n    version: 3.11.0\n",
        "crlf": "a: 1\r\nb:\r\n  c: 2\r\nd: 3\r\ne: 4\r\n",
        "unicode": "a: ünï\nb: €uro\nc:\n  d: 日本\ne: end\n",
        "indent 2 and 3": "a:\n  b: 1\nc:\n   d: 2\ne: 3\n",
        "anchors": "a: &x 1\nb: *x\nc: &y\n  d: 2\ne: *y\nf: 3\n",
        "document markers": "---\na: 1\nb: 2\n...\n",
    ]

    static var inputs: [(String, [UInt8])] {
        corpus.map { ($0, Array((try? Data(contentsOf: corpusDir.appendingPathComponent($0))) ?? Data())) }
            + crafted.sorted { $0.key < $1.key }.map { ($0.key, Array($0.value.utf8)) }
    }

    /// Every line where `cutLine` would cut.
    static func cuts(_ source: [UInt8]) -> [Int] {
        var found: [Int] = []
        var at = 0
        while let cut = YAMLParser.cutLine(in: source, near: at) {
            found.append(cut)
            at = cut + 1
        }
        return found
    }

    @Test("at every allowed cut, the two halves joined are the one-thread reading, or the cut is refused")
    func sameAsOneThread() throws {
        var joined = 0, refused = 0
        for (name, source) in Self.inputs {
            guard let whole = try? YAMLParser(source: source, path: name).parse() else { continue }
            for cut in Self.cuts(source) {
                guard let split = YAMLParser.parseInTwo(source, path: name, cut: cut) else { refused += 1; continue }
                joined += 1
                let at = "\(name), cut at byte \(cut)"
                #expect(split.branches.map(Self.nanFree) == whole.branches.map(Self.nanFree), "tree differs: \(at)")
                #expect(split.metadata.map(Self.nanFree) == whole.metadata.map(Self.nanFree), "metadata differs: \(at)")
                Self.expectSameLayout(split.layout, whole.layout, at)
            }
        }
        // Not vacuous: most cuts join, and some are refused (anchors, multi-line values).
        #expect(joined > 100, "only \(joined) cuts joined")
        #expect(refused > 3, "only \(refused) cuts refused")
    }

    /// The tree with NaN (never equal to itself) spelled as a string, origins kept.
    static func nanFree(_ node: Node) -> Node {
        switch node {
        case .scalar(let s):
            if case .float(let f) = s.value, f.isNaN { return .scalar(Scalar(.string("<NaN>"), origin: s.origin)) }
            return node
        case .comment: return node
        case .mapping(let entries):
            return .mapping(entries.map { if case .pair(let k, let v) = $0 { return .pair(key: k, value: nanFree(v)) } else { return $0 } })
        case .sequence(let items): return .sequence(items.map(nanFree))
        }
    }

    static func expectSameLayout(_ a: YAMLLayout, _ b: YAMLLayout, _ at: String) {
        #expect(a.source == b.source, "source: \(at)")
        #expect(a.scalars.count == b.scalars.count, "scalar count: \(at)")
        for (x, y) in zip(a.scalars, b.scalars) {
            let same = x.span == y.span && x.header == y.header && x.style == y.style && x.flow == y.flow
                && x.blockIndent == y.blockIndent && x.parentIndent == y.parentIndent && x.droppableTag == y.droppableTag
                && x.dash == y.dash && x.alias == y.alias && x.line == y.line && x.column == y.column
                && nanFree(.scalar(Scalar(x.value))) == nanFree(.scalar(Scalar(y.value)))
            #expect(same, "scalar at \(y.span) differs: \(at)")
            if !same { return }
        }
        #expect(a.comments.map(\.text) == b.comments.map(\.text), "comments: \(at)")
        #expect(a.documents.count == b.documents.count, "documents: \(at)")
        for (x, y) in zip(a.documents, b.documents) {
            #expect(x.metadata == y.metadata && x.insertion == y.insertion && x.blockMappingRoot == y.blockMappingRoot
                    && x.rootIndent == y.rootIndent && x.sequenceRoot == y.sequenceRoot, "document span: \(at)")
        }
        #expect(a.indentUnit == b.indentUnit && a.observedIndentUnit == b.observedIndentUnit, "indent unit: \(at)")
        #expect(a.lineBreak == b.lineBreak, "line break: \(at)")
        #expect(a.skeleton.branches.map(nanFree) == b.skeleton.branches.map(nanFree), "skeleton: \(at)")
        #expect(a.aliasShapes.isEmpty && b.aliasShapes.isEmpty, "aliases: \(at)")
    }

    @Test("cuts that would change the reading are refused", arguments: [
        ("inside a double-quoted value", "a: \"one\nb: two\"\nc: 3\n", 8),
        ("inside a flow mapping", "a: {x: 1,\nb: 2}\nc: 3\n", 10),
        ("an alias to an anchor in the first half", "a: &x 1\nb: *x\n", 8),
        ("a key in both halves", "a: 1\nb: 2\na: 3\n", 10),
        ("a sops block in both halves", "sops: 1\na: 2\nsops: 3\n", 13),
        ("a second document", "a: 1\n---\nb: 2\n", 9),
    ])
    func refused(_ what: String, _ text: String, _ cut: Int) {
        let source = Array(text.utf8)
        #expect(YAMLParser.parseInTwo(source, path: what, cut: cut) == nil, "\(what)")
    }

    /// A file over the threshold, read through the store (two threads) and by one parser.
    static func large(rootKeys: Int, extra: String) -> [UInt8] {
        var text = "# a large file\n"
        for i in 0..<rootKeys {
            text += "key\(i):\n  # about \(i)\n  name: \"value \(i)\"\n  list:\n    - a\n    - 'b'\n  block: |\n    line\n    line\n"
        }
        return Array((text + extra).utf8)
    }

    @Test("the store reads a large file in two halves and gets the one-thread result")
    func storeUsesTwoHalves() throws {
        let source = Self.large(rootKeys: 6_000, extra: "tail: end\n")
        try #require(source.count >= YAMLParser.splitThreshold)
        let cut = try #require(YAMLParser.cutLine(in: source, near: source.count / 2))
        try #require(YAMLParser.parseInTwo(source, path: "large.yaml", cut: cut) != nil, "the large file should be cut")
        let parsed = try YAMLStore().parse(source, path: "large.yaml")
        let whole = try YAMLParser(source: source, path: "large.yaml").parse()
        #expect(parsed.document.branches == whole.branches)
        // Written back unchanged, it is the same bytes.
        #expect(try YAMLStore().emit(parsed.document, metadata: nil, source: parsed, options: StoreOptions()) == source)
    }

    @Test("a large file with every value changed is written with exactly those bytes changed")
    func largeWrite() throws {
        let source = Self.large(rootKeys: 6_000, extra: "tail: end\n")
        let parsed = try YAMLStore().parse(source, path: "large.yaml")
        func upper(_ node: Node) -> Node {
            switch node {
            case .scalar(var s):
                if case .string(let t) = s.value, t.hasPrefix("value ") { s.value = .string("VALUE " + t.dropFirst(6)) }
                return .scalar(s)
            case .mapping(let entries):
                return .mapping(entries.map { if case .pair(let k, let v) = $0 { return .pair(key: k, value: upper(v)) } else { return $0 } })
            case .sequence(let items): return .sequence(items.map(upper))
            case .comment: return node
            }
        }
        let changed = Document(branches: parsed.document.branches.map(upper))
        let written = try YAMLStore().emit(changed, metadata: nil, source: parsed, options: StoreOptions())
        // 6,000 patches: written by two threads.
        let expected = String(decoding: source, as: UTF8.self).replacingOccurrences(of: "\"value ", with: "\"VALUE ")
        #expect(written == Array(expected.utf8))
    }

    @Test("an error in the second half of a large file has its one-thread position")
    func errorPosition() throws {
        let source = Self.large(rootKeys: 6_000, extra: "bad: [unclosed\n")
        let error = try #require(throws: KSecretError.self) { try YAMLStore().parse(source, path: "large.yaml") }
        let expected = try #require(throws: KSecretError.self) { try YAMLParser(source: source, path: "large.yaml").parse() }
        #expect(error.location?.line == expected.location?.line && error.location?.column == expected.location?.column)
        #expect(error.location?.line ?? 0 > 50_000)
    }

    @Test("a key repeated across the halves of a large file is reported as on one thread")
    func duplicateAcrossHalves() throws {
        let source = Self.large(rootKeys: 6_000, extra: "key1: again\n")
        let error = try #require(throws: KSecretError.self) { try YAMLStore().parse(source, path: "large.yaml") }
        #expect(error.message.contains("duplicate mapping key"))
        #expect(error.location?.line ?? 0 > 50_000)
    }
}
