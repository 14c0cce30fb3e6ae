import ArgumentParser
import Foundation
import KSecret
import KSecretCLI
import KSecretFlows

struct DBCheck: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Connect with the file's database credentials and run SELECT 1.",
        discussion: HelpText.reflow("""
        Prints the server version, whether TLS is in use, and the round-trip time. On failure the \
        message names the cause (host unreachable, authentication failed, database missing, TLS \
        required or unsupported) with a hint.
        Example:
          ksecret db check secrets.yaml
        """))

    @OptionGroup var source: CredentialFileOptions

    func run() throws {
        try Diagnostics.run {
            let credentials = try source.databaseCredentials()
            let report = try DatabaseCheck.run(credentials)
            let tls = report.tlsInUse ? "yes (\(report.tlsProtocol ?? "TLS"))" : "no"
            Console.print("""
                ok: \(credentials.summary)
                server version: \(report.serverVersion)
                tls: \(tls)
                connect: \(Console.milliseconds(report.connectTime))
                round trip: \(Console.milliseconds(report.roundTrip))

                """)
        }
    }
}
