import Foundation
import Testing
@testable import KSecret

/// Removing a key from `.sops.yaml` keeps every other byte: comma strings (plain, quoted, folded),
/// block and flow lists, key groups; and refuses what it cannot do cleanly.
@Suite("sops config editor")
struct SopsConfigEditorTests {
    let a = "age1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    let b = "age1bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
    let c = "age1cccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"

    func remove(_ recipient: Recipient, _ text: String) throws -> (String, [Int]) {
        let edit = try SopsConfigEditor.removing(recipient, from: Array(text.utf8), path: ".sops.yaml")
        return (String(decoding: edit.bytes, as: UTF8.self), edit.ruleLines)
    }

    @Test("a comma string: plain, quoted and folded, first, middle and last")
    func commaStrings() throws {
        let input = """
            # keys for everything
            creation_rules:
              - path_regex: a/.*   # first
                age: \(b),\(a), \(c)
              - path_regex: b/.*
                age: "\(a),\(b)"
              - path_regex: c/.*
                age: >-
                  \(a),
                  \(b)

            """
        let (out, lines) = try remove(.age(b), input)
        #expect(out == """
            # keys for everything
            creation_rules:
              - path_regex: a/.*   # first
                age: \(a), \(c)
              - path_regex: b/.*
                age: "\(a)"
              - path_regex: c/.*
                age: >-
                  \(a)

            """)
        #expect(lines == [3, 5, 7])
    }

    @Test("block and flow lists, and key groups; comments stay")
    func lists() throws {
        let input = """
            creation_rules:
              - path_regex: a/.*
                age:
                  - \(a)   # me
                  - \(b)   # leaving
                  - \(c)
              - path_regex: b/.*
                age: [\(b), \(a)]
              - path_regex: c/.*
                shamir_threshold: 2
                key_groups:
                  - age: [\(a)]
                  - age:
                      - \(b)
                      - \(c)
                  - age: [\(c)]

            """
        let (out, _) = try remove(.age(b), input)
        #expect(out == """
            creation_rules:
              - path_regex: a/.*
                age:
                  - \(a)   # me
                  - \(c)
              - path_regex: b/.*
                age: [\(a)]
              - path_regex: c/.*
                shamir_threshold: 2
                key_groups:
                  - age: [\(a)]
                  - age:
                      - \(c)
                  - age: [\(c)]

            """)
    }

    @Test("a PGP fingerprint, matched without case; the age keys stay")
    func pgp() throws {
        let fp = "1199BDC0DA314FC9EF0D82A97D60449006AE874E"
        let input = "creation_rules:\n  - path_regex: .*\n    pgp: \(fp)\n    age: \(a)\n"
        let (out, lines) = try remove(.pgp(fp.lowercased()), input)
        #expect(out == "creation_rules:\n  - path_regex: .*\n    pgp: \n    age: \(a)\n")
        #expect(lines == [2])
        #expect(try SopsConfig.parse(Array(out.utf8), path: "x").rules[0].keyPlan == KeyPlan(groups: [KeyGroupRule(age: [a])]))
    }

    @Test("a key the rules do not name changes nothing")
    func absent() throws {
        let input = "creation_rules:\n  - age: \(a)\n"
        let (out, lines) = try remove(.age(c), input)
        #expect(out == input && lines.isEmpty)
    }

    @Test("an anchored key goes with its aliases")
    func anchors() throws {
        let input = "creation_rules:\n  - path_regex: a\n    age:\n      - &leaver \(b)\n      - \(a)\n  - path_regex: b\n    age:\n      - *leaver\n      - \(c)\n"
        let (out, lines) = try remove(.age(b), input)
        #expect(out == "creation_rules:\n  - path_regex: a\n    age:\n      - \(a)\n  - path_regex: b\n    age:\n      - \(c)\n")
        #expect(lines == [2, 6])
    }

    @Test("refused: a rule left without keys, an emptied Shamir group, a spelling it cannot cut out")
    func refused() throws {
        #expect(throws: KSecretError.self) { try remove(.age(a), "creation_rules:\n  - age: \(a)\n") }
        let groups = "creation_rules:\n  - key_groups:\n      - age: [\(a)]\n      - age: [\(b)]\n"
        #expect(throws: KSecretError.self) { try remove(.age(b), groups) }
        // An escaped letter: the key is in the value but not in the bytes; nothing is written.
        let escaped = "creation_rules:\n  - age: \"\\u0061\(b.dropFirst()),\(a)\"\n"
        let error = try #require(throws: KSecretError.self) { try remove(.age(b), escaped) }
        #expect(error.message.contains("without rewriting it"))
    }
}
