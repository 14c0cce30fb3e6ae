import Foundation
import Testing

/// `groups add` / `groups delete` (sops's key-group commands): the data key is split again over
/// the new set of groups; values, lastmodified and the MAC are untouched; the real sops opens
/// the result with any threshold of groups and not with fewer.
@Suite("key groups add and delete", .serialized,
       .enabled(if: Peers.sops != nil && Peers.ksecret != nil, "needs sops (make peers) and a built ksecret"))
struct GroupsTests {
    let dir: URL
    var keys: [(file: String, recipient: String)] = []

    init() throws {
        dir = try Peers.temporaryDirectory()
        for name in ["a", "b", "c"] {
            let file = dir.appendingPathComponent("\(name).txt").path
            let gen = try Peers.run(Peers.ksecret!, ["keygen", "-o", file])
            keys.append((file, gen.stderr.replacingOccurrences(of: "Public key: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)))
        }
    }

    /// A key file holding the identities of the given groups (by index).
    func identities(_ indices: [Int]) throws -> String {
        let path = dir.appendingPathComponent("ids-\(indices.map(String.init).joined()).txt").path
        let text = try indices.map { try String(contentsOfFile: keys[$0].file, encoding: .utf8) }.joined()
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    func ksecret(_ args: [String], keys indices: [Int]) throws -> Peers.Result {
        try Peers.run(Peers.ksecret!, args, environment: ["SOPS_AGE_KEY_FILE": try identities(indices)], directory: dir)
    }

    func sopsOpens(_ file: String, with indices: [Int]) throws -> Bool {
        let r = try Peers.run(Peers.sops!, ["decrypt", file], environment: ["SOPS_AGE_KEY_FILE": try identities(indices)], directory: dir)
        return r.status == 0 && r.text.contains("hunter2")
    }

    /// The lines that carry values and the MAC: what groups commands must not change.
    static func protectedLines(_ text: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter { $0.contains("ENC[") || $0.contains("lastmodified:") }
    }

    @Test("add twice, then delete: sops needs exactly the threshold of groups each time; values and MAC untouched")
    func addAndDelete() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = dir.appendingPathComponent("p.yaml").path
        try Data("user: app\npassword: hunter2\n".utf8).write(to: URL(fileURLWithPath: plain))
        let file = dir.appendingPathComponent("s.yaml").path
        let enc = try ksecret(["encrypt", "--age", keys[0].recipient, plain], keys: [])
        try Data(enc.stdout).write(to: URL(fileURLWithPath: file))
        let before = Self.protectedLines(enc.text)

        // 1 -> 2 groups: like sops, the threshold becomes the number of groups.
        var r = try ksecret(["groups", "add", "-i", "-f", file, "--age", keys[1].recipient], keys: [0])
        #expect(r.status == 0, "\(r.stderr)")
        var text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(text.contains("shamir_threshold: 2"))
        #expect(Self.protectedLines(text) == before)
        #expect(try sopsOpens(file, with: [0, 1]))
        #expect(try !sopsOpens(file, with: [0]))

        // 2 -> 3 groups, 2 of 3 needed.
        r = try ksecret(["groups", "add", "-i", "-f", file, "--age", keys[2].recipient, "--shamir-secret-sharing-threshold", "2"], keys: [0, 1])
        #expect(r.status == 0, "\(r.stderr)")
        text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(Self.protectedLines(text) == before)
        for pair in [[0, 1], [0, 2], [1, 2]] { #expect(try sopsOpens(file, with: pair), "groups \(pair)") }
        for single in [[0], [1], [2]] { #expect(try !sopsOpens(file, with: single), "group \(single)") }
        // ksecret's own message with one group says how many opened and which did not.
        let one = try ksecret(["decrypt", file], keys: [2])
        #expect(one.status == 128)
        #expect(one.stderr.contains("1 of 3 key groups opened, 2 needed"), "\(one.stderr)")

        // Delete group 0 (sops counts from 0): its key alone no longer helps.
        r = try ksecret(["groups", "delete", "-i", "-f", file, "0"], keys: [1, 2])
        #expect(r.status == 0, "\(r.stderr)")
        text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(!text.contains(keys[0].recipient))
        #expect(Self.protectedLines(text) == before)
        #expect(try sopsOpens(file, with: [1, 2]))
        #expect(try !sopsOpens(file, with: [0, 1]))
    }

    @Test("sops groups add on a ksecret file, ksecret groups delete on it, both read by the other")
    func mixedWithSops() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = dir.appendingPathComponent("p.yaml").path
        try Data("password: hunter2\n".utf8).write(to: URL(fileURLWithPath: plain))
        let file = dir.appendingPathComponent("s.yaml").path
        try Data(try ksecret(["encrypt", "--age", keys[0].recipient, plain], keys: []).stdout).write(to: URL(fileURLWithPath: file))
        let add = try Peers.run(Peers.sops!, ["groups", "add", "-i", "-f", file, "--age", keys[1].recipient, "--age", keys[2].recipient],
                                environment: ["SOPS_AGE_KEY_FILE": try identities([0])], directory: dir)
        #expect(add.status == 0, "\(add.stderr)")
        #expect(try ksecret(["decrypt", file], keys: [0, 2]).text.contains("hunter2"))
        #expect(try ksecret(["decrypt", file], keys: [0]).status == 128)
        let del = try ksecret(["groups", "delete", "-i", "-f", file, "1", "--shamir-secret-sharing-threshold", "1"], keys: [0, 1])
        #expect(del.status == 0, "\(del.stderr)")
        let text = try String(contentsOfFile: file, encoding: .utf8)
        #expect(!text.contains("shamir_threshold") && !text.contains("key_groups"), "one group left: the flat form, as sops writes it")
        #expect(try sopsOpens(file, with: [0]))
    }

    @Test("errors: a group index that does not exist, a threshold that cannot be met, an empty group")
    func errors() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let plain = dir.appendingPathComponent("p.yaml").path
        try Data("password: hunter2\n".utf8).write(to: URL(fileURLWithPath: plain))
        let file = dir.appendingPathComponent("s.yaml").path
        try Data(try ksecret(["encrypt", "--age", "\(keys[0].recipient)", plain], keys: []).stdout).write(to: URL(fileURLWithPath: file))
        _ = try ksecret(["groups", "add", "-i", "-f", file, "--age", keys[1].recipient], keys: [0])
        let original = try Data(contentsOf: URL(fileURLWithPath: file))

        let missing = try ksecret(["groups", "delete", "-i", "-f", file, "5"], keys: [0, 1])
        #expect(missing.status == 1 && missing.stderr.contains("there is no group 5"), "\(missing.stderr)")
        let impossible = try ksecret(["groups", "delete", "-i", "-f", file, "0"], keys: [0, 1])
        #expect(impossible.status == 1 && impossible.stderr.contains("threshold of 2 cannot be met"), "\(impossible.stderr)")
        let tooHigh = try ksecret(["groups", "add", "-i", "-f", file, "--age", keys[2].recipient, "--shamir-secret-sharing-threshold", "4"], keys: [0, 1])
        #expect(tooHigh.status == 1, "\(tooHigh.stderr)")
        let empty = try ksecret(["groups", "add", "-i", "-f", file], keys: [0, 1])
        #expect(empty.status == 1 && empty.stderr.contains("has no keys"), "\(empty.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == original, "a refused command leaves the file as it was")
    }
}
