import Testing
import KSecretSystem

@Suite("system support: paths, text, locks, threads, streams")
struct SystemSupportTests {
    @Test("path components as NSString gave them", arguments: [
        ("a/b/c.yaml", "c.yaml", "a/b"), ("a/b/", "b", "a"), ("/c", "c", "/"), ("c", "c", ""),
        ("/", "/", "/"), ("a//b", "b", "a"), ("/a/b//", "b", "/a"),
    ])
    func pathComponents(path: String, last: String, parent: String) {
        #expect(PathName.lastComponent(path) == last)
        #expect(PathName.deletingLastComponent(path) == parent)
    }

    @Test("a directory, a file, a missing path")
    func directories() {
        #expect(PathName.isDirectory("/tmp"))
        #expect(!PathName.isDirectory("/etc/hostname"))
        #expect(!PathName.isDirectory("/nonexistent"))
    }

    @Test("trimming takes Unicode white space and line breaks from both ends only")
    func trimming() {
        #expect("  a b \n".trimmingWhitespace() == "a b")
        #expect("\u{00A0}\u{2003}x\r\n".trimmingWhitespace() == "x")
        #expect(" \t\n".trimmingWhitespace() == "")
        #expect("x".trimmingWhitespace() == "x")
    }

    @Test("percent escapes decode to UTF-8; a broken escape or invalid UTF-8 is nil")
    func percentEscapes() {
        #expect("C%3a\\Users%25".removingPercentEscapes() == "C:\\Users%")
        #expect("%e2%82%AC".removingPercentEscapes() == "€")
        #expect("%zz".removingPercentEscapes() == nil)
        #expect("%4".removingPercentEscapes() == nil)
        #expect("%ff".removingPercentEscapes() == nil)
    }

    @Test("the lock keeps concurrent increments whole")
    func lock() {
        final class Counter: @unchecked Sendable { var value = 0 }
        let counter = Counter(), lock = Lock()
        DispatchQueue.concurrentPerform(iterations: 8) { _ in
            for _ in 0..<10_000 { lock.withLock { counter.value += 1 } }
        }
        #expect(counter.value == 80_000)
    }

    @Test("a detached thread runs its body")
    func detachedThread() throws {
        let done = DispatchSemaphore(value: 0)
        try DetachedThread.start { done.signal() }
        #expect(done.wait(timeout: .now() + 10) == .success)
    }

    @Test("whole writes and reads through a pipe (1 MB, more than the pipe holds)")
    func streams() throws {
        var ends: [Int32] = [-1, -1]
        #expect(pipe(&ends) == 0)
        let bytes = (0..<1_000_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        final class Box: @unchecked Sendable { var read: [UInt8] = [] }
        let box = Box(), readEnd = ends[0]
        let group = DispatchGroup()
        DispatchQueue(label: "reader").async(group: group) { box.read = (try? StandardStreams.readAll(readEnd)) ?? [] }
        #expect(StandardStreams.write(bytes, to: ends[1]))
        close(ends[1])
        group.wait()
        close(readEnd)
        #expect(box.read == bytes)
    }

    @Test("the running executable's path is absolute and exists")
    func executablePath() throws {
        let path = try #require(ExecutablePath.current())
        #expect(path.hasPrefix("/"))
        #expect(access(path, X_OK) == 0)
    }
}
