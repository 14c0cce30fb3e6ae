#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import KSecretCrypto

/// Asks for a passphrase on the controlling terminal (`/dev/tty`), with echo off, whatever
/// standard input and output are (a pipe under helm, a file under `> out.yaml`), as age does.
public enum TerminalPassphrase {
    public enum Failure: Error, Sendable, CustomStringConvertible {
        /// No controlling terminal: a CI job, a service, a pipeline started without one.
        case noTerminal(String)
        /// End of input before a line ended (Ctrl-D).
        case canceled
        /// A line of 4 KiB or more.
        case tooLong

        public var description: String {
            switch self {
            case .noTerminal(let why): return "no terminal to ask on (/dev/tty: \(why))"
            case .canceled: return "the passphrase prompt was canceled"
            case .tooLong: return "the passphrase typed is 4 KiB or longer"
            }
        }
    }

    nonisolated(unsafe) private static var restore: (fd: Int32, mode: termios)?

    /// Writes `prompt` to the terminal, reads one line without echo and returns it without its
    /// line break. SIGINT, SIGTERM or SIGHUP during the read puts the terminal back before the
    /// process ends, so the shell is not left without echo.
    public static func ask(prompt: String) throws -> [UInt8] {
        let fd = open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        guard fd >= 0 else { throw Failure.noTerminal(String(cString: strerror(errno))) }
        defer { close(fd) }
        writeAll(fd, Array(prompt.utf8))
        var saved = termios()
        let isTerminal = tcgetattr(fd, &saved) == 0
        var previous: [(Int32, sigaction)] = []
        if isTerminal {
            restore = (fd, saved)
            for sig in [SIGINT, SIGTERM, SIGHUP] {
                var action = sigaction(), old = sigaction()
                action.__sigaction_handler.sa_handler = { signo in
                    if let saved = TerminalPassphrase.restore {
                        var mode = saved.mode, newline: UInt8 = 10
                        tcsetattr(saved.fd, TCSANOW, &mode)
                        _ = write(saved.fd, &newline, 1)
                    }
                    _exit(128 + signo)
                }
                sigemptyset(&action.sa_mask)
                sigaction(sig, &action, &old)
                previous.append((sig, old))
            }
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            quiet.c_lflag |= tcflag_t(ECHONL)
            tcsetattr(fd, TCSANOW, &quiet)
        }
        defer {
            if isTerminal {
                tcsetattr(fd, TCSANOW, &saved)
                for (sig, old) in previous { var old = old; sigaction(sig, &old, nil) }
                restore = nil
            }
        }
        // Room enough that the line is never copied while it grows (a copy would leave parts of
        // the passphrase in freed memory).
        var line: [UInt8] = []
        line.reserveCapacity(4096)
        var byte: UInt8 = 0
        while true {
            let n = read(fd, &byte, 1)
            if n < 0, errno == EINTR { continue }
            guard n == 1 else {
                SecureBytes.zero(&line)
                throw Failure.canceled
            }
            if byte == 10 { break }
            guard line.count < 4096 else {
                SecureBytes.zero(&line)
                throw Failure.tooLong
            }
            line.append(byte)
        }
        if line.last == 13 { line.removeLast() }
        return line
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { return }
            offset += n
        }
    }
}
