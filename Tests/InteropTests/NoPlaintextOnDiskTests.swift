import Foundation
import Testing

/// Traces the file system calls of `decrypt` to standard output with strace: no file is opened for
/// writing, created, renamed or removed, and every write goes to standard output.
@Suite("no plaintext on disk", .enabled(if: Peers.ksecret != nil && Peers.find("strace") != nil, "needs a built ksecret and strace (make deps)"))
struct NoPlaintextOnDiskTests {
    @Test("decrypt to stdout writes to no file", arguments: ["yaml", "json", "env"])
    func decryptWritesNoFile(ext: String) throws {
        let dir = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let keyFile = dir.appendingPathComponent("keys.txt").path
        let gen = try Peers.run(Peers.ksecret!, ["keygen", "-o", keyFile])
        let recipient = gen.stderr.replacingOccurrences(of: "Public key: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        let secret = "s3cr3t-value-\(UUID().uuidString)"
        let plain: String
        switch ext {
        case "json": plain = "{\"password\": \"\(secret)\"}\n"
        case "env": plain = "PASSWORD=\(secret)\n"
        default: plain = "password: \(secret)\n"
        }
        let path = dir.appendingPathComponent("s.\(ext)")
        try Data(plain.utf8).write(to: path)
        let env = ["SOPS_AGE_KEY_FILE": keyFile]
        #expect(try Peers.run(Peers.ksecret!, ["encrypt", "-i", "--age", recipient, path.path], environment: env).status == 0)
        let trace = dir.appendingPathComponent("trace.txt").path
        let r = try Peers.run(Peers.find("strace")!, ["-f", "-qq", "-e", "trace=openat,creat,write,rename,renameat,unlink,unlinkat,mknodat",
                                                      "-s", "4096", "-o", trace, Peers.ksecret!, "decrypt", path.path], environment: env)
        #expect(r.status == 0)
        #expect(r.text.contains(secret))
        let calls = try String(contentsOfFile: trace, encoding: .utf8).split(separator: "\n")
        let writing = calls.filter { $0.contains("O_WRONLY") || $0.contains("O_RDWR") || $0.contains("O_CREAT") || $0.contains("creat(")
            || $0.contains("rename") || $0.contains("unlink") || $0.contains("mknod") }
        #expect(writing.isEmpty, "\(writing)")
        let writesElsewhere = calls.filter { $0.contains("write(") && !$0.contains("write(1,") && $0.contains(secret) }
        #expect(writesElsewhere.isEmpty, "\(writesElsewhere)")
    }
}
