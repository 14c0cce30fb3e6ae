import KSecretSystem

/// Vault / OpenBao transit master keys (Format.md §8b): the data key is wrapped by the server's
/// transit engine (`POST /v1/ENGINE/encrypt/KEY`), and the metadata keeps the `vault:v1:…`
/// ciphertext with the server's address, engine path and key name, as sops writes `hc_vault`.
///
/// HTTP lives in the `ksecret-net` helper binary, not here: linking an HTTP client (libcurl and
/// its dependencies) into `ksecret` would triple the start-up time of every decrypt, which helm
/// pays at each render. The data key goes to the helper through a pipe (never an argument or a
/// file); its answer comes back the same way.
public enum VaultTransitKeys {
    /// A transit key URI: `SCHEME://HOST[:PORT]/v1/ENGINE/PATH/keys/NAME`.
    public struct KeyURI: Sendable, Equatable, CustomStringConvertible {
        public var address: String
        public var enginePath: String
        public var keyName: String

        public init(address: String, enginePath: String, keyName: String) {
            self.address = address
            self.enginePath = enginePath
            self.keyName = keyName
        }

        public init(parsing uri: String) throws {
            guard let components = URLComponents(string: uri), let scheme = components.scheme, scheme == "http" || scheme == "https",
                  let host = components.host, !host.isEmpty else {
                throw KSecretError(.generic, "invalid Vault transit URI \(uri)",
                                   hints: ["the form is https://vault.example.org:8200/v1/transit/keys/NAME"])
            }
            let parts = components.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
            guard parts.count >= 4, parts[0] == "v1", parts[parts.count - 2] == "keys", !parts.last!.isEmpty,
                  parts[1..<(parts.count - 2)].allSatisfy({ !$0.isEmpty }) else {
                throw KSecretError(.generic, "invalid Vault transit URI \(uri): the path must be /v1/ENGINE/keys/NAME",
                                   hints: ["the form is https://vault.example.org:8200/v1/transit/keys/NAME"])
            }
            address = "\(scheme)://\(host)" + (components.port.map { ":\($0)" } ?? "")
            enginePath = parts[1..<(parts.count - 2)].joined(separator: "/")
            keyName = parts.last!
        }

        public var description: String { "\(address)/v1/\(enginePath)/keys/\(keyName)" }
    }

    static func wrap(_ secret: [UInt8], uri: String, createdAt: String, environment: KSecretEnvironment) throws -> VaultKeyEntry {
        let key = try KeyURI(parsing: uri)
        let output = try runHelper(["transit", "encrypt", "--address", key.address, "--engine", key.enginePath, "--key", key.keyName],
                                   input: Array(Data(secret).base64EncodedString().utf8) + [0x0A], environment: environment)
        let ciphertext = String(decoding: output, as: UTF8.self).trimmingWhitespace()
        guard ciphertext.hasPrefix("vault:") else {
            throw KSecretError(.noEncryptionKeyFound, "Vault at \(key.address) returned no transit ciphertext for key \(key.keyName)")
        }
        return VaultKeyEntry(vaultAddress: key.address, enginePath: key.enginePath, keyName: key.keyName, createdAt: createdAt, enc: ciphertext)
    }

    static func unwrap(_ entry: VaultKeyEntry, environment: KSecretEnvironment) throws -> [UInt8] {
        var output = try runHelper(["transit", "decrypt", "--address", entry.vaultAddress, "--engine", entry.enginePath, "--key", entry.keyName],
                                   input: Array(entry.enc.utf8) + [0x0A], environment: environment)
        defer { _ = output.withUnsafeMutableBytes { $0.initializeMemory(as: UInt8.self, repeating: 0) } }
        let text = String(decoding: output, as: UTF8.self).trimmingWhitespace()
        guard let decoded = Data(base64Encoded: text) else {
            throw KSecretError(.couldNotRetrieveKey, "Vault at \(entry.vaultAddress) returned a malformed plaintext for key \(entry.keyName)")
        }
        return [UInt8](decoded)
    }

    /// The helper binary (NetHelper: `$KSECRET_NET`, else beside the running executable, else on PATH).
    static func helperPath(environment: KSecretEnvironment) -> String? {
        NetHelper.path(environment: environment)
    }

    /// Runs the helper with `input` on its standard input. Its standard error carries a message
    /// line and `hint:` lines on failure; exit 3 is "unreachable", 4 "denied", 5 "key missing".
    static func runHelper(_ arguments: [String], input: [UInt8], environment: KSecretEnvironment) throws -> [UInt8] {
        let outcome: NetHelper.Outcome?
        do { outcome = try NetHelper.run(arguments, input: input, environment: environment) } catch var error as KSecretError {
            error.code = .couldNotRetrieveKey
            throw error
        }
        guard let outcome else {
            throw KSecretError(.couldNotRetrieveKey, "ksecret-net, which talks to Vault, was not found beside ksecret or on PATH",
                               hints: ["install both binaries (make install) or set KSECRET_NET to its path"])
        }
        guard outcome.status == 0 else {
            let encrypting = arguments.count > 1 && arguments[1] == "encrypt"
            throw KSecretError(encrypting ? .noEncryptionKeyFound : .couldNotRetrieveKey,
                               outcome.message ?? "ksecret-net exited with status \(outcome.status)", hints: outcome.hints)
        }
        return outcome.output
    }
}
