import KSecretSystem
import KSecretAge
import KSecretCrypto
import KSecretPGP

/// A passphrase-protected age identity file (`age-keygen | age -p > keys.age`, armored or not), in
/// any place age identities come from: `SOPS_AGE_KEY_FILE`, `SOPS_AGE_KEY`, `SOPS_AGE_KEY_CMD`'s
/// output or the default key file. sops 3.10 and later read these; so does ksecret.
///
/// Known, as sops knows it, by its first 14 bytes: `age-encryption` or `-----BEGIN AGE`. It is
/// opened only when a data key has to be unwrapped and no identity before it did so; the
/// passphrase is asked once per process, of a running gpg-agent (its pinentry and cache, under
/// sops's cache id, as sops asks) else on the terminal, and the identities inside are then tried
/// like any others.
final class EncryptedAgeIdentities: AgeIdentity, @unchecked Sendable {
    /// Where the file came from, as the error messages and the prompt name it.
    let source: String
    /// sops's name for the source, the gpg-agent cache id.
    let cacheID: String
    private let contents: [UInt8]
    private let environment: KSecretEnvironment

    init(source: String, cacheID: String, contents: [UInt8], environment: KSecretEnvironment) {
        self.source = source
        self.cacheID = cacheID
        self.contents = contents
        self.environment = environment
    }

    static func isEncrypted(_ bytes: [UInt8]) -> Bool {
        let head = bytes.prefix(14)
        return head.elementsEqual("age-encryption".utf8) || head.elementsEqual("-----BEGIN AGE".utf8)
    }

    func unwrap(stanzas: [AgeStanza]) throws -> [UInt8]? {
        for identity in try Self.unlocked.value(for: contents, computing: unlock) {
            if let fileKey = try identity.unwrap(stanzas: stanzas) { return fileKey }
        }
        return nil
    }

    /// The identities inside, after asking for the passphrase.
    private func unlock() throws -> [any AgeIdentity] {
        var text: [UInt8]
        do {
            let binary = AgeArmor.looksArmored(contents) ? try AgeArmor.decode(contents) : contents
            let header = try AgeHeader.parse(binary)
            guard header.stanzas.count == 1, header.stanzas[0].type == "scrypt" else {
                throw KSecretError(.couldNotRetrieveKey, "the age identities in \(source) are encrypted, but not with a passphrase",
                                   hints: ["ksecret opens identity files encrypted with `age -p`"])
            }
            let request = PassphraseRequest(source: source, cacheID: cacheID, prompt: "Enter passphrase for the age identities in \(source): ")
            var passphrase: [UInt8]
            do { passphrase = try ask(request) } catch {
                throw KSecretError(.couldNotRetrieveKey, "cannot ask for the passphrase of the age identities in \(source): \(error)",
                                   hints: ["run ksecret in a terminal or with gpg-agent running, or hand the identities over with SOPS_AGE_KEY_CMD (a password manager's command)"],
                                   cause: error)
            }
            defer { SecureBytes.zero(&passphrase) }
            do { text = try Age.decrypt(binary, identities: [ScryptIdentity(passphrase: passphrase)]) } catch AgeError.noMatch {
                // A wrong passphrase must not stay in the agent's cache, as sops also makes sure.
                if environment.askPassphrase == nil { agent.forget(cacheID: cacheID) }
                throw KSecretError(.couldNotRetrieveKey, "incorrect passphrase for the age identities in \(source)")
            }
        } catch let error as AgeError {
            throw KSecretError(.couldNotRetrieveKey, "cannot open the encrypted age identities in \(source)", cause: error)
        }
        defer { SecureBytes.zero(&text) }
        do { return try AgeKeyFile.parseIdentities(text, skippingUnsupported: true).identities } catch {
            throw KSecretError(.couldNotRetrieveKey, "the decrypted \(source) holds no readable age identities",
                               hints: [AgeKeyring.identityLinesHint], cause: error)
        }
    }

    private var agent: GPGAgentPassphrase {
        GPGAgentPassphrase(homeDirectory: environment["GNUPGHOME"], agentInfo: environment["GPG_AGENT_INFO"],
                           display: environment["DISPLAY"], terminalType: environment["TERM"])
    }

    /// The test's answer, else gpg-agent's (when one runs), else the terminal's. An agent that
    /// cannot show its pinentry (no display, no terminal of its own) hands over to the terminal;
    /// one whose prompt was canceled does not.
    private func ask(_ request: PassphraseRequest) throws -> [UInt8] {
        if let answer = environment.askPassphrase { return try answer(request) }
        var agentFailure: GPGAgentPassphrase.Failure?
        do {
            if let passphrase = try agent.ask(cacheID: request.cacheID, description: "Enter the passphrase for the age identities in \(request.source).") {
                return passphrase
            }
        } catch .canceled {
            throw GPGAgentPassphrase.Failure.canceled
        } catch {
            agentFailure = error
        }
        do { return try TerminalPassphrase.ask(prompt: request.prompt) } catch {
            guard let agentFailure else { throw error }
            throw PassphraseUnavailable(reasons: ["\(agentFailure)", "\(error)"])
        }
    }

    /// Neither gpg-agent nor the terminal could ask.
    struct PassphraseUnavailable: Error, CustomStringConvertible {
        var reasons: [String]
        var description: String { reasons.joined(separator: "; ") }
    }

    /// Opened files for the rest of the process, by their encrypted bytes: a bulk command (rotate
    /// --all, audit --verify) or a file with several age key groups asks once.
    private static let unlocked = OncePerKey<[UInt8], [any AgeIdentity]>()
}
