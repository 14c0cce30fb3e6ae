import Foundation
import Testing

/// A full disk and a read-only directory under an in-place write: ksecret exits non-zero with a
/// clear error naming the cause, and the original file is intact, with no temp file left.
///
/// Where the machine allows it the failures are real: a 64 KiB tmpfs filled to the last byte, a
/// read-only bind mount (as root) or a 0555 directory (as another user). Where it does not (a
/// container without CAP_SYS_ADMIN), the test falls back to the write failure AtomicFile injects
/// through the hidden `KSECRET_FAULT_INJECT` variable, and says so in its output.
@Suite("disk full and read-only directory", .enabled(if: Peers.ksecret != nil, "needs a built ksecret (swift build)"))
struct WriteFailureTests {
    static func mount(_ args: [String]) -> Bool {
        guard let mount = Peers.find("mount") ?? (FileManager.default.isExecutableFile(atPath: "/bin/mount") ? "/bin/mount" : nil) else { return false }
        return (try? Peers.run(mount, args).status) == 0
    }

    static func umount(_ path: String) {
        if let umount = Peers.find("umount") ?? (FileManager.default.isExecutableFile(atPath: "/bin/umount") ? "/bin/umount" : nil) {
            _ = try? Peers.run(umount, [path])
        }
    }

    /// An encrypted file in `dir` and the key to open it.
    static func encryptedFile(in dir: URL, keys: URL) throws -> (path: String, env: [String: String]) {
        let keyFile = keys.appendingPathComponent("keys.txt").path
        let gen = try Peers.run(Peers.ksecret!, ["keygen", "-o", keyFile])
        let recipient = gen.stderr.replacingOccurrences(of: "Public key: ", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        let path = dir.appendingPathComponent("s.yaml").path
        try Data("db:\n  password: original-value\n  port: 5432\n".utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, 0o640)
        let env = ["SOPS_AGE_KEY_FILE": keyFile]
        let r = try Peers.run(Peers.ksecret!, ["encrypt", "-i", "--age", recipient, path], environment: env)
        try #require(r.status == 0, "\(r.stderr)")
        return (path, env)
    }

    /// `set` must fail with exit 3 and `reason` in the error, leaving the file as it was.
    static func expectRefusedWrite(path: String, env: [String: String], reason: String) throws {
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let r = try Peers.run(Peers.ksecret!, ["set", path, #"["db"]["password"]"#, "\"new-value\""], environment: env)
        #expect(r.status == 3, "exit \(r.status): \(r.stderr)")
        #expect(r.stderr.contains("ksecret: error:") && r.stderr.contains(reason), "\(r.stderr)")
        #expect(r.stderr.contains("the original file was not changed"), "\(r.stderr)")
        #expect(!r.stderr.contains("new-value") && !r.stderr.contains("original-value"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        let dir = URL(fileURLWithPath: path).deletingLastPathComponent().path
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.contains(".ksecret-") }.isEmpty)
        let dec = try Peers.run(Peers.ksecret!, ["decrypt", "--extract", #"["db"]["password"]"#, path], environment: env)
        #expect(dec.status == 0 && dec.text == "original-value")
    }

    @Test("disk full: exit 3, 'no space left on device', the original intact")
    func diskFull() throws {
        let base = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: base) }
        let mountPoint = base.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: mountPoint, withIntermediateDirectories: true)
        if geteuid() == 0, Self.mount(["-t", "tmpfs", "-o", "size=64k", "tmpfs", mountPoint.path]) {
            defer { Self.umount(mountPoint.path) }
            let (path, env) = try Self.encryptedFile(in: mountPoint, keys: base)
            // Fill the file system to the last block.
            let filler = mountPoint.appendingPathComponent("filler").path
            let fd = open(filler, O_WRONLY | O_CREAT, 0o600)
            let block = [UInt8](repeating: 0x41, count: 512)
            while block.withUnsafeBytes({ write(fd, $0.baseAddress!, $0.count) }) > 0 {}
            var one: UInt8 = 0x41
            while write(fd, &one, 1) > 0 {}
            close(fd)
            print("write failures: disk full on a real 64 KiB tmpfs")
            try Self.expectRefusedWrite(path: path, env: env, reason: "No space left on device")
        } else {
            let (path, env) = try Self.encryptedFile(in: mountPoint, keys: base)
            print("write failures: tmpfs cannot be mounted here; disk full injected with KSECRET_FAULT_INJECT=ENOSPC")
            try Self.expectRefusedWrite(path: path, env: env.merging(["KSECRET_FAULT_INJECT": "ENOSPC"]) { $1 }, reason: "No space left on device")
        }
    }

    @Test("read-only directory: exit 3, the cause named, the original intact")
    func readOnlyDirectory() throws {
        let base = try Peers.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: base) }
        let dir = base.appendingPathComponent("ro")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let (path, env) = try Self.encryptedFile(in: dir, keys: base)
        if geteuid() != 0 {
            chmod(dir.path, 0o555)
            defer { chmod(dir.path, 0o755) }
            print("write failures: read-only directory by chmod 0555")
            try Self.expectRefusedWrite(path: path, env: env, reason: "Permission denied")
        } else if Self.mount(["--bind", dir.path, dir.path]) {
            defer { Self.umount(dir.path) }
            // As root, chmod does not stop a write: a read-only bind mount does.
            if Self.mount(["-o", "remount,ro,bind", dir.path]) {
                print("write failures: read-only directory by a read-only bind mount")
                try Self.expectRefusedWrite(path: path, env: env, reason: "Read-only file system")
            } else {
                print("write failures: no read-only remount here; read-only file system injected with KSECRET_FAULT_INJECT=EROFS")
                try Self.expectRefusedWrite(path: path, env: env.merging(["KSECRET_FAULT_INJECT": "EROFS"]) { $1 }, reason: "Read-only file system")
            }
        } else {
            print("write failures: root without mount; read-only file system injected with KSECRET_FAULT_INJECT=EROFS")
            try Self.expectRefusedWrite(path: path, env: env.merging(["KSECRET_FAULT_INJECT": "EROFS"]) { $1 }, reason: "Read-only file system")
        }
    }
}
