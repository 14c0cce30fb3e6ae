import Foundation
import Testing

/// ssh keys as age recipients in sops files, both directions with the real sops 3.11: `--age`
/// with an authorized_keys line, `SOPS_AGE_SSH_PRIVATE_KEY_FILE`, and the default
/// `~/.ssh/id_ed25519` / `~/.ssh/id_rsa` (Format.md §8).
@Suite("ssh recipients with the real sops", .serialized,
       .enabled(if: Peers.sops != nil && Peers.ksecret != nil && Peers.find("ssh-keygen") != nil,
                "needs sops (make peers), ssh-keygen (Debian openssh-client) and a built ksecret"))
struct SSHRecipientTests {
    let dir: URL
    init() throws { dir = try Peers.temporaryDirectory() }

    func keygen(_ type: String, _ name: String, passphrase: String = "", in home: URL? = nil) throws -> (path: String, publicKey: String) {
        let base = home ?? dir
        let path = base.appendingPathComponent(name).path
        let r = try Peers.run(Peers.find("ssh-keygen")!, ["-q", "-t", type, "-N", passphrase, "-C", "reviewer@example", "-f", path]
                              + (type == "rsa" ? ["-b", "3072"] : []))
        #expect(r.status == 0, "ssh-keygen: \(r.stderr)")
        return (path, try String(contentsOfFile: path + ".pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines))
    }

    func plain() throws -> String {
        let path = dir.appendingPathComponent("plain.yaml").path
        try Data("db:\n    password: s3cr3t-ssh\n    port: 5432\n".utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test("ksecret encrypts to ssh-ed25519 and ssh-rsa keys, sops decrypts with SOPS_AGE_SSH_PRIVATE_KEY_FILE", arguments: ["ed25519", "rsa"])
    func ksecretToSops(type: String) throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = try keygen(type, "id")
        let enc = try Peers.run(Peers.ksecret!, ["encrypt", "--age", key.publicKey, try plain()], directory: dir)
        #expect(enc.status == 0, "\(enc.stderr)")
        #expect(enc.text.contains("recipient: \(key.publicKey)"), "the recipient is stored as given")
        let file = dir.appendingPathComponent("enc.yaml").path
        try Data(enc.stdout).write(to: URL(fileURLWithPath: file))
        let dec = try Peers.run(Peers.sops!, ["decrypt", file], environment: ["SOPS_AGE_SSH_PRIVATE_KEY_FILE": key.path], directory: dir)
        #expect(dec.status == 0, "\(dec.stderr)")
        #expect(dec.text.contains("password: s3cr3t-ssh"))
    }

    @Test("sops encrypts to ssh keys, ksecret decrypts with SOPS_AGE_SSH_PRIVATE_KEY_FILE", arguments: ["ed25519", "rsa"])
    func sopsToKsecret(type: String) throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = try keygen(type, "id")
        let enc = try Peers.run(Peers.sops!, ["encrypt", "--age", key.publicKey, try plain()], directory: dir)
        #expect(enc.status == 0, "\(enc.stderr)")
        let file = dir.appendingPathComponent("enc.yaml").path
        try Data(enc.stdout).write(to: URL(fileURLWithPath: file))
        let dec = try Peers.run(Peers.ksecret!, ["decrypt", "--extract", "[\"db\"][\"password\"]", file],
                                environment: ["SOPS_AGE_SSH_PRIVATE_KEY_FILE": key.path], directory: dir)
        #expect(dec.status == 0, "\(dec.stderr)")
        #expect(dec.text == "s3cr3t-ssh")
    }

    @Test("~/.ssh/id_ed25519 and ~/.ssh/id_rsa are both loaded, with or without the variable, as sops 3.11 does")
    func defaultPaths() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let home = dir.appendingPathComponent("home")
        try FileManager.default.createDirectory(at: home.appendingPathComponent(".ssh"), withIntermediateDirectories: true)
        let rsa = try keygen("rsa", ".ssh/id_rsa", in: home)
        let other = try keygen("ed25519", "other")
        let enc = try Peers.run(Peers.ksecret!, ["encrypt", "--age", rsa.publicKey, try plain()], directory: dir)
        let file = dir.appendingPathComponent("enc.yaml").path
        try Data(enc.stdout).write(to: URL(fileURLWithPath: file))
        // id_rsa alone; then with an id_ed25519 beside it; then with the variable naming another key.
        var env = ["HOME": home.path]
        for step in 0..<3 {
            if step == 1 { _ = try keygen("ed25519", ".ssh/id_ed25519", in: home) }
            if step == 2 { env["SOPS_AGE_SSH_PRIVATE_KEY_FILE"] = other.path }
            let ours = try Peers.run(Peers.ksecret!, ["decrypt", file], environment: env, directory: dir)
            let theirs = try Peers.run(Peers.sops!, ["decrypt", file], environment: env, directory: dir)
            #expect(theirs.status == 0, "step \(step): sops \(theirs.stderr)")
            #expect(ours.status == 0, "step \(step): \(ours.stderr)")
            #expect(ours.text.contains("s3cr3t-ssh"))
        }
        // Without any of them, the error names every place looked at.
        try FileManager.default.removeItem(at: home.appendingPathComponent(".ssh"))
        let none = try Peers.run(Peers.ksecret!, ["decrypt", file], environment: env, directory: dir)
        #expect(none.status == 128)
        #expect(none.stderr.contains(other.path) && !none.stderr.contains("s3cr3t-ssh"), "\(none.stderr)")
    }

    @Test("a passphrase-protected ssh key fails with a clear message only for the file that needs it")
    func protectedKey() throws {
        defer { try? FileManager.default.removeItem(at: dir) }
        let locked = try keygen("ed25519", "locked", passphrase: "pw-not-given")
        let age = try Peers.run(Peers.ksecret!, ["keygen", "-o", dir.appendingPathComponent("age.txt").path])
        let ageRecipient = age.stderr.replacingOccurrences(of: "Public key: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        let env = ["SOPS_AGE_SSH_PRIVATE_KEY_FILE": locked.path, "SOPS_AGE_KEY_FILE": dir.appendingPathComponent("age.txt").path]
        let forAge = try Peers.run(Peers.ksecret!, ["encrypt", "--age", ageRecipient, try plain()], directory: dir)
        let forLocked = try Peers.run(Peers.ksecret!, ["encrypt", "--age", locked.publicKey, try plain()], directory: dir)
        try Data(forAge.stdout).write(to: dir.appendingPathComponent("a.yaml"))
        try Data(forLocked.stdout).write(to: dir.appendingPathComponent("l.yaml"))
        #expect(try Peers.run(Peers.ksecret!, ["decrypt", "a.yaml"], environment: env, directory: dir).status == 0)
        let r = try Peers.run(Peers.ksecret!, ["decrypt", "l.yaml"], environment: env, directory: dir)
        #expect(r.status == 128)
        #expect(r.stderr.contains("passphrase-protected"), "\(r.stderr)")
        #expect(!r.stderr.contains("s3cr3t-ssh"))
    }
}
