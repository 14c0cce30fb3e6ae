import ArgumentParser
import KSecretSystem
import KSecret

struct Keygen: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate an age identity, or print the recipients of one (-y).",
        discussion: HelpText.reflow("""
        Example:
          ksecret keygen -o ~/.config/sops/age/keys.txt
          ksecret keygen -y ~/.config/sops/age/keys.txt
        """))

    @Option(name: [.customShort("o"), .customLong("output")], help: "Write the identity to this file (mode 0600).")
    var output: String?

    @Flag(name: .customShort("y"), help: "Print the recipients of the identity file given as argument.")
    var convert = false

    @Argument(help: "With -y: the identity file (- for standard input).")
    var file: String?

    func run() throws {
        try Diagnostics.run {
            let environment = KSecretEnvironment()
            if convert {
                let text = String(decoding: try Input.read(file ?? "-"), as: UTF8.self)
                let recipients = try AgeKeyring.recipients(ofIdentityFile: text, path: file ?? "standard input")
                Output.write(Array((recipients.joined(separator: "\n") + "\n").utf8))
                return
            }
            let (text, recipient) = AgeKeyring.generateIdentityFile(now: environment.timestamp())
            if let output {
                if FileManager.default.fileExists(atPath: output) {
                    throw KSecretError(.couldNotWriteOutputFile, "\(output) exists; refusing to overwrite a key file",
                                       hints: ["remove it first if you mean to replace it"])
                }
                try AtomicFile.write(Array(text.utf8), to: output, mode: 0o600)
                StandardStreams.writeError("Public key: \(recipient)\n")
            } else {
                Output.write(Array(text.utf8))
            }
        }
    }
}
