import ArgumentParser
import KSecretSystem
import KSecret

struct FileStatus: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "filestatus",
        abstract: "Print whether a file is encrypted, as JSON.",
        discussion: "Example:\n  ksecret filestatus secrets.yaml    # {\"encrypted\":true}")

    @Argument var file: String
    @OptionGroup var types: TypeOptions

    func run() throws {
        try Diagnostics.run {
            let bytes = try Input.read(file)
            let encrypted = SecretsEngine.isEncrypted(bytes, path: file, format: try types.input(for: file))
            Output.write(Array("{\"encrypted\":\(encrypted)}\n".utf8))
        }
    }
}
