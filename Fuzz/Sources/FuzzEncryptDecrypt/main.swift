import FuzzSupport
import KSecret

private let engine = SecretsEngine(environment: FuzzSupport.environment)
private let formats: [FileFormat] = [.yaml, .json, .dotenv, .ini, .binary]
/// The fixed recipient's key plan, made once (the recipient is still parsed on each encryption).
private let keys = KeyPlan(groups: [KeyGroupRule(age: [FuzzSupport.recipient])])

/// encrypt -> decrypt on arbitrary plaintext with the fixed key (the first byte picks the format):
/// a binary file decrypts to exactly its bytes; a structured file that encrypts decrypts to the
/// same tree its store parsed, and prints the same bytes as the store's own emit of that tree.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = FuzzSupport.bytes(data, size)
    guard let first = input.first else { return 0 }
    let format = formats[Int(first) % formats.count]
    let plain = Array(input.dropFirst())
    guard let encrypted = try? engine.encrypt(plain, options: EncryptOptions(path: "fuzz", inputFormat: format, outputFormat: format, keys: keys)) else {
        if format == .binary { FuzzSupport.fail("a binary file failed to encrypt") }
        return 0
    }
    let opened: OpenedFile
    do { opened = try engine.open(encrypted, path: "fuzz", format: format) } catch {
        FuzzSupport.fail("\(format) file ksecret encrypted does not decrypt: \(error)")
    }
    let decrypted: [UInt8]
    do { decrypted = try opened.plaintext(format: format) } catch { FuzzSupport.fail("\(format) decrypted file does not print: \(error)") }
    if format == .binary {
        guard decrypted == plain else { FuzzSupport.fail("binary encrypt -> decrypt changed the bytes") }
        return 0
    }
    guard let parsed = try? format.store.parse(plain, path: "fuzz") else { FuzzSupport.fail("encrypted a file its store cannot parse") }
    // Every comment decrypts: one that comes back as ENC[...] moved to a collection other than the
    // one whose path it was encrypted under (where comments land may differ; their text may not).
    guard encryptedComments(opened.document) <= encryptedComments(parsed.document) else {
        FuzzSupport.fail("\(format) encrypt -> decrypt left a comment encrypted")
    }
    guard FuzzSupport.same(FuzzSupport.stripped(parsed.document), FuzzSupport.stripped(opened.document)) else {
        // Where comments land is a known difference of the writers (Documentation/Robustness.md:
        // sops's readers attach them so, and INI joins them); their text is not. Keys and values are not.
        guard FuzzSupport.same(FuzzSupport.withoutComments(FuzzSupport.stripped(parsed.document)),
                               FuzzSupport.withoutComments(FuzzSupport.stripped(opened.document))) else {
            FuzzSupport.fail("\(format) encrypt -> decrypt changed the tree: keys or values")
        }
        let original = commentText(parsed.document, format), back = commentText(opened.document, format)
        // A file written anew (not patched) has its aliases written out as copies, with the
        // anchor's comments, as sops writes them: those come back as comments of their own. Every
        // original comment must come back, and nothing but those copies besides.
        guard original == back
            || (format != .ini && contains(back, original) && contains(commentText(parsed.document, format, copies: true), back)) else {
            FuzzSupport.fail("\(format) encrypt -> decrypt changed the text of a comment")
        }
        return 0
    }
    return 0
}

@_cdecl("FuzzEncryptDecrypt_main")
public func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    FuzzSupport.runDriver(argc, argv, fuzz)
}

/// How many comments hold an `ENC[AES256_GCM,` text.
private func encryptedComments(_ document: Document) -> Int {
    func count(_ node: Node) -> Int {
        switch node {
        case .comment(let c): return c.text.contains("ENC[AES256_GCM,") ? 1 : 0
        case .scalar: return 0
        case .sequence(let items): return items.reduce(0) { $0 + count($1) }
        case .mapping(let entries):
            return entries.reduce(0) { total, entry in
                switch entry {
                case .pair(_, let value): return total + count(value)
                case .comment(let c): return total + (c.text.contains("ENC[AES256_GCM,") ? 1 : 0)
                }
            }
        }
    }
    return document.branches.reduce(0) { $0 + count($1) }
}

/// The comments' text as a writer must keep it: each comment read from the file (copies made for
/// aliases are left out), in any order; INI joins comment lines and re-marks them, so there the
/// joined text without blanks or markers.
private func commentText(_ document: Document, _ format: FileFormat, copies: Bool = false) -> [String] {
    var texts: [String] = []
    func add(_ c: Comment) { if copies || c.origin != nil { texts.append(c.text.trimmingCharacters(in: .whitespaces)) } }
    func walk(_ node: Node) {
        switch node {
        case .comment(let c): add(c)
        case .scalar: break
        case .sequence(let items): items.forEach(walk)
        case .mapping(let entries):
            for entry in entries {
                switch entry {
                case .pair(_, let value): walk(value)
                case .comment(let c): add(c)
                }
            }
        }
    }
    document.branches.forEach(walk)
    guard format == .ini else { return texts.sorted() }
    return [String(texts.joined().unicodeScalars.filter { !$0.properties.isWhitespace && $0 != ";" && $0 != "#" }.map(Character.init))]
}

/// Whether the multiset `outer` holds every element of `inner` (as often).
private func contains(_ outer: [String], _ inner: [String]) -> Bool {
    var counts: [String: Int] = [:]
    for text in outer { counts[text, default: 0] += 1 }
    for text in inner {
        guard let n = counts[text], n > 0 else { return false }
        counts[text] = n - 1
    }
    return true
}
