import ArgumentParser
import Foundation
import KSecret
#if canImport(Glibc)
import Glibc
#endif

/// ksecret as helm's `secrets` plugin (helm-secrets compatible) and `secrets://` downloader.
///
/// Two legacy-format plugins, because helm 4 drops the command of a legacy plugin that also
/// declares downloaders (shared/spec/helm-pipeline.md §1.3): `secrets` (the CLI) and
/// `secrets-getter` (the downloader). Each holds a `bin/ksecret` link to this binary; no script.
struct Helm: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Install or remove ksecret's helm plugins (helm secrets ..., -f secrets://...).",
        discussion: """
        Example:
          ksecret helm install-plugins            # for the helm on PATH (3 or 4)
          helm template ./chart -f secrets://secrets.yaml
          helm secrets template ./chart -f secrets.yaml
          helm secrets decrypt secrets.yaml       # what helmfile calls for `secrets:`
        """,
        subcommands: [HelmInstallPlugins.self, HelmUninstallPlugins.self])
}

enum HelmPlugins {
    static let cliName = "secrets"
    static let getterName = "secrets-getter"
    /// helmfile calls `decrypt` (not `view`) for a plugin whose major version is 4 or more.
    static let version = "4.7.7"
    static let protocols = ["secrets", "secrets+age-import", "secrets+gpg-import", "secrets+literal"]

    /// The plugin directory of the helm at `helm`: the first entry of `helm env HELM_PLUGINS`.
    static func pluginsDirectory(helm: String) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [helm, "env", "HELM_PLUGINS"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        do { try process.run() } catch {
            throw KSecretError(.generic, "cannot run \(helm)", hints: ["pass --helm PATH"], cause: error)
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let value = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard process.terminationStatus == 0, let first = value.split(separator: ":").first, !first.isEmpty else {
            throw KSecretError(.generic, "\(helm) did not say where its plugins live (helm env HELM_PLUGINS)")
        }
        return String(first)
    }

    static func cliManifest() -> String {
        """
        # ksecret as helm-secrets: helm secrets decrypt|encrypt|edit|view|template|install|upgrade|lint|diff ...
        name: "\(cliName)"
        version: "\(version)"
        usage: "decrypt, encrypt and edit secrets files; wrap helm commands (ksecret)"
        description: "ksecret: sops-format secrets for helm, compatible with helm-secrets"
        platformCommand:
          - os: linux
            command: "$HELM_PLUGIN_DIR/bin/ksecret helm-plugin"
          - os: darwin
            command: "$HELM_PLUGIN_DIR/bin/ksecret helm-plugin"
          - command: "$HELM_PLUGIN_DIR/bin/ksecret helm-plugin"

        """
    }

    static func getterManifest() -> String {
        """
        # ksecret's downloader: -f secrets://FILE decrypts FILE in memory for helm.
        name: "\(getterName)"
        version: "\(version)"
        usage: "secrets:// value files (ksecret)"
        description: "ksecret: decrypts secrets:// value files at render time, no file on disk"
        downloaders:
          - command: "bin/ksecret helm-downloader"
            protocols:
        \(protocols.map { "      - \"\($0)\"" }.joined(separator: "\n"))

        """
    }

    static func install(helm: String, executable: String) throws -> [String] {
        let root = try pluginsDirectory(helm: helm)
        var installed: [String] = []
        for (dirName, manifest) in [("ksecret-secrets", cliManifest()), ("ksecret-secrets-getter", getterManifest())] {
            let dir = root + "/" + dirName
            try FileManager.default.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
            try AtomicFile.write(Array(manifest.utf8), to: dir + "/plugin.yaml", mode: 0o644)
            let link = dir + "/bin/ksecret"
            unlink(link)
            guard symlink(executable, link) == 0 else {
                throw KSecretError(.couldNotWriteOutputFile, "cannot link \(link) to \(executable)")
            }
            installed.append(dir)
        }
        return installed
    }

    static func uninstall(helm: String) throws -> [String] {
        let root = try pluginsDirectory(helm: helm)
        var removed: [String] = []
        for dirName in ["ksecret-secrets", "ksecret-secrets-getter"] {
            let dir = root + "/" + dirName
            if FileManager.default.fileExists(atPath: dir + "/plugin.yaml") {
                try FileManager.default.removeItem(atPath: dir)
                removed.append(dir)
            }
        }
        return removed
    }
}

struct HelmInstallPlugins: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "install-plugins", abstract: "Install the secrets and secrets-getter helm plugins.")
    @Option(help: "The helm binary (default: helm on PATH).") var helm = "helm"

    func run() throws {
        try Diagnostics.run {
            for dir in try HelmPlugins.install(helm: helm, executable: SelfPath.executable) {
                FileHandle.standardError.write(Data("ksecret: installed \(dir)\n".utf8))
            }
        }
    }
}

struct HelmUninstallPlugins: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "uninstall-plugins", abstract: "Remove ksecret's helm plugins.")
    @Option(help: "The helm binary (default: helm on PATH).") var helm = "helm"

    func run() throws {
        try Diagnostics.run {
            for dir in try HelmPlugins.uninstall(helm: helm) {
                FileHandle.standardError.write(Data("ksecret: removed \(dir)\n".utf8))
            }
        }
    }
}
