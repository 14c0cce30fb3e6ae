import Foundation
import Testing
import KSecretTestSupport
@testable import KSecret

/// Random documents of every value type and shape, written as YAML and JSON, through ksecret and
/// the real sops in both directions. The generator is seeded, so a failure names a reproducible seed.
@Suite("generated corpus against the real sops", .serialized,
       .enabled(if: Peers.sops != nil && Peers.ksecret != nil, "needs sops (make peers) and a built ksecret (swift build)"))
struct GeneratedCorpusTests {
    typealias Generator = SplitMix64

    static let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 _-:#'\"@!%&*{}[],.?/\\|>ñé€漢🔑\t")

    static func string(_ g: inout Generator) -> String {
        let n = Int.random(in: 0...24, using: &g)
        var s = String((0..<n).map { _ in alphabet.randomElement(using: &g)! })
        switch Int.random(in: 0..<12, using: &g) {
        // Multi-line text never starts with a line break here: sops 3.11's writer emits such a block
        // inside nested inline sequences (`- - - |4`) with too little indentation, which no YAML
        // reader accepts (seen with seed 38), so the comparison would fail on sops's side.
        case 0: s = (s.isEmpty ? "x" : s) + "\nsecond line\n"
        case 1: s = "yes"
        case 2: s = "123"
        case 3: s = " leading space"
        case 4: s = "ENC-like [not really]"
        default: break
        }
        return s
    }

    static func scalar(_ g: inout Generator) -> ScalarValue {
        switch Int.random(in: 0..<9, using: &g) {
        case 0: return .int(Int64.random(in: -1_000_000...1_000_000, using: &g))
        case 1: return .float(Double(Int.random(in: -100_000...100_000, using: &g)) / 64)
        case 2: return .bool(Bool.random(using: &g))
        case 3: return .null
        default: return .string(string(&g))
        }
    }

    static func key(_ g: inout Generator, _ used: inout Set<String>) -> String {
        while true {
            var k = "k" + String(Int.random(in: 0..<10_000, using: &g))
            if Int.random(in: 0..<6, using: &g) == 0 { k += "_unencrypted" }
            if Int.random(in: 0..<8, using: &g) == 0 { k = "key with space " + k }
            if used.insert(k).inserted { return k }
        }
    }

    static func node(_ g: inout Generator, depth: Int) -> Node {
        let roll = Int.random(in: 0..<10, using: &g)
        if depth >= 3 || roll < 5 { return .scalar(Scalar(scalar(&g))) }
        if roll < 8 { return mapping(&g, depth: depth + 1) }
        let count = Int.random(in: 0...4, using: &g)
        return .sequence((0..<count).map { _ in node(&g, depth: depth + 1) })
    }

    static func mapping(_ g: inout Generator, depth: Int) -> Node {
        var used = Set<String>()
        let count = Int.random(in: depth == 0 ? 1...8 : 0...5, using: &g)
        return .mapping((0..<count).map { _ in .pair(key: key(&g, &used), value: node(&g, depth: depth)) })
    }

    static let seeds: [UInt64] = Array(1...40)

    @Test("random YAML documents: sops reads ksecret's files and ksecret reads sops's, value for value", arguments: seeds)
    func yaml(seed: UInt64) throws { try roundTrip(seed: seed, format: .yaml) }

    @Test("random JSON documents: sops reads ksecret's files and ksecret reads sops's, value for value", arguments: seeds.prefix(15))
    func json(seed: UInt64) throws { try roundTrip(seed: seed, format: .json) }

    func roundTrip(seed: UInt64, format: FileFormat) throws {
        var g = Generator(state: seed)
        let document = Document(branches: [Self.mapping(&g, depth: 0)])
        let plain = try format.store.emit(document, metadata: nil, source: nil, options: StoreOptions())
        let dir = try Peers.temporaryDirectory()
        // KSECRET_TEST_KEEP=1 keeps the scratch files of a run for inspection.
        defer { if ProcessInfo.processInfo.environment["KSECRET_TEST_KEEP"] == nil { try? FileManager.default.removeItem(at: dir) } }
        let keyFile = dir.appendingPathComponent("keys.txt").path
        let gen = try Peers.run(Peers.ksecret!, ["keygen", "-o", keyFile])
        let recipient = gen.stderr.replacingOccurrences(of: "Public key: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        let env = ["SOPS_AGE_KEY_FILE": keyFile]
        let ext = format == .yaml ? "yaml" : "json"
        let plainPath = dir.appendingPathComponent("plain.\(ext)")
        try Data(plain).write(to: plainPath)

        // The data as ksecret itself reads the plaintext: the reference for both directions.
        let expected = try format.store.parse(plain, path: "plain").document.branches.map(Self.data)

        let bySops = try Peers.encryptThenDecrypt(plainPath, recipient: recipient, with: Peers.ksecret!, then: Peers.sops!, saved: "k.\(ext)",
                                                  environment: env, in: dir, context: "seed \(seed)")
        #expect(try format.store.parse(bySops, path: "sops-output").document.branches.map(Self.data) == expected, "seed \(seed)")
        let byKsecret = try Peers.encryptThenDecrypt(plainPath, recipient: recipient, with: Peers.sops!, then: Peers.ksecret!, saved: "s.\(ext)",
                                                     environment: env, in: dir, context: "seed \(seed)")
        #expect(try format.store.parse(byKsecret, path: "k").document.branches.map(Self.data) == expected, "seed \(seed)")

        if format == .yaml {
            let back = try Peers.run(Peers.ksecret!, ["decrypt", dir.appendingPathComponent("k.\(ext)").path], environment: env, directory: dir)
            #expect(back.stdout == plain, "seed \(seed): ksecret's own round trip is not byte-exact (\(dir.path))")
        }
    }

    /// Values and structure only (the same comparison as the sops interop suite).
    static func data(_ node: Node) -> Node { SopsInteropTests.stripComments(node) }
}
