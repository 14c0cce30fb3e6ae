import CGPGME
import KSecretSystem

/// Asks a running gpg-agent for a passphrase (`GET_PASSPHRASE`): the agent shows its pinentry and
/// keeps the answer in its cache under a cache id, so later processes get it without asking. This
/// is how sops 3.10+ asks for the passphrase of an encrypted age identity file; with the same
/// cache ids, a passphrase typed for one tool serves the other.
///
/// The agent is never started: without one listening (`GPG_AGENT_INFO`, else gpgconf's
/// `agent-socket` for the home), `ask` returns nil and the caller asks elsewhere.
public struct GPGAgentPassphrase {
    public enum Failure: Error, Sendable, CustomStringConvertible {
        /// The user closed the pinentry without an answer.
        case canceled
        /// The agent answered with an error (no pinentry could be shown, ...).
        case agent(GPGMEError)

        public var description: String {
            switch self {
            case .canceled: return "the passphrase prompt was canceled"
            case .agent(let error): return "gpg-agent could not ask for the passphrase (\(error.message))"
            }
        }
    }

    /// The GnuPG home whose agent is asked (nil: gpgconf's default, which honours `GNUPGHOME`).
    public var homeDirectory: String?
    /// `GPG_AGENT_INFO` (`socket:pid:1`), which names the socket directly when set.
    public var agentInfo: String?
    /// `DISPLAY` and the terminal, for the pinentry.
    public var display: String?
    public var terminalType: String?

    public init(homeDirectory: String?, agentInfo: String?, display: String?, terminalType: String?) {
        self.homeDirectory = homeDirectory
        self.agentInfo = agentInfo
        self.display = display
        self.terminalType = terminalType
    }

    /// The passphrase, or nil when no agent answers or `cacheID` cannot be one (the agent takes
    /// at most 50 bytes). `description` is the pinentry's text.
    public func ask(cacheID: String, description: String) throws(Failure) -> [UInt8]? {
        let id = Self.escape(cacheID)
        guard id.utf8.count <= 50, let context = connect() else { return nil }
        for option in options() { _ = transact(context, "OPTION " + option) }
        let answer = Answer()
        let command = "GET_PASSPHRASE --data \(id) X \(Self.escape("Passphrase:")) \(Self.escape(description))"
        let error = transact(context, command, answer: answer)
        if let error {
            if error.is(GPG_ERR_CANCELED) || error.is(GPG_ERR_FULLY_CANCELED) { throw .canceled }
            throw .agent(error)
        }
        return answer.bytes
    }

    /// Drops `cacheID` from the agent's cache (after the passphrase it gave turned out wrong).
    public func forget(cacheID: String) {
        let id = Self.escape(cacheID)
        guard id.utf8.count <= 50, let context = connect() else { return }
        _ = transact(context, "CLEAR_PASSPHRASE \(id)")
    }

    private func connect() -> GPGMEContext? {
        guard let socket = socketPath(), FileManager.default.fileExists(atPath: socket) else { return nil }
        guard let context = try? GPGMEContext(homeDirectory: nil, protocol: GPGME_PROTOCOL_ASSUAN, engine: socket),
              transact(context, "GETINFO version") == nil else { return nil }
        return context
    }

    private func socketPath() -> String? {
        if let info = agentInfo, let socket = info.split(separator: ":", omittingEmptySubsequences: false).first, !socket.isEmpty {
            return String(socket)
        }
        return GnuPGConf(homeDirectory: homeDirectory).agentSocket()
    }

    /// Where the pinentry should appear: the terminal of standard input, error or output (a
    /// real device path; `/dev/tty` means nothing to the agent), and the X display.
    private func options() -> [String] {
        var options: [String] = []
        if let display, !display.isEmpty { options.append("display=" + display) }
        for fd: Int32 in [0, 2, 1] {
            guard isatty(fd) != 0, let name = ttyname(fd) else { continue }
            options.append("ttyname=" + String(cString: name))
            options.append("ttytype=" + (terminalType ?? "dumb"))
            break
        }
        return options
    }

    private final class Answer {
        var bytes: [UInt8] = []
        deinit { for i in bytes.indices { bytes[i] = 0 } }
    }

    /// One Assuan command; the error the agent answered with, or nil for OK. `D` lines go to `answer`.
    private func transact(_ context: GPGMEContext, _ command: String, answer: Answer? = nil) -> GPGMEError? {
        var status: gpgme_error_t = 0
        let error: gpgme_error_t
        if let answer {
            let box = Unmanaged.passUnretained(answer).toOpaque()
            error = gpgme_op_assuan_transact_ext(context.pointer, command, { opaque, data, length in
                guard let opaque, let data else { return 0 }
                let answer = Unmanaged<Answer>.fromOpaque(opaque).takeUnretainedValue()
                answer.bytes.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
                return 0
            }, box, nil, nil, nil, nil, &status)
            withExtendedLifetime(answer) {}
        } else {
            error = gpgme_op_assuan_transact_ext(context.pointer, command, nil, nil, nil, nil, nil, nil, &status)
        }
        if error != 0 { return GPGMEError(error) }
        if status != 0 { return GPGMEError(status) }
        return nil
    }

    /// An argument as sops's agent client writes it (Go's `url.QueryEscape`): unreserved bytes as
    /// they are, a space as `+`, anything else `%XX`.
    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return out
    }
}

private extension String {
    func leftPadded(to width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
