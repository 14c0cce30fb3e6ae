import ArgumentParser
import Foundation
import KSecret
import KSecretCLI
import KSecretFlows

struct DBRotate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rotate",
        abstract: "Give the database role a new random password, on the server and in the file.",
        discussion: HelpText.reflow("""
        Draws a 40-character URL-safe password, sets it with ALTER ROLE (hashed here with \
        scram-sha-256, so no plaintext reaches the server's logs), checks a fresh login with it, then \
        rewrites only that value in the file, atomically. If a step fails, the old password is put \
        back on the server and the file is left as it was. While the server may hold the new \
        password, it is also kept in NAME.pending.EXT beside the file (encrypted like it).
        Example:
          ksecret db rotate secrets.yaml
          ADMIN_URL=postgres://admin:...@db:5432/postgres ksecret db rotate --admin-url-env ADMIN_URL secrets.yaml
        """))

    @OptionGroup var source: CredentialFileOptions
    @Flag(name: .customLong("dry-run"), help: "Check the file and the connection, say what would happen, change nothing.") var dryRun = false
    @Option(name: .customLong("admin-url-env"), help: "Name of an environment variable holding an admin URL to run the ALTER ROLE with.")
    var adminURLEnv: String?
    @Option(name: .customLong("restore-window"), help: "Seconds to keep trying to set the old password back after a failure.")
    var restoreWindow: Double = 30

    func run() throws {
        try Diagnostics.run {
            let environment = KSecretEnvironment()
            var rotation = PasswordRotation(file: source.file, format: try source.types.input(for: source.file),
                                            keyPath: try source.components(default: DatabaseCredentials.defaultKeyPath),
                                            environment: environment)
            if let adminURLEnv {
                guard let url = environment[adminURLEnv] else {
                    throw KSecretError(.generic, "the environment variable \(adminURLEnv) is not set or empty",
                                       hints: ["--admin-url-env names a variable holding a postgres:// URL of an admin role"])
                }
                rotation.adminConnection = url
            }
            rotation.restoreWindow = max(0, restoreWindow)
            rotation.checkpoint = TestPause.checkpoint
            rotation.log = { Console.say($0) }
            if dryRun {
                for line in try rotation.dryRun() { Console.say(line) }
                return
            }
            let report = try rotation.run()
            Console.say("rotated the password of role \(report.role) on \(report.target) (\(report.passwordLength) characters) in \(Console.milliseconds(report.duration))")
        }
    }
}
