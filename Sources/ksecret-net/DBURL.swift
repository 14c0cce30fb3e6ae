import ArgumentParser
import Foundation
import KSecret
import KSecretCLI
import KSecretFlows

struct DBURL: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "url",
        abstract: "Print the postgres:// URL of the file's database credentials.",
        discussion: HelpText.reflow("""
        User and password are percent-encoded (everything but A-Za-z0-9-._~), so any password survives. \
        The URL holds the password: send it to a program, not to a log.
        Example:
          psql "$(ksecret db url secrets.yaml)"
          ksecret db url --format env secrets.yaml >> .env
        """))

    enum Format: String, ExpressibleByArgument { case url, env }

    @OptionGroup var source: CredentialFileOptions
    @Option(help: "url (the URL alone) or env (DATABASE_URL=...).") var format: Format = .url

    func run() throws {
        try Diagnostics.run {
            let url = try source.databaseCredentials().url()
            Console.print((format == .env ? "DATABASE_URL=" : "") + url + "\n")
        }
    }
}
