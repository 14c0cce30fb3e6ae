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
        #expect(dec.text == String(decoding: reference, as: UTF8.self))
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
        #expect(dec.text == reference.text)
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
}
