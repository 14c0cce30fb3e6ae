import ArgumentParser
import Foundation
import KSecret
import KSecretCLI
import KSecretFlows

struct DB: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Use and rotate the PostgreSQL credentials kept in an encrypted file.",
        discussion: HelpText.reflow("""
        The file holds, under --key-path (default ["db"]): host, port, name, user, password, \
        sslmode (default require) and options.
        """),
        subcommands: [DBURL.self, DBCheck.self, DBRotate.self])
}

/// The encrypted file and where in it the credentials are (shared by the `db` and `ddns` commands).
struct CredentialFileOptions: ParsableArguments {
    @Argument(help: "The encrypted secrets file.") var file: String
    @Option(name: .customLong("key-path"), help: "Where the credentials are, e.g. '[\"db\"]'.") var keyPath: String?
    @OptionGroup var types: TypeOptions

    func components(default fallback: [TreePath.Component]) throws -> [TreePath.Component] {
        try keyPath.map { try TreePath.parse($0) } ?? fallback
    }

    func open(default fallback: [TreePath.Component]) throws -> (OpenedFile, [TreePath.Component]) {
        let engine = SecretsEngine(environment: KSecretEnvironment())
        let opened = try engine.open(try AtomicFile.read(file), path: file, format: try types.input(for: file), forRewrite: false)
        return (opened, try components(default: fallback))
    }

    func databaseCredentials() throws -> DatabaseCredentials {
        let (opened, path) = try open(default: DatabaseCredentials.defaultKeyPath)
        return try DatabaseCredentials(document: opened.document, keyPath: path, file: file)
    }
}
