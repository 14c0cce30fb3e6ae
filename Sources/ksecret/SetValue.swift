import ArgumentParser
import KSecretSystem
import KSecret

struct SetValue: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Set one value of an encrypted file, in place.",
        discussion: HelpText.reflow("""
        The value is JSON ("text", 5, true, {"a": 1}); other values keep their ciphertext.
        Example:
          ksecret set secrets.yaml '["db"]["password"]' '"n3w-pa55"'
          printf '"%s"' "$PW" | ksecret set --value-stdin secrets.yaml '["db"]["password"]'
        """))

    @Argument var file: String
    @Argument(help: "The key path, e.g. '[\"db\"][\"password\"]'.") var path: String
    @Argument(help: "The value as JSON (omit with --value-file or --value-stdin).") var value: String?

    @Option(name: .customLong("value-file"), help: "Read the JSON value from this file.") var valueFile: String?
    @Flag(name: .customLong("value-stdin"), help: "Read the JSON value from standard input.") var valueStdin = false
    @Flag(name: .customLong("idempotent"), help: "Do not write the file when the value is already set.") var idempotent = false
    @Flag(name: .customLong("ignore-mac"), help: "Do not check the file's MAC.") var ignoreMac = false
    @OptionGroup var types: TypeOptions

    func run() throws {
        try Diagnostics.run {
            let sources = [value != nil, valueFile != nil, valueStdin].filter { $0 }.count
            guard sources == 1 else {
                throw KSecretError(.invalidSetFormat, "give the value exactly once: as an argument, --value-file or --value-stdin")
            }
            let json: [UInt8]
            if let value { json = Array(value.utf8) }
            else if let valueFile { json = try AtomicFile.read(valueFile) }
            else { json = try Input.standardInput() }
            let components = try TreePath.parse(path, errorCode: .invalidSetFormat)
            let newValue = try JSONValue.parse(json)
            let bytes = try AtomicFile.read(file)
            let engine = SecretsEngine(environment: KSecretEnvironment())
            let opened = try engine.open(bytes, path: file, format: try types.input(for: file), ignoreMac: ignoreMac)
            let current = try? opened.document.value(at: components)
            if idempotent, let current, current.sameValue(as: newValue) { return }
            let document = opened.document.setting(newValue, at: components)
            try AtomicFile.write(try engine.reseal(opened, document: document), to: file)
        }
    }
}

struct UnsetValue: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unset",
        abstract: "Remove one key or list item of an encrypted file, in place.",
        discussion: "Example:\n  ksecret unset secrets.yaml '[\"db\"][\"options\"]'")

    @Argument var file: String
    @Argument var path: String
    @Flag(name: .customLong("idempotent"), help: "Succeed when the path does not exist.") var idempotent = false
    @Flag(name: .customLong("ignore-mac"), help: "Do not check the file's MAC.") var ignoreMac = false
    @OptionGroup var types: TypeOptions

    func run() throws {
        try Diagnostics.run {
            let components = try TreePath.parse(path, errorCode: .invalidSetFormat)
            let bytes = try AtomicFile.read(file)
            let engine = SecretsEngine(environment: KSecretEnvironment())
            let opened = try engine.open(bytes, path: file, format: try types.input(for: file), ignoreMac: ignoreMac)
            if (try? opened.document.value(at: components)) == nil {
                if idempotent { return }
                throw KSecretError(.invalidSetFormat, "nothing to unset at \(path)", location: SourceLocation(file: file))
            }
            let document = try opened.document.unsetting(at: components)
            try AtomicFile.write(try engine.reseal(opened, document: document), to: file)
        }
    }
}

struct Replace: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rewrite an encrypted file from new plaintext, keeping unchanged values' ciphertext.",
        discussion: HelpText.reflow("""
        The data key and recipients stay; every value whose path and plaintext did not change keeps
        its exact ciphertext, so a git diff shows only what changed.
        Example:
          ksecret replace secrets.yaml --from new-plain.yaml
          render-secrets | ksecret replace secrets.yaml
        """))

    @Argument(help: "The encrypted file to rewrite in place.") var file: String
    @Option(name: .customLong("from"), help: "The new plaintext (default: standard input).") var from: String?
    @Option(name: .customLong("output"), help: "Write the result here instead of in place.") var output: String?
    @Flag(name: .customLong("ignore-mac"), help: "Do not check the file's MAC.") var ignoreMac = false
    @OptionGroup var types: TypeOptions

    func run() throws {
        try Diagnostics.run {
            let format = try types.input(for: file)
            let bytes = try AtomicFile.read(file)
            let plaintext = try from.map(Input.read) ?? Input.standardInput()
            let engine = SecretsEngine(environment: KSecretEnvironment())
            let opened = try engine.open(bytes, path: file, format: format, ignoreMac: ignoreMac)
            let (result, summary) = try engine.replace(opened, plaintext: plaintext, path: from ?? "-")
            try AtomicFile.write(result, to: output ?? file)
            StandardStreams.writeError("ksecret: \(summary.changed) value(s) changed, \(summary.kept) kept their ciphertext\n")
        }
    }
}
