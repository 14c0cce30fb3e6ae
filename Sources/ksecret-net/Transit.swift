import ArgumentParser
import Foundation
import KSecretVault

/// `ksecret-net transit encrypt|decrypt`: one transit operation, the secret on standard input and
/// the result on standard output, so neither appears in a process argument. On failure: a message
/// line and `hint:` lines on standard error, and the status of `TransitError.exitCode`.
struct Transit: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Wrap or unwrap a data key with a Vault/OpenBao transit key (standard input to standard output).",
        subcommands: [Encrypt.self, Decrypt.self])

    struct Key: ParsableArguments {
        @Option(help: "The server, e.g. https://vault.example.org:8200.") var address: String
        @Option(help: "The transit engine's mount path, e.g. transit.") var engine: String
        @Option(help: "The transit key's name.") var key: String

        var client: TransitClient { TransitClient(address: address, enginePath: engine, keyName: key) }
    }

    struct Encrypt: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Base64 plaintext on standard input; prints the vault:v1: ciphertext.")
        @OptionGroup var key: Key
        func run() throws {
            try Transit.perform {
                var input = Transit.readInput()
                defer { Transit.zero(&input) }
                guard let plaintext = Data(base64Encoded: String(decoding: input, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) else {
                    throw ValidationError("standard input is not base64")
                }
                return Array(try key.client.encrypt([UInt8](plaintext)).utf8) + [0x0A]
            }
        }
    }

    struct Decrypt: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The vault:v1: ciphertext on standard input; prints the base64 plaintext.")
        @OptionGroup var key: Key
        func run() throws {
            try Transit.perform {
                let ciphertext = String(decoding: Transit.readInput(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                var plaintext = try key.client.decrypt(ciphertext)
                defer { Transit.zero(&plaintext) }
                return Array(Data(plaintext).base64EncodedString().utf8) + [0x0A]
            }
        }
    }

    static func readInput() -> [UInt8] { [UInt8](FileHandle.standardInput.readDataToEndOfFile()) }

    static func zero(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: 0) }
    }

    static func perform(_ body: () throws -> [UInt8]) throws {
        do {
            var output = try body()
            FileHandle.standardOutput.write(Data(output))
            zero(&output)
        } catch let error as TransitError {
            FileHandle.standardError.write(Data(([error.message] + error.hints.map { "hint: " + $0 }).joined(separator: "\n").utf8 + [0x0A]))
            throw ExitCode(error.exitCode)
        }
    }
}
