import ArgumentParser
import KSecretSystem
import KSecret
#if canImport(Glibc)
import Glibc
#endif

struct Edit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Edit an encrypted file in $SOPS_EDITOR or $EDITOR; unchanged values keep their ciphertext.",
        discussion: HelpText.reflow("""
        The plaintext goes to a 0600 file inside a fresh 0700 directory, removed on every exit path
        (including Ctrl-C). Invalid syntax reopens the editor with the error shown. Exit 200 when
        nothing changed. A file that does not exist yet starts from an example and is encrypted with
        the matching creation rule or the key flags.
        Example:
          ksecret edit charts/app/secrets.yaml
        """))

    @Argument var file: String
    @Flag(name: .customLong("ignore-mac"), help: "Do not check the file's MAC.") var ignoreMac = false
    @Option(name: .customLong("config"), help: "Path of the .sops.yaml to use for a new file.") var config: String?
    @OptionGroup var types: TypeOptions
    @OptionGroup var keys: KeyOptions
    @OptionGroup var selection: SelectionOptions

    func run() throws {
        try Diagnostics.run {
            let environment = KSecretEnvironment()
            let format = try types.input(for: file)
            let engine = SecretsEngine(environment: environment)
            let exists = FileManager.default.fileExists(atPath: file)
            var opened: OpenedFile?
            var plaintext: [UInt8]
            var newFileOptions: EncryptOptions?
            if exists {
                let o = try engine.open(try AtomicFile.read(file), path: file, format: format, ignoreMac: ignoreMac)
                plaintext = try o.plaintext(format: format)
                opened = o
            } else {
                newFileOptions = try KeyResolution.options(path: file, input: format, output: format, config: config,
                                                           keys: keys.plan(environment: environment), selection: selection.given(),
                                                           macOnlyEncrypted: selection.macOnlyEncrypted, environment: environment)
                plaintext = Array(Self.example(for: format).utf8)
            }
            let session = try EditSession(name: URL(fileURLWithPath: file).lastPathComponent)
            defer { session.remove() }
            let original = plaintext
            while true {
                try session.write(plaintext)
                try session.runEditor(environment: environment)
                let edited = try session.read()
                if edited == original {
                    if exists { throw KSecretError(.fileHasNotBeenModified, "\(file) has not been modified") }
                }
                do {
                    let result: [UInt8]
                    if let opened {
                        result = try engine.replace(opened, plaintext: edited, path: file).bytes
                    } else {
                        result = try engine.encrypt(edited, options: newFileOptions!)
                    }
                    try AtomicFile.write(result, to: file)
                    return
                } catch let error as KSecretError where error.code == .couldNotReadInputFile || error.code == .errorEncryptingTree || error.code == .needAtLeastOneDocument {
                    _ = Diagnostics.report(error)
                    guard isatty(STDIN_FILENO) == 1 else { throw error }
                    StandardStreams.writeError("ksecret: press Enter to reopen the editor and fix it (Ctrl-C to give up)\n")
                    _ = readLine()
                    plaintext = edited
                }
            }
        }
    }

    static func example(for format: FileFormat) -> String {
        switch format {
        case .yaml: return "hello: Welcome to ksecret! Edit this file as you please.\nexample_key: example_value\n# Example comment\nexample_array:\n    - example_value1\n    - example_value2\nexample_number: 1234.56789\nexample_booleans:\n    - true\n    - false\n"
        case .json: return "{\n\t\"hello\": \"Welcome to ksecret! Edit this file as you please.\",\n\t\"example_key\": \"example_value\",\n\t\"example_array\": [\n\t\t\"example_value1\",\n\t\t\"example_value2\"\n\t],\n\t\"example_number\": 1234.56789\n}\n"
        case .dotenv: return "hello=Welcome to ksecret! Edit this file as you please.\nexample_key=example_value\n"
        case .ini: return "[example]\nhello = Welcome to ksecret! Edit this file as you please.\n"
        case .binary: return "Welcome to ksecret! Edit this file as you please.\n"
        }
    }
}

/// The editor's plaintext file: 0600, inside a `ScratchDirectory` (0700, removed on every exit path,
/// including SIGINT/SIGTERM/SIGHUP to ksecret and, on the next run, after a SIGKILL).
final class EditSession {
    let scratch: ScratchDirectory
    var path: String { scratch.path }

    init(name: String) throws {
        scratch = try ScratchDirectory(kind: "edit", fileName: name)
    }

    func write(_ bytes: [UInt8]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw KSecretError(.couldNotWriteOutputFile, "cannot create the editor's file") }
        defer { close(fd) }
        fchmod(fd, 0o600)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, bytes.count - offset) }
            guard n > 0 else { throw KSecretError(.couldNotWriteOutputFile, "cannot write the editor's file") }
            offset += n
        }
    }

    func read() throws -> [UInt8] { try AtomicFile.read(path) }

    /// Runs `$SOPS_EDITOR`, `$EDITOR` (split like a shell would), or the first of vim, nano, vi.
    func runEditor(environment: KSecretEnvironment) throws {
        var argv: [String]
        if let command = environment["SOPS_EDITOR"] ?? environment["EDITOR"] {
            argv = ShellWordSplitter.split(command)
        } else {
            let path = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
            guard let found = ["vim", "nano", "vi"].first(where: { name in path.contains { FileManager.default.isExecutableFile(atPath: $0 + "/" + name) } }) else {
                throw KSecretError(.noEditorFound, "no editor found", hints: ["set SOPS_EDITOR or EDITOR"])
            }
            argv = [found]
        }
        guard !argv.isEmpty else { throw KSecretError(.noEditorFound, "the editor command is empty") }
        let result: ChildProcess.Result
        do {
            result = try ChildProcess.run("/usr/bin/env", argv + [path], stdin: .inherit, stdout: .inherit, stderr: .inherit)
        } catch {
            throw KSecretError(.noEditorFound, "cannot start the editor \(argv[0])", cause: error)
        }
        guard result.succeeded else {
            throw KSecretError(.generic, "the editor exited with status \(result.status); the file was not changed")
        }
    }

    func remove() { scratch.remove() }
}

