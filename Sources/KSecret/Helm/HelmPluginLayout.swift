import KSecretSystem

/// The two legacy-format helm plugins that put ksecret in the helm pipeline, and their files.
///
/// Why two plugins and this exact shape (helm-pipeline.md §1.2, §1.3, §5.3):
/// - helm 4 turns a legacy plugin that declares `downloaders:` into a getter-only plugin, so the
///   `helm secrets` CLI (`secrets`) and the `secrets://` downloader (`secrets-getter`) are separate.
/// - legacy plugin.yaml (no `apiVersion`) loads on helm 3 (strict keys), on helm 4, and in
///   helmfile 0.166's embedded helm 3 loader; a v1 file would break every plugin on helm 3.
/// - `platformCommand` with `os: linux`, `os: darwin` and an os-less fallback, no `command:` and no
///   `args:` keys (helm 3.15 matches only entries whose `os` equals the running OS; helm 4 refuses
///   both `command` and `platformCommand`; `args` is unknown to helm 3.15).
/// - a downloader command is always taken relative to the plugin directory, so each plugin holds
///   `bin/ksecret`, a symlink to the ksecret executable that installed it.
/// - the CLI plugin is named `secrets` with a major version of 4, so helmfile calls `decrypt`
///   (it calls `view` for a major version of 3 or less).
public enum HelmPluginLayout {
    public static let cliName = "secrets"
    public static let getterName = "secrets-getter"
    /// The helm-secrets contract this implements (helmfile and `helmfile init` read it).
    public static let version = "4.8.0"
    /// The first line of every plugin.yaml ksecret writes; uninstall removes only such plugins.
    public static let marker = "# Installed by `ksecret helm install-plugins`; `ksecret helm uninstall-plugins` removes it."
    /// The link to the ksecret binary, relative to the plugin directory.
    public static let binaryLink = "bin/ksecret"

    public static var names: [String] { [cliName, getterName] }

    /// The plugin.yaml of the plugin called `name`.
    public static func manifest(for name: String) -> String {
        switch name {
        case cliName:
            let command = "$HELM_PLUGIN_DIR/\(binaryLink) helm secrets"
            return """
            \(marker)
            name: "\(cliName)"
            version: "\(version)"
            usage: "encrypt, decrypt and edit sops files; run helm with encrypted values files (ksecret)"
            description: "helm-secrets compatible commands served by ksecret: decrypt, encrypt, edit, view, and template/install/upgrade/lint/diff wrappers"
            platformCommand:
              - os: linux
                command: "\(command)"
              - os: darwin
                command: "\(command)"
              - command: "\(command)"

            """
        default:
            return """
            \(marker)
            name: "\(getterName)"
            version: "\(version)"
            usage: "secrets:// values files decrypted in memory by ksecret"
            description: "helm-secrets compatible downloader for \(SecretsURL.protocols.map { $0 + "://" }.joined(separator: ", "))"
            downloaders:
              - command: "\(binaryLink) helm downloader"
                protocols:
            \(SecretsURL.protocols.map { "      - \"\($0)\"" }.joined(separator: "\n"))

            """
        }
    }

    /// Whether a plugin.yaml was written by ksecret.
    public static func isOurs(manifest: String) -> Bool {
        manifest.hasPrefix(marker)
    }
}
