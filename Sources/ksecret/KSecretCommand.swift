import ArgumentParser
import Foundation
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
                      Rotate.self, UpdateKeys.self, Groups.self, Offboard.self, ExecEnv.self, ExecFile.self, FileStatus.self, Keygen.self, Git.self, AuditCommand.self,
                      Helm.self, DB.self, DDNS.self]
    )

    static func main() {
        MallocTuning.forShortRun()
        let arguments = Array(CommandLine.arguments.dropFirst())
        if NetExecutable.handles(arguments) { NetExecutable.exec(arguments) }
        if let status = DecryptFastPath.run(arguments) ?? EncryptFastPath.run(arguments) {
            Foundation.exit(status)
        }
        // helm runs the downloader once per secrets:// value file at every render: no argument parser.
        if arguments.count >= 3, arguments[0] == "helm", arguments[1] == "downloader", let url = arguments.last, !url.hasPrefix("-") {
            do {
                try Diagnostics.run {
                    Output.write(try HelmDownloader.fetch(try SecretsURL.parse(url), environment: KSecretEnvironment()))
                }
            } catch {
                Foundation.exit(Diagnostics.status(of: error))
            }
            Foundation.exit(0)
        }
        main(nil)
    }
}

/// glibc's allocator tuned for a process that lives for one command: freed memory is kept for
/// reuse instead of being handed back to the kernel and faulted in again (a large file's parse
/// and write free and grow buffers many times; this saved about a tenth of the page faults and
/// of the system time of a 20,000-value encryption).
enum MallocTuning {
    static func forShortRun() {
        #if os(Linux)
        _ = mallopt(mmapThreshold, 256 << 20)  // large buffers from the heap too, where they are reused
        _ = mallopt(topPad, 32 << 20)          // grow the heap in large steps
        _ = mallopt(trimThreshold, 512 << 20)  // and never shrink it
        #endif
    }

    // <malloc.h>'s M_TRIM_THRESHOLD, M_TOP_PAD and M_MMAP_THRESHOLD (not in the Glibc module).
    private static let trimThreshold: Int32 = -1
    private static let topPad: Int32 = -2
    private static let mmapThreshold: Int32 = -3
}

#if os(Linux)
@_silgen_name("mallopt") private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif
