import ArgumentParser
import KSecretSystem
import KSecret

/// `ksecret db ...` and `ksecret ddns ...` live in the ksecret-net executable, which links libpq and
/// libcurl; ksecret itself stays small and quick to start (every helm render runs it). These
/// commands replace this process with ksecret-net, passing the arguments on as they are (file
/// paths and options, never secrets), so help, output and exit codes are ksecret-net's.
struct DB: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Use and rotate the PostgreSQL credentials kept in an encrypted file (url, check, rotate).")
    @Argument(parsing: .captureForPassthrough) var arguments: [String] = []
    func run() throws { NetExecutable.exec(["db"] + arguments) }
}

struct DDNS: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ddns", abstract: "Point a Namecheap dynamic DNS record at an address, and wait for it to answer (update, wait).")
    @Argument(parsing: .captureForPassthrough) var arguments: [String] = []
    func run() throws { NetExecutable.exec(["ddns"] + arguments) }
}

enum NetExecutable {
    static let name = NetHelper.name
    static let commands = ["db", "ddns"]

    /// Whether `arguments` (without the program name) are for ksecret-net: `db ...`, `ddns ...`,
    /// or `help db ...`. Checked before the argument parser, so `--help` goes through too.
    static func handles(_ arguments: [String]) -> Bool {
        guard let first = arguments.first else { return false }
        return commands.contains(first) || (first == "help" && arguments.count > 1 && commands.contains(arguments[1]))
    }

    static func exec(_ arguments: [String]) -> Never {
        guard let path = NetHelper.path(environment: KSecretEnvironment()) else {
            _ = Diagnostics.report(KSecretError(.generic, "\(name) not found beside ksecret or on PATH",
                                                hints: ["`ksecret \(arguments.first ?? "db")` runs the \(name) executable; install it beside ksecret (make install does)"]))
            exit(1)
        }
        let argv = ([name] + arguments).map { strdup($0) } + [nil]
        execv(path, argv)
        _ = Diagnostics.report(KSecretError(.generic, "cannot run \(path): \(String(cString: strerror(errno)))"))
        exit(1)
    }
}
