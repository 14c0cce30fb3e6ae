import Foundation
import Testing
@testable import KSecretAge

/// The sops golden fixtures (shared/fixtures/sops): every `sops.age[0].enc` block holds the
/// 32-byte data key, armored, encrypted by age 1.1.1 to the recipient of `key.txt`.
@Suite("sops fixture data keys")
struct AgeSopsFixtureTests {
    /// `(file, hex data key)` from datakeys.txt.
    static let dataKeys: [(String, String)] = {
        let url = AgeTestSupport.sopsFixtures.appendingPathComponent("datakeys.txt")
        guard let text = try? String(contentsOf: url, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let colon = line.firstIndex(of: ":") else { return nil }
            let rest = line[line.index(after: colon)...].split(separator: " ")
            return rest.first.map { (String(line[..<colon]), String($0)) }
        }
    }()

    /// The armored age block inside a sops file in any store: YAML block scalars are indented,
    /// JSON, dotenv and INI escape the newlines as `\n`.
    static func ageBlock(in text: String) -> [UInt8]? {
        guard let begin = text.range(of: "-----BEGIN AGE ENCRYPTED FILE-----"),
              let end = text.range(of: "-----END AGE ENCRYPTED FILE-----", range: begin.upperBound..<text.endIndex) else { return nil }
        let block = String(text[begin.lowerBound..<end.upperBound]).replacingOccurrences(of: "\\n", with: "\n")
        let lines = block.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    @Test("datakeys.txt lists the twelve fixtures")
    func listed() {
        #expect(Self.dataKeys.count == 12)
        #expect(Self.dataKeys.contains { $0.0 == "enc.yaml" })
    }

    @Test("the age block decrypts with key.txt to the recorded data key",
          arguments: dataKeys.map(\.0))
    func dataKey(_ file: String) throws {
        let expected = try #require(Self.dataKeys.first { $0.0 == file }?.1)
        let identities = try AgeKeyFile.parseIdentities(AgeTestSupport.read(AgeTestSupport.sopsFixtures.appendingPathComponent("key.txt")))
        let text = try String(contentsOf: AgeTestSupport.sopsFixtures.appendingPathComponent(file), encoding: .utf8)
        let block = try #require(Self.ageBlock(in: text))
        let dataKey = try Age.decrypt(block, identities: identities.identities)
        #expect(dataKey.count == 32)
        #expect(AgeTestSupport.hex(dataKey) == expected)
    }
}
