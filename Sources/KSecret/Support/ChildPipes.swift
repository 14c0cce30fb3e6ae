import Foundation

/// A child process's standard output and error, read to their ends together: reading one and then
/// the other deadlocks once the child fills the second pipe's buffer (64 KiB) while the first is
/// still open. Call after `Process.run()`, before `waitUntilExit()`.
public enum ChildPipes {
    public static func readBoth(stdout: Pipe, stderr: Pipe) -> (stdout: Data, stderr: Data) {
        nonisolated(unsafe) var errors = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async { errors = stderr.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        return (output, errors)
    }
}
