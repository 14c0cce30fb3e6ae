import ArgumentParser
import KSecret

@main
struct KSecretCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ksecret",
        abstract: "Encrypt the values of YAML, JSON, dotenv, INI and binary files in the sops 3.11 format.",
        discussion: """
        Files written by sops open with ksecret and the other way round. ksecret keeps your YAML as you
        wrote it (comments, indentation, quoting) and keeps the ciphertext of unchanged values stable.

        Keys come from --age, SOPS_AGE_RECIPIENTS or a .sops.yaml creation rule; identities from
        SOPS_AGE_KEY_FILE, SOPS_AGE_KEY, SOPS_AGE_KEY_CMD or ~/.config/sops/age/keys.txt.
        """,
        version: KSecretVersion.current,
        subcommands: [Encrypt.self, Decrypt.self, Edit.self, SetValue.self, UnsetValue.self, Replace.self,
                      FileStatus.self, Keygen.self, Helm.self]
    )
}
