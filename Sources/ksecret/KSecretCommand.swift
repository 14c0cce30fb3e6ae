import ArgumentParser
import KSecretSystem
import KSecret
import KSecretCrypto

@main
struct KSecretCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ksecret",
        abstract: "Encrypt the values of YAML, JSON, dotenv, INI and binary files in the sops 3.11 format.",
        discussion: HelpText.reflow("""
        Files written by sops open with ksecret and the other way round. ksecret keeps your YAML as you
        wrote it (comments, indentation, quoting) and keeps the ciphertext of unchanged values stable.

        Keys come from --age, SOPS_AGE_RECIPIENTS or a .sops.yaml creation rule; identities from
        SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, SOPS_AGE_KEY_CMD or ~/.config/sops/age/keys.txt.
        """),
        version: KSecretVersion.current,
        subcommands: [Encrypt.self, Decrypt.self, Edit.self, SetValue.self, UnsetValue.self, Replace.self,
                      Rotate.self, UpdateKeys.self, Groups.self, Offboard.self, ExecEnv.self, ExecFile.self, FileStatus.self, Keygen.self, Git.self, AuditCommand.self,
                      Helm.self, DB.self, DDNS.self]
    )

    static func main() {
        CryptoLibrary.setUpForCommandLine()
        let arguments = Array(CommandLine.arguments.dropFirst())
        if NetExecutable.handles(arguments) { NetExecutable.exec(arguments) }
        if let status = DecryptFastPath.run(arguments) ?? EncryptFastPath.run(arguments) {
            exitProcess(status)
        }
        // helm runs the downloader once per secrets:// value file at every render: no argument parser.
        if arguments.count >= 3, arguments[0] == "helm", arguments[1] == "downloader", let url = arguments.last, !url.hasPrefix("-") {
            do {
                try Diagnostics.run {
                    Output.write(try HelmDownloader.fetch(try SecretsURL.parse(url), environment: KSecretEnvironment()))
                }
            } catch {
                exitProcess(Diagnostics.status(of: error))
            }
            exitProcess(0)
        }
        main(nil)
    }
}
