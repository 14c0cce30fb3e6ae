import Foundation
import KSecret

/// What the fuzz targets share: input conversion, origin-free tree comparison, the fixed key for the
/// decrypt path, and a loud failure (libFuzzer reports the crashing input when a target traps).
public enum FuzzSupport {
    /// The fuzzer's input as bytes.
    public static func bytes(_ data: UnsafePointer<UInt8>?, _ size: Int) -> [UInt8] {
        guard let data, size > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: data, count: size))
    }

    /// A property broke: prints what and traps, so libFuzzer saves the input as a crash.
    public static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("fuzz property failed: \(message)\n".utf8))
        fatalError(message)
    }

    /// The tree without the stores' `origin` handles, for comparing a parse with a re-parse.
    public static func stripped(_ node: Node) -> Node {
        switch node {
        case .mapping(let entries):
            return .mapping(entries.map { entry in
                switch entry {
                case .pair(let key, let value): return .pair(key: key, value: stripped(value))
                case .comment(let c): return .comment(Comment(c.text))
                }
            })
        case .sequence(let items): return .sequence(items.map(stripped))
        case .scalar(let s): return .scalar(Scalar(s.value))
        case .comment(let c): return .comment(Comment(c.text))
        }
    }

    /// The tree without its comment nodes.
    public static func withoutComments(_ document: Document) -> Document {
        func strip(_ node: Node) -> Node? {
            switch node {
            case .comment: return nil
            case .scalar: return node
            case .sequence(let items): return .sequence(items.compactMap(strip))
            case .mapping(let entries):
                return .mapping(entries.compactMap { entry in
                    if case .pair(let k, let v) = entry, let v = strip(v) { return .pair(key: k, value: v) }
                    return nil
                })
            }
        }
        // A document of nothing but comments is dropped: the canonical writer loses an empty document
        // of a multi-document stream (Documentation/Robustness.md, open).
        return Document(branches: document.branches.compactMap(strip).filter { $0 != .mapping([]) && $0 != .sequence([]) })
    }

    public static func stripped(_ document: Document) -> Document {
        Document(branches: document.branches.map(stripped))
    }

    /// Equality of trees where NaN equals NaN (ScalarValue's own equality never matches NaN).
    /// With `integralFloats`, a float with an integral value also equals that int: sops's canonical
    /// YAML writes `1.0` as `1` (yaml.v3's `FormatFloat(f, 'g', -1)`, Format.md §4), which reads
    /// back as an int; only the fresh emit (no source layout) does that.
    public static func same(_ a: Node, _ b: Node, integralFloats: Bool = false) -> Bool {
        let same = { (x: Node, y: Node) in Self.same(x, y, integralFloats: integralFloats) }
        switch (a, b) {
        case (.scalar(let x), .scalar(let y)):
            if case .float(let f) = x.value, case .float(let g) = y.value, f.isNaN, g.isNaN { return true }
            if integralFloats, case .float(let f) = x.value, case .int(let i) = y.value, Double(i) == f { return true }
            return x.value == y.value
        case (.comment(let x), .comment(let y)): return x.text == y.text
        case (.mapping([]), .sequence([])), (.sequence([]), .mapping([])): return true
        case (.sequence(let x), .sequence(let y)): return x.count == y.count && zip(x, y).allSatisfy { same($0, $1) }
        case (.mapping(let x), .mapping(let y)):
            return x.count == y.count && zip(x, y).allSatisfy { e in
                switch (e.0, e.1) {
                case (.pair(let k1, let v1), .pair(let k2, let v2)): return k1 == k2 && same(v1, v2)
                case (.comment(let c1), .comment(let c2)): return c1.text == c2.text
                default: return false
                }
            }
        default: return false
        }
    }

    public static func same(_ a: Document, _ b: Document, integralFloats: Bool = false) -> Bool {
        a.branches.count == b.branches.count && zip(a.branches, b.branches).allSatisfy { same($0, $1, integralFloats: integralFloats) }
    }

    /// The sops metadata with every mapping's keys sorted: its key order is not data (the flat
    /// stores write it in a canonical order, whatever order they read).
    public static func sortedKeys(_ node: Node) -> Node {
        switch node {
        case .mapping(let entries):
            let pairs = entries.compactMap { entry -> (String, Node)? in
                if case .pair(let k, let v) = entry { return (k, sortedKeys(stripped(v))) } else { return nil }
            }
            return .mapping(pairs.sorted { $0.0 < $1.0 }.map { .pair(key: $0.0, value: $0.1) })
        // Comments in the sops block mean nothing to sops (its reader drops them): left out.
        case .sequence(let items): return .sequence(items.filter { !$0.isComment }.map(sortedKeys))
        default: return stripped(node)
        }
    }

    /// The shared fixtures folder: `$KSECRET_SHARED_DIR`, else `shared/` beside the checkout.
    public static var sharedDirectory: String {
        if let dir = ProcessInfo.processInfo.environment["KSECRET_SHARED_DIR"] { return dir }
        return URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("shared").path
    }

    /// The fixtures' age key file (the sops fixtures are encrypted to it): the decrypt path runs
    /// with this fixed key so that seeds from the fixtures get past the key unwrap.
    public static let keyFile = sharedDirectory + "/fixtures/sops/key.txt"

    /// The fixed key's recipient, read once: set-up, not part of any execution.
    public static let recipient: String = {
        let text = (try? String(contentsOfFile: sharedDirectory + "/fixtures/sops/recipient.txt", encoding: .utf8)) ?? ""
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }()

    /// An environment holding only the fixed key: no user key, no config, no clock surprises. The
    /// key goes in as `SOPS_AGE_KEY` (the key file's text, read once at start-up) rather than as
    /// `SOPS_AGE_KEY_FILE`, so that an execution does not re-read the file from disk; the keyring
    /// still parses the identity on each open, as it does in every ksecret run.
    public static let environment = KSecretEnvironment(variables: [
        "SOPS_AGE_KEY": (try? String(contentsOfFile: keyFile, encoding: .utf8)) ?? "", "HOME": "/nonexistent",
    ])

    /// The store round trip (parse -> emit -> parse gives the same tree), both with a fresh emit
    /// (`source: nil`) and with the layout-preserving one (`source:` the parse). Returns silently
    /// when the input does not parse or the tree cannot be written in this format (an error, not a crash).
    public static func storeRoundTrip(_ store: any Store, _ input: [UInt8], path: String) {
        guard let parsed = try? store.parse(input, path: path) else { return }
        let canonical = try? store.emit(parsed.document, metadata: parsed.metadata, source: nil, options: StoreOptions())
        for source in [nil, parsed] as [ParsedFile?] {
            guard let emitted = try? store.emit(parsed.document, metadata: parsed.metadata, source: source, options: StoreOptions()) else { continue }
            let again: ParsedFile
            do { again = try store.parse(emitted, path: path) } catch {
                // A tree with no key and no value at all (empty documents, comments only) is written
                // as nothing or as its comments, which the store then refuses to read as a file:
                // by design (Format.md §4.3, "an empty document comes back empty").
                if withoutComments(parsed.document).branches.isEmpty, parsed.metadata == nil { continue }
                fail("\(type(of: store)) cannot read what it wrote (source: \(source == nil ? "none" : "parse")): \(error)\n"
                     + "  emitted: \(String(decoding: emitted, as: UTF8.self))")
            }
            // Held to the keys and values, both for the layout-preserving write and the canonical one
            // (format conversion): the writers re-flow comments the way sops's do (INI joins comment
            // lines and writes "; ", YAML moves a comment before a flow-mapping list item into the
            // mapping), and a document of nothing but comments comes back as an empty collection of
            // either kind, or not at all; Documentation/Robustness.md lists these.
            let first = withoutComments(parsed.document)
            let second = withoutComments(again.document)
            // The canonical YAML writer writes an integral float as an int, as sops's does; the
            // layout-preserving one falls back to it for a tree or stream it cannot patch.
            let canonicalWrite = source == nil || !YAMLStore.patches(parsed.document, metadata: parsed.metadata, source: source)
            guard same(first, second, integralFloats: store is YAMLStore && canonicalWrite) else {
                fail("\(type(of: store)) parse -> emit -> parse changed the tree (source: \(source == nil ? "none" : "parse")):\n"
                     + "  first: \(stripped(parsed.document))\n  again: \(stripped(again.document))\n  emitted: \(String(decoding: emitted, as: UTF8.self))"
                     + (canonicalWrite ? "" : "\n  canonical: \(canonical.map { String(decoding: $0, as: UTF8.self) } ?? "none")"))
            }
            if let m1 = parsed.metadata {
                // The sops block is always written by the canonical writer (integral floats as ints).
                guard let m2 = again.metadata, same(sortedKeys(m1), sortedKeys(m2), integralFloats: store is YAMLStore) else {
                    fail("\(type(of: store)) round trip changed the sops metadata:\n  first: \(stripped(m1))\n  again: \(again.metadata.map(stripped).map { "\($0)" } ?? "none")\n"
                         + "  emitted: \(String(decoding: emitted, as: UTF8.self))")
                }
            }
        }
    }
}

/// libFuzzer's driver, called from each target's entry point.
@_silgen_name("LLVMFuzzerRunDriver")
private func LLVMFuzzerRunDriver(_ argc: UnsafeMutablePointer<Int32>,
                                 _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
                                 _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32

extension FuzzSupport {
    /// Runs libFuzzer over `callback`. SwiftPM links an executable target with its entry point
    /// renamed to `<Module>_main` (`--defsym main=...`), which hides libFuzzer's own `main`; each
    /// target therefore defines `<Module>_main` and hands over to the driver here.
    public static func runDriver(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?,
                                 _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32) -> Int32 {
        var count = argc
        var arguments = argv
        return LLVMFuzzerRunDriver(&count, &arguments, callback)
    }
}
