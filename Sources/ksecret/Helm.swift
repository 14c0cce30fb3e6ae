import ArgumentParser
import KSecretSystem
import KSecret
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

struct Helm: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Use ksecret as helm's secrets plugin (helm 3 and 4, helmfile).",
        discussion: HelpText.reflow("""
        Example:
          ksecret helm install-plugins              # for the helm on PATH, or --helm /path/to/helm
          helm template ./chart -f secrets://charts/app/secrets.yaml
          helm secrets template ./chart -f charts/app/secrets.yaml
          helm secrets decrypt charts/app/secrets.yaml
          ksecret helm uninstall-plugins
        """),
        subcommands: [HelmInstallPlugins.self, HelmUninstallPlugins.self, HelmDownloader.self, HelmSecrets.self]
    )
}

/// The helm to install into or to run, and what it says about itself.
struct HelmTool {
    let path: String

    /// `--helm PATH`, else `helm` on PATH.
    static func find(explicit: String?, environment: KSecretEnvironment) throws -> HelmTool {
        if let explicit {
            guard FileManager.default.isExecutableFile(atPath: explicit) else {
                throw KSecretError(.generic, "\(explicit) is not an executable helm")
            }
            return HelmTool(path: explicit)
        }
        guard let found = Executables.find("helm", environment: environment) else {
            throw KSecretError(.generic, "no helm on PATH", hints: ["install helm, or pass --helm /path/to/helm"])
        }
        return HelmTool(path: found)
    }

    /// The directory plugins are installed into: the first entry of `helm env HELM_PLUGINS`.
    func pluginsDirectory() throws -> String {
        let output = try Executables.output(path, ["env", "HELM_PLUGINS"])
        let list = output.trimmingWhitespace()
        guard let first = list.split(separator: ":").first.map(String.init), !first.isEmpty else {
            throw KSecretError(.generic, "\(path) env HELM_PLUGINS printed no directory")
        }
        return first
    }

    func version() -> String {
        ((try? Executables.output(path, ["version", "--short"])) ?? "").trimmingWhitespace()
    }
}

/// Running and finding other programs.
enum Executables {
    static func find(_ name: String, environment: KSecretEnvironment) -> String? {
        if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
        for dir in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            let candidate = dir + "/" + name
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    /// Runs a program to completion and returns its standard output; a failure carries its stderr.
    static func output(_ executable: String, _ arguments: [String]) throws -> String {
        let result: ChildProcess.Result
        do { result = try ChildProcess.run(executable, arguments) } catch {
            throw KSecretError(.generic, "cannot run \(executable)", cause: error)
        }
        guard result.succeeded else {
            throw KSecretError(.generic, "\(executable) \(arguments.joined(separator: " ")) exited with status \(result.status)",
                               hints: result.stderrText.split(separator: "\n").prefix(3).map(String.init))
        }
        return result.stdoutText
    }

    /// Replaces this process with `argv` (found on PATH when it has no slash); returns only on failure.
    static func exec(_ argv: [String], environment: KSecretEnvironment) -> KSecretError {
        guard let program = find(argv[0], environment: environment) else {
            return KSecretError(.generic, "cannot find \(argv[0])", hints: ["set HELM_BIN or put helm on PATH"])
        }
        var cArgs = argv.map { strdup($0) }
        cArgs[0] = strdup(program)
        cArgs.append(nil)
        execv(program, cArgs)
        let reason = String(cString: strerror(errno))
        return KSecretError(.generic, "cannot run \(program): \(reason)")
    }

    /// The absolute path of the running ksecret executable.
    static func currentExecutable() throws -> String {
        if let path = ExecutablePath.current() { return path }
        throw KSecretError(.generic, "cannot find the path of the running ksecret executable")
    }
}
