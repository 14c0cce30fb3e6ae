/// Whole writes to, and whole reads from, the process's standard streams and other descriptors.
public enum StandardStreams {
    /// Writes all of `bytes` to `fd`, retrying short writes and EINTR; false when a write fails
    /// (a closed pipe: EPIPE), in which case the rest is dropped.
    @discardableResult
    public static func write(_ bytes: some Collection<UInt8>, to fd: Int32) -> Bool {
        let done: Bool? = bytes.withContiguousStorageIfAvailable { buffer in writeAll(buffer, fd) }
        if let done { return done }
        return Array(bytes).withUnsafeBufferPointer { writeAll($0, fd) }
    }

    private static func writeAll(_ buffer: UnsafeBufferPointer<UInt8>, _ fd: Int32) -> Bool {
        var offset = 0
        while offset < buffer.count {
            let n = systemWrite(fd, buffer.baseAddress! + offset, buffer.count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return false
            }
            offset += n
        }
        return true
    }

    /// Writes text to standard error (diagnostics, progress, prompts).
    public static func writeError(_ text: String) { write(Array(text.utf8), to: STDERR_FILENO) }

    /// Writes bytes to standard output.
    @discardableResult
    public static func writeOutput(_ bytes: some Collection<UInt8>) -> Bool { write(bytes, to: STDOUT_FILENO) }

    /// Reads `fd` to its end.
    public static func readAll(_ fd: Int32) throws(SystemCallError) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        // Standard input may be plaintext (`encrypt -`): clear the read buffer before it is freed.
        defer { chunk.withUnsafeMutableBytes { _ = memset($0.baseAddress!, 0, $0.count) } }
        while true {
            let n = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw SystemCallError("read")
            }
            if n == 0 { return result }
            result.append(contentsOf: chunk[..<n])
        }
    }

    /// Reads standard input to its end.
    public static func readInput() throws(SystemCallError) -> [UInt8] { try readAll(STDIN_FILENO) }
}

// The C library's read and write, under names that members called `write`/`read` do not shadow.
@inline(__always) func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.write(fd, buffer, count)
    #elseif canImport(Musl)
    Musl.write(fd, buffer, count)
    #else
    Darwin.write(fd, buffer, count)
    #endif
}

@inline(__always) func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    #if canImport(Glibc)
    Glibc.read(fd, buffer, count)
    #elseif canImport(Musl)
    Musl.read(fd, buffer, count)
    #else
    Darwin.read(fd, buffer, count)
    #endif
}
