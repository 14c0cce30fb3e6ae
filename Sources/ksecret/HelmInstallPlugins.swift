import ArgumentParser
import KSecretSystem
import KSecret

struct HelmInstallPlugins: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "install-plugins",
        abstract: "Install the `secrets` and `secrets-getter` helm plugins, both run by this ksecret binary.",
        discussion: HelpText.reflow("""
        The plugins go into the first directory of `helm env HELM_PLUGINS` (so HELM_PLUGINS and
        HELM_DATA_HOME are honoured) and work on helm 3 and helm 4. Running it again replaces
        them; a plugin of the same name not installed by ksecret (e.g. helm-secrets) is left
        alone unless --force is given.
        Example:
          ksecret helm install-plugins
          ksecret helm install-plugins --helm /usr/local/bin/helm4
        """))

    @Option(name: .customLong("helm"), help: "The helm to install for (default: helm on PATH).")
    var helm: String?

    @Flag(name: .customLong("force"), help: "Replace a `secrets` or `secrets-getter` plugin that ksecret did not install.")
    var force = false

    func run() throws {
        try Diagnostics.run {
            let environment = KSecretEnvironment()
            let tool = try HelmTool.find(explicit: helm, environment: environment)
            let plugins = try tool.pluginsDirectory()
            let executable = try Executables.currentExecutable()
            for name in HelmPluginLayout.names {
                let dir = plugins + "/" + name
                try PluginDirectory.remove(dir, force: force)
                try PluginDirectory.create(dir, name: name, executable: executable)
            }
            StandardStreams.writeError("ksecret: installed the helm plugins \(HelmPluginLayout.names.joined(separator: " and ")) in \(plugins) (\(tool.version())), running \(executable)\n")
        }
    }
}

struct HelmUninstallPlugins: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "uninstall-plugins",
        abstract: "Remove the helm plugins that `ksecret helm install-plugins` installed.")

    @Option(name: .customLong("helm"), help: "The helm to uninstall from (default: helm on PATH).")
    var helm: String?

    func run() throws {
        try Diagnostics.run {
            let tool = try HelmTool.find(explicit: helm, environment: KSecretEnvironment())
            let plugins = try tool.pluginsDirectory()
            var removed: [String] = []
            for name in HelmPluginLayout.names where try PluginDirectory.remove(plugins + "/" + name, force: false) {
                removed.append(name)
            }
            let what = removed.isEmpty ? "no ksecret helm plugins were installed" : "removed the helm plugins \(removed.joined(separator: " and "))"
            StandardStreams.writeError("ksecret: \(what) in \(plugins)\n")
        }
    }
}

/// One plugin directory on disk.
enum PluginDirectory {
    /// Removes a plugin directory ksecret wrote (or any, with `force`); false when there was none.
    @discardableResult
    static func remove(_ dir: String, force: Bool) throws -> Bool {
        let manager = FileManager.default
        guard (try? manager.attributesOfItem(atPath: dir)) != nil else { return false }
        let manifest = (try? String(contentsOfFile: dir + "/plugin.yaml", encoding: .utf8)) ?? ""
        let isLink = (try? manager.destinationOfSymbolicLink(atPath: dir)) != nil
        guard force || (!isLink && HelmPluginLayout.isOurs(manifest: manifest)) else {
            throw KSecretError(.generic, "\(dir) holds a helm plugin that ksecret did not install",
                               hints: ["remove it with `helm plugin uninstall \(URL(fileURLWithPath: dir).lastPathComponent)`, or pass --force to replace it"])
        }
        do { try manager.removeItem(atPath: dir) } catch {
            throw KSecretError(.couldNotWriteOutputFile, "cannot remove \(dir)", cause: error)
        }
        return true
    }

    static func create(_ dir: String, name: String, executable: String) throws {
        let manager = FileManager.default
        do {
            try manager.createDirectory(atPath: dir + "/bin", withIntermediateDirectories: true)
            try manager.createSymbolicLink(atPath: dir + "/" + HelmPluginLayout.binaryLink, withDestinationPath: executable)
            try AtomicFile.write(Array(HelmPluginLayout.manifest(for: name).utf8), to: dir + "/plugin.yaml", mode: 0o644)
        } catch let error as KSecretError {
            throw error
        } catch {
            throw KSecretError(.couldNotWriteOutputFile, "cannot create the plugin directory \(dir)", cause: error)
        }
    }
}
