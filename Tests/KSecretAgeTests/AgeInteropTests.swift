import Foundation
import KSecretCrypto
import Testing
@testable import KSecretAge

/// Round trips with the real `age` 1.1.1 CLI in both directions.
///
/// These need `age` and `age-keygen` on PATH (`make test` installs the Debian package) and skip
/// with that reason otherwise. age reads passphrases only from a terminal, so the scrypt cases
/// drive it through util-linux `script`, which gives it a pty; they skip when `script` is missing.
@Suite("interop with the age CLI", .tags(.interop),
       .enabled(if: AgeTestSupport.which("age") != nil && AgeTestSupport.which("age-keygen") != nil,
                "age and age-keygen are not on PATH (install the Debian package age)"))
struct AgeInteropTests {
    static let hasScript = AgeTestSupport.which("script") != nil

    /// A scratch directory removed when the value is released.
    final class Scratch {
        let url: URL
        init() throws {
            url = FileManager.default.temporaryDirectory.appendingPathComponent("ksecret-age-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(at: url) }
        func path(_ name: String) -> String { url.appendingPathComponent(name).path }
        func write(_ name: String, _ bytes: [UInt8]) throws -> String {
            try Data(bytes).write(to: url.appendingPathComponent(name)); return path(name)
        }
        func read(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: url.appendingPathComponent(name))) }
    }

    struct ProcessFailure: Error, CustomStringConvertible {
        let command: [String]; let status: Int32; let stderr: String
        var description: String { "\(command.joined(separator: " ")) exited \(status): \(stderr)" }
    }

    /// Runs a command with `stdin`, returning stdout; throws with stderr on a non-zero exit.
    @discardableResult
    static func run(_ arguments: [String], stdin: [UInt8] = []) throws -> [UInt8] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: AgeTestSupport.which(arguments[0]) ?? arguments[0])
        process.arguments = Array(arguments.dropFirst())
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input; process.standardOutput = output; process.standardError = errors
        try process.run()
        let writer = Thread { input.fileHandleForWriting.write(Data(stdin)); try? input.fileHandleForWriting.close() }
        writer.start()
        let stdout = output.fileHandleForReading.readDataToEndOfFile()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ProcessFailure(command: arguments, status: process.terminationStatus, stderr: String(decoding: stderr, as: UTF8.self))
        }
        return [UInt8](stdout)
    }

    /// A key pair from `age-keygen`: the identity file's path and the recipient.
    static func ageKeygen(_ scratch: Scratch) throws -> (path: String, recipient: String) {
        let path = scratch.path("age-key.txt")
        try run(["age-keygen", "-o", path])
        let recipient = String(decoding: try run(["age-keygen", "-y", path]), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        return (path, recipient)
    }

    static let sizes = [0, 1, 65536, 65537]

    @Test("ksecret encrypts to an age-keygen key, age -d decrypts", arguments: sizes, [false, true])
    func ksecretToAge(size: Int, armor: Bool) throws {
        let scratch = try Scratch()
        let key = try Self.ageKeygen(scratch)
        let plaintext = SecureBytes.random(size)
        let file = try Age.encrypt(plaintext, to: [X25519Recipient(key.recipient)], armor: armor)
        let input = try scratch.write("in.age", file)
        #expect(try Self.run(["age", "-d", "-i", key.path, input]) == plaintext)
    }

    @Test("age -r (binary and -a) encrypts, ksecret decrypts with the age-keygen identity file", arguments: sizes, [false, true])
    func ageToKsecret(size: Int, armor: Bool) throws {
        let scratch = try Scratch()
        let key = try Self.ageKeygen(scratch)
        let plaintext = SecureBytes.random(size)
        let file = try Self.run(["age", "-r", key.recipient] + (armor ? ["-a"] : []), stdin: plaintext)
        #expect(AgeArmor.looksArmored(file) == armor)
        let identities = try AgeKeyFile.parseIdentities(scratch.read("age-key.txt")).identities
        #expect(try Age.decrypt(file, identities: identities) == plaintext)
    }

    @Test("a file for two recipients from age decrypts with either ksecret identity")
    func multipleRecipients() throws {
        let alice = X25519Identity.generate(), bob = X25519Identity.generate()
        let file = try Self.run(["age", "-r", alice.recipient.string, "-r", bob.recipient.string], stdin: Array("both".utf8))
        #expect(try Age.decrypt(file, identities: [alice]) == Array("both".utf8))
        #expect(try Age.decrypt(file, identities: [bob]) == Array("both".utf8))
    }

    @Test("a ksecret identity file is accepted by age-keygen -y and age -d -i")
    func keygenFile() throws {
        let scratch = try Scratch()
        let (identity, recipient) = AgeKeyGen.generate()
        let keyPath = try scratch.write("key.txt", Array(try AgeKeyGen.identityFile(identity: identity).utf8))
        let derived = String(decoding: try Self.run(["age-keygen", "-y", keyPath]), as: UTF8.self)
        #expect(derived == recipient + "\n")
        let file = try Self.run(["age", "-r", recipient], stdin: Array("keygen".utf8))
        let input = try scratch.write("in.age", file)
        #expect(try Self.run(["age", "-d", "-i", keyPath, input]) == Array("keygen".utf8))
    }

    @Test("ksecret scrypt (work factor 18) decrypts with age -d through a pty", .tags(.slow),
          .enabled(if: hasScript, "util-linux script is needed to give age a terminal for the passphrase"))
    func scryptToAge() throws {
        let scratch = try Scratch()
        let passphrase = "interop passphrase \(UInt32.random(in: 0...UInt32.max))"
        let file = try Age.encrypt(Array("scrypt interop".utf8), to: [ScryptRecipient(passphrase: Array(passphrase.utf8))], armor: true)
        let input = try scratch.write("in.age", file)
        let output = scratch.path("out.txt")
        try Self.run(["script", "-qec", "age -d -o '\(output)' '\(input)'", "/dev/null"], stdin: Array("\(passphrase)\n".utf8))
        #expect(try scratch.read("out.txt") == Array("scrypt interop".utf8))
    }

    @Test("age -p encrypts through a pty, ksecret decrypts with the passphrase", .tags(.slow),
          .enabled(if: hasScript, "util-linux script is needed to give age a terminal for the passphrase"))
    func ageScryptToKsecret() throws {
        let scratch = try Scratch()
        let passphrase = "interop passphrase \(UInt32.random(in: 0...UInt32.max))"
        let plaintext = try scratch.write("in.txt", Array("passphrase interop".utf8))
        let output = scratch.path("out.age")
        try Self.run(["script", "-qec", "age -p -o '\(output)' '\(plaintext)'", "/dev/null"],
                     stdin: Array("\(passphrase)\n\(passphrase)\n".utf8))
        let file = try scratch.read("out.age")
        #expect(try AgeHeader.parse(file).stanzas.map(\.type) == ["scrypt"])
        #expect(try Age.decrypt(file, identities: [ScryptIdentity(passphrase: Array(passphrase.utf8))]) == Array("passphrase interop".utf8))
        #expect(throws: AgeError.noMatch(["scrypt"])) {
            try Age.decrypt(file, identities: [ScryptIdentity(passphrase: Array("wrong".utf8))])
        }
    }
}
