import ArgumentParser
import Foundation
import KSecret
import KSecretCLI
import KSecretFlows

struct DDNSWait: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wait",
        abstract: "Poll a URL until it answers with any HTTP status.",
        discussion: HelpText.reflow("""
        Exits 0 at the first HTTP answer (any status), non-zero when --timeout passes first.
        Example:
          ksecret ddns wait --url https://app.example.com/ --timeout 600 --interval 10
        """))

    @Option(help: "The URL to poll.") var url: String
    @Option(help: "Give up after this many seconds.") var timeout: Double
    @Option(help: "Seconds between attempts.") var interval: Double = 5

    func run() throws {
        try Diagnostics.run {
            guard let target = URL(string: url) else { throw KSecretError(.generic, "\(url) is not a URL") }
            guard timeout > 0, interval > 0 else { throw KSecretError(.generic, "--timeout and --interval must be positive") }
            let outcome = try HTTPWait.wait(for: target, timeout: timeout, interval: interval)
            Console.print("\(url) answered HTTP \(outcome.status) after \(outcome.attempts) attempt(s)\n")
        }
    }
}
