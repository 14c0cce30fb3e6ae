import ArgumentParser
import Foundation
import KSecret

struct Decrypt: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decrypt a file to standard output (or in place).",
        discussion: """
        Example:
          ksecret decrypt secrets.yaml
          ksecret decrypt --extract '["db"]["password"]' secrets.yaml
        """)

    @Argument(help: "The encrypted file (- for standard input).")
    var file: String

    @Flag(name: [.customShort("i"), .customLong("in-place")], help: "Write the plaintext back to the file.")
    var inPlace = false

    @Option(name: .customLong("output"), help: "Write the plaintext to this file instead of standard output.")
    var output: String?

    @Option(name: .customLong("extract"), help: "Print only the value at this path, e.g. '[\"db\"][\"password\"]'.")
    var extract: String?

    @Flag(name: .customLong("ignore-mac"), help: "Do not check the file's MAC.")
    var ignoreMac = false

    @Option(name: .customLong("filename-override"), help: "Use this path to pick the format.")
    var filenameOverride: String?

    @OptionGroup var types: TypeOptions

    func run() throws {
        try Diagnostics.run {
            try WriteTarget.check(inPlace: inPlace, output: output, file: file)
            let path = filenameOverride ?? file
            let input = try types.input(for: path)
            let outputFormat = try types.output(for: path, input: input)
            let bytes = try Input.read(file)
            let engine = SecretsEngine(environment: KSecretEnvironment())
            let opened = try engine.open(bytes, path: path, format: input, ignoreMac: ignoreMac, forRewrite: false)
            let result: [UInt8]
            if let extract {
                result = try opened.extract(TreePath.parse(extract, errorCode: .invalidTreePathFormat), format: outputFormat)
            } else {
                result = try opened.plaintext(format: outputFormat)
            }
            try WriteTarget.write(result, inPlace: inPlace, output: output, file: file)
        }
    }
}
