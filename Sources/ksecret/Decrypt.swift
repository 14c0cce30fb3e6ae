import ArgumentParser
import KSecretSystem
import KSecret

struct Decrypt: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decrypt a file to standard output (or in place).",
        discussion: HelpText.reflow("""
        Example:
          ksecret decrypt secrets.yaml
          ksecret decrypt --extract '["db"]["password"]' secrets.yaml
        """))

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

    @Option(name: .customLong("decryption-order"), help: "Key kinds to try first, comma-separated (default: $SOPS_DECRYPTION_ORDER, else age,pgp).")
    var decryptionOrder: String?

    @OptionGroup var types: TypeOptions

    func run() throws {
        try Diagnostics.run {
            try Self.perform(file: file, inPlace: inPlace, output: output, extract: extract, ignoreMac: ignoreMac,
                             filenameOverride: filenameOverride, decryptionOrder: decryptionOrder, types: types.choice)
        }
    }

    static func perform(file: String, inPlace: Bool = false, output: String? = nil, extract: String? = nil, ignoreMac: Bool = false,
                        filenameOverride: String? = nil, decryptionOrder: String? = nil, types: FormatChoice,
                        exitWhenDone: Bool = false) throws {
        do {
            try WriteTarget.check(inPlace: inPlace, output: output, file: file)
            let path = filenameOverride ?? file
            let input = try types.input(for: path)
            let outputFormat = try types.output(for: path, input: input)
            let bytes = try Input.read(file)
            var environment = KSecretEnvironment()
            if let decryptionOrder { environment.variables["SOPS_DECRYPTION_ORDER"] = decryptionOrder }
            let opened = try SecretsEngine(environment: environment).open(bytes, path: path, format: input, ignoreMac: ignoreMac, forRewrite: false)
            let result: [UInt8]
            if let extract {
                result = try opened.extract(TreePath.parse(extract, errorCode: .invalidTreePathFormat), format: outputFormat)
            } else {
                result = try opened.plaintext(format: outputFormat)
            }
            try WriteTarget.write(result, inPlace: inPlace, output: output, file: file)
            // The output is written (unbuffered): end the process here rather than free a large
            // file's trees one object at a time (5% of a 20,000-value decryption).
            if exitWhenDone { exitProcess(0) }
        }
    }
}

/// The command line of a helm render or a script, `ksecret decrypt [--ignore-mac] [--input-type T]
/// [--output-type T] [--extract P] FILE`, handled without building the whole command tree:
/// argument parsing by reflection is a third of a small decryption's time. Anything else
/// (other flags, help, errors in the arguments) goes through swift-argument-parser as usual.
enum DecryptFastPath {
    static func run(_ arguments: [String]) -> Int32? {
        guard let line = FastArguments(arguments, command: "decrypt", flags: ["--ignore-mac"],
                                       options: ["--input-type", "--output-type", "--extract"])
        else { return nil }
        return FastArguments.status {
            try Decrypt.perform(file: line.file, extract: line.value("--extract"), ignoreMac: line.has("--ignore-mac"),
                                types: FormatChoice(inputType: line.value("--input-type"), outputType: line.value("--output-type")),
                                exitWhenDone: true)
        }
    }
}
