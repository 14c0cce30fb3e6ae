import Foundation
import Testing
@testable import KSecret

/// Interop with the real sops 3.11 in both directions (Format.md §9: files ksecret writes open
/// with sops and the other way round). The reference for "the same plaintext" is sops itself:
/// `sops decrypt` of whatever was encrypted is sops's canonical rendering of the tree.
@Suite("interop with the real sops", .serialized,
       .enabled(if: Peers.sops != nil && Peers.ksecret != nil, "needs sops (make peers) and a built ksecret (swift build)"))
struct SopsInteropTests {
    let keyDir: URL
    let keyFile: String
    let recipient: String

    init() throws {
        keyDir = try Peers.temporaryDirectory()
        keyFile = keyDir.appendingPathComponent("keys.txt").path
        let gen = try Peers.run(Peers.ksecret!, ["keygen", "-o", keyFile])
        #expect(gen.status == 0, "keygen: \(gen.stderr)")
        recipient = gen.stderr.replacingOccurrences(of: "Public key: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
    }

    var env: [String: String] { ["SOPS_AGE_KEY_FILE": keyFile] }

    static var corpus: [String] {
        let dir = Peers.repoRoot.appendingPathComponent("Tests/KSecretTests/Corpus/yaml")
        let names = (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []
        return names.filter { $0.hasSuffix(".yaml") }.sorted().map { dir.appendingPathComponent($0).path }
    }

    static var fixtures: [String] {
        ["plain.yaml", "plain-edge.yaml", "plain-multidoc.yaml", "plain-listcomment.yaml", "plain.json", "plain.env", "plain.ini"]
            .map { Peers.shared.appendingPathComponent("fixtures/sops/" + $0).path }
    }

    static var inputs: [String] { fixtures + corpus }

    /// sops's rendering of a plaintext file: `sops decrypt (sops encrypt f)`.
    func sopsReference(_ file: String, in dir: URL) throws -> [UInt8] {
        let enc = try Peers.run(Peers.sops!, ["encrypt", "--age", recipient, file], environment: env, directory: dir)
        #expect(enc.status == 0, "sops encrypt \(file): \(enc.stderr)")
        let encPath = dir.appendingPathComponent("ref" + ext(file))
        try Data(enc.stdout).write(to: encPath)
        let dec = try Peers.run(Peers.sops!, ["decrypt", encPath.path], environment: env, directory: dir)
        #expect(dec.status == 0, "sops decrypt: \(dec.stderr)")
        return dec.stdout
    }

    func ext(_ file: String) -> String { "." + (file.split(separator: ".").last.map(String.init) ?? "yaml") }

    /// What "sops reads the same file" means: the same data (every value, in order, by type) and the
    /// same comment texts. Where a comment goes is sops's writer's choice: it moves inline comments
    /// above their key, and an empty document comes out as `{}`. Comments that sops could not decrypt
    /// in its own round trip (a sops 3.11 quirk with some foot comments) are left out of the reference.
    func expectSameContent(_ actual: [UInt8], _ reference: [UInt8], file: String, sourceLocation: Testing.SourceLocation = #_sourceLocation) throws {
        if actual == reference { return }
        let format = FileFormat.forPath(file)
        let a = try format.store.parse(actual, path: "actual")
        let r = try format.store.parse(reference, path: "reference")
        let dataA = a.document.branches.map { Self.stripComments($0) }
        let dataR = r.document.branches.map { Self.stripComments($0) }
        #expect(dataA == dataR, "values differ", sourceLocation: sourceLocation)
        let commentsR = Self.comments(r.document).filter { !$0.hasPrefix("ENC[") }
        let undecryptableR = Self.comments(r.document).filter { $0.hasPrefix("ENC[") }.count
        var commentsA = Self.comments(a.document).filter { !$0.hasPrefix("ENC[") }
        for comment in commentsR {
            if let i = commentsA.firstIndex(of: comment) { commentsA.remove(at: i) }
            else { Issue.record("comment missing: \(comment)", sourceLocation: sourceLocation) }
        }
        // Extra comments may only be ones sops could not decrypt in its own round trip.
        #expect(commentsA.count <= undecryptableR, "extra comments: \(commentsA)", sourceLocation: sourceLocation)
        #expect(!Self.comments(a.document).contains { $0.hasPrefix("ENC[") } || Self.comments(r.document).contains { $0.hasPrefix("ENC[") },
                "a comment was left encrypted", sourceLocation: sourceLocation)
    }

    static func stripComments(_ node: Node) -> Node {
        switch node {
        case .scalar(let s):
            // NaN never equals itself; compare it by name.
            if case .float(let f) = s.value, f.isNaN { return .scalar(Scalar(.string("<NaN>"))) }
            return .scalar(Scalar(s.value))
        case .comment: return node
        case .mapping(let entries):
            return .mapping(entries.compactMap { e in
                if case .pair(let k, let v) = e { return .pair(key: k, value: stripComments(v)) } else { return nil }
            })
        case .sequence(let items): return .sequence(items.filter { !$0.isComment }.map(stripComments))
        }
    }

    static func comments(_ document: Document) -> [String] {
        var out: [String] = []
        func walk(_ node: Node) {
            switch node {
            case .comment(let c): out.append(c.text.trimmingCharacters(in: .whitespaces))
            case .scalar: break
            case .mapping(let entries):
                for e in entries {
                    switch e {
                    case .pair(_, let v): walk(v)
                    case .comment(let c): out.append(c.text.trimmingCharacters(in: .whitespaces))
                    }
                }
            case .sequence(let items): items.forEach(walk)
            }
        }
        document.branches.forEach(walk)
        return out
    }

    @Test("a file ksecret encrypts decrypts with sops to what sops's own encryption gives", arguments: inputs)
    func ksecretToSops(file: String) throws {
        let dir = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let reference = try sopsReference(file, in: dir)
        let enc = try Peers.run(Peers.ksecret!, ["encrypt", "--age", recipient, file], environment: env, directory: dir)
        try #require(enc.status == 0, "ksecret encrypt: \(enc.stderr)")
        let encPath = dir.appendingPathComponent("k" + ext(file))
        try Data(enc.stdout).write(to: encPath)
        let dec = try Peers.run(Peers.sops!, ["decrypt", encPath.path], environment: env, directory: dir)
        try #require(dec.status == 0, "sops decrypt of ksecret's file: \(dec.stderr)")
        try expectSameContent(dec.stdout, reference, file: file)
    }

    /// Fuzz findings (Documentation/Robustness.md) where the file ksecret wrote did not open: sops
    /// must read what ksecret now writes for them, and see the data its own encryption gives.
    static let fuzzFindings: [(name: String, text: String)] = [
        ("crlf-lone-cr.yaml", "---\r\nnest: |\r\n  line one\r\n  line two\r\n\r\nfolded: >-\r\n  paragraph one\r\n\r\n  paragraph two\r\n"
            + "keep: |+\r\n  kept\r\n\r\n\r\nnested:\r\n  cert: |\r\n   -----BEGIN-----\r  next: |\r\n   x\r\n"),
        ("mac-line-ends.yaml", "a: |\r  one\r  two\rb: plain\r# note\rc: 3\r"),
        ("anchor-comment.yaml", "base: &a\n  # note\n  x: 0\nlist: &l # on the key\n  # head\n  - a\nclear: &c\n  # kept\n  x_unencrypted: 0\nalias: *a\ncopy: *l\nother: *c\n"),
        ("ini-inline-comments.ini", "[s]\nj = \"x\" ; two\nk = \"abc ; note\nsemi = \"a;b\" # three\nv = `one\n  two` ; after\nw = 1 ; plain\n"),
        ("comment-after-indicator.yaml", "a: x#not-a-comment\nb: [y] #c5\nc: {z: 1}#c6\nd: \"q\"#c7\ne: [p,#c8\n  q]\nf: [x]#c3\ng: 1\n"),
        ("block-header-comment.yaml", "a: |#hdr\n  text\nb: >-  # hdr2\n  more\nl:\n  - |2- # item\n     x\nc: 1\n"),
        ("alias-comment.yaml", "base: &a\n  x: 0\nalias: *a  # note\nlist:\n  - *a # item\n  - k: *a # in map\ndev:\n  <<: *a  # merge\n  y: 2\n"),
    ]

    @Test("a fuzz finding's file that ksecret encrypts decrypts with sops to what sops's own encryption gives",
          arguments: fuzzFindings.map(\.name))
    func fuzzFindingToSops(name: String) throws {
        let dir = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent(name)
        try Data(Self.fuzzFindings.first { $0.name == name }!.text.utf8).write(to: file)
        try ksecretToSops(file: file.path)
    }

    @Test("INI keys and values ksecret has to quote (a fuzz finding) decrypt with sops to the same tree")
    func iniQuotingToSops() throws {
        let dir = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let section = ##"{"k\"e`y": "v\"", "#1": "one", "x=y": ";z", "a": "ends\\", "b": "\"quoted\"", "[c": "'c'"}"##
        let json = #"{"s": "# + section + "}"
        let file = dir.appendingPathComponent("odd.json")
        try Data(json.utf8).write(to: file)
        let enc = try Peers.run(Peers.ksecret!, ["encrypt", "--age", recipient, "--output-type", "ini", file.path], environment: env, directory: dir)
        try #require(enc.status == 0, "ksecret encrypt: \(enc.stderr)")
        let encPath = dir.appendingPathComponent("odd.ini")
        try Data(enc.stdout).write(to: encPath)
        let dec = try Peers.run(Peers.sops!, ["decrypt", "--output-type", "json", encPath.path], environment: env, directory: dir)
        try #require(dec.status == 0, "sops decrypt of ksecret's file: \(dec.stderr)")
        // sops reads every INI file with an empty DEFAULT section first.
        let expected = try JSONStore().parse(Array((#"{"DEFAULT": {}, "s": "# + section + "}").utf8), path: "e.json")
        let actual = try JSONStore().parse(dec.stdout, path: "sops.json")
        #expect(actual.document.branches.map(Self.stripComments) == expected.document.branches.map(Self.stripComments))
    }

    /// Unquoted values that may or may not be YAML timestamps: yaml.v3 reads them with Go's
    /// time.Parse in four layouts, and each one's `type:` decides what the MAC covers. Found by the
    /// 2 December 2026 FuzzEncryptDecrypt run (`2024-02-02T03:04:0-52` was typed `time`).
    static let timestampEdges = [
        "2024-01-02", "2024-1-2", "0000-01-01", "2000-02-29T00:00:00Z", "2024-01-02T03:04:05Z", "2024-01-02t03:04:05Z",
        "2024-01-02T3:4:5Z", "2024-01-02 03:04:05", "2024-01-02  03:04:05", "2024-01-02\t03:04:05", "2024-01-02 3:4:5",
        "2024-01-02 03:04:05Z", "2024-01-02 03:04:05.5", "2024-01-02T03:04:05+05:30", "2024-01-02T03:04:05+0530",
        "2024-01-02T03:04:05+05", "2024-01-02T03:04:05 +05:30", "2024-01-02T03:04:05+1:00", "2024-01-02T03:04:05+05:60",
        "2024-01-02T03:04:05-00:00", "2024-01-02T03:04:05+05:30:00", "2024-01-02T03:04:05Z07", "2024-01-02T03:04:05.123Z",
        "2024-01-02T03:04:05,5Z", "2024-01-02T03:04:05.1234567891Z", "2024-01-02T03:04:05.120Z", "2024-01-02T03:04:05.Z",
        "2024-01-02T03:04:05.5+01:00", "2024-01-02T24:00:00Z", "2024-02-02T03:04:0-52", "2024-01-02T03:04:0-5",
        "2024-01-02T03:04:0", "1999-02-31", "2024-01-02T03:04:60Z",
    ]

    @Test("unquoted values that may be timestamps get the type sops gives them, and sops decrypts ksecret's file to what it decrypts its own to")
    func timestampTyping() throws {
        let dir = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("times.yaml")
        let text = Self.timestampEdges.enumerated().map { "t\($0.offset): \($0.element.replacingOccurrences(of: "\\t", with: "\t"))\n" }.joined()
        try Data(text.utf8).write(to: file)
        /// key -> the `type:` of its ENC[...] value.
        func types(_ encrypted: [UInt8]) -> [String: String] {
            var out: [String: String] = [:]
            for line in String(decoding: encrypted, as: UTF8.self).split(separator: "\n") where line.hasPrefix("t") {
                guard let colon = line.firstIndex(of: ":"), let type = line.range(of: ",type:") else { continue }
                out[String(line[..<colon])] = String(line[type.upperBound...].prefix { $0 != "]" })
            }
            return out
        }
        let bySops = try Peers.run(Peers.sops!, ["encrypt", "--age", recipient, file.path], environment: env, directory: dir)
        try #require(bySops.status == 0, "sops encrypt: \(bySops.stderr)")
        let byKsecret = try Peers.run(Peers.ksecret!, ["encrypt", "--age", recipient, file.path], environment: env, directory: dir)
        try #require(byKsecret.status == 0, "ksecret encrypt: \(byKsecret.stderr)")
        let expected = types(bySops.stdout), actual = types(byKsecret.stdout)
        #expect(expected.count == Self.timestampEdges.count)
        for (i, value) in Self.timestampEdges.enumerated() {
            #expect(actual["t\(i)"] == expected["t\(i)"], "\(value): sops types it \(expected["t\(i)"] ?? "?"), ksecret \(actual["t\(i)"] ?? "?")")
        }
        let encPath = dir.appendingPathComponent("k.yaml")
        try Data(byKsecret.stdout).write(to: encPath)
        let dec = try Peers.run(Peers.sops!, ["decrypt", encPath.path], environment: env, directory: dir)
        try #require(dec.status == 0, "sops decrypt of ksecret's file: \(dec.stderr)")
        try expectSameContent(dec.stdout, try sopsReference(file.path, in: dir), file: file.path)
    }

    @Test("a file sops encrypts decrypts with ksecret to what sops decrypts it to", arguments: inputs)
    func sopsToKsecret(file: String) throws {
        let dir = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let enc = try Peers.run(Peers.sops!, ["encrypt", "--age", recipient, file], environment: env, directory: dir)
        try #require(enc.status == 0, "sops encrypt: \(enc.stderr)")
        let encPath = dir.appendingPathComponent("s" + ext(file))
        try Data(enc.stdout).write(to: encPath)
        let reference = try Peers.run(Peers.sops!, ["decrypt", encPath.path], environment: env, directory: dir)
        let dec = try Peers.run(Peers.ksecret!, ["decrypt", encPath.path], environment: env, directory: dir)
        try #require(dec.status == 0, "ksecret decrypt of sops's file: \(dec.stderr)")
        try expectSameContent(dec.stdout, reference.stdout, file: file)
    }

    @Test("ksecret decrypt of its own encryption gives back the file byte for byte", arguments: corpus.filter { !$0.contains("by-value") })
    func byteExactRoundTrip(file: String) throws {
        let dir = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let original = try Data(contentsOf: URL(fileURLWithPath: file))
        let enc = try Peers.run(Peers.ksecret!, ["encrypt", "--age", recipient, file], environment: env, directory: dir)
        try #require(enc.status == 0, "ksecret encrypt: \(enc.stderr)")
        let encPath = dir.appendingPathComponent("k.yaml")
        try Data(enc.stdout).write(to: encPath)
        let dec = try Peers.run(Peers.ksecret!, ["decrypt", encPath.path], environment: env, directory: dir)
        try #require(dec.status == 0, "ksecret decrypt: \(dec.stderr)")
        #expect(dec.text == String(decoding: original, as: UTF8.self))
    }

    /// Files large enough for ksecret to walk on two threads (Envelope.splitThreshold leaves): the
    /// bulk at the root, and under one key two levels down.
    static func largeYAML(nested: Bool) -> String {
        var lines = ["# large file"]
        if nested { lines += ["config:", "  app:"] }
        let pad = nested ? "    " : ""
        for i in 0..<800 {
            lines.append("\(pad)item\(i):")
            lines.append("\(pad)  # about \(i)")
            lines += ["\(pad)  name: name-\(i)", "\(pad)  port: \(i)", "\(pad)  on: \(i % 2 == 0)", "\(pad)  list: [a\(i), 2]", "\(pad)  note_unencrypted: clear"]
        }
        return lines.joined(separator: "\n") + "\n"
    }

    @Test("a file large enough for two threads crosses to sops and back", arguments: [false, true])
    func largeFile(nested: Bool) throws {
        let dir = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("large.yaml")
        try Data(Self.largeYAML(nested: nested).utf8).write(to: file)
        let reference = try sopsReference(file.path, in: dir)

        let bySops = try Peers.encryptThenDecrypt(file, recipient: recipient, with: Peers.ksecret!, then: Peers.sops!, saved: "k.yaml",
                                                  environment: env, in: dir, context: "large file")
        #expect(bySops == reference)
        let back = try Peers.run(Peers.ksecret!, ["decrypt", dir.appendingPathComponent("k.yaml").path], environment: env, directory: dir)
        #expect(back.text == Self.largeYAML(nested: nested))
        let byKsecret = try Peers.encryptThenDecrypt(file, recipient: recipient, with: Peers.sops!, then: Peers.ksecret!, saved: "s.yaml",
                                                     environment: env, in: dir, context: "large file")
        #expect(byKsecret == reference)
    }
}
