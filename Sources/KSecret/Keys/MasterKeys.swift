import KSecretSystem
import KSecretPGP

/// Wraps the data key for every master key of a plan, and unwraps it with whatever identity is at
/// hand (Format.md §5). One group: each key holds the whole data key. Several groups: each group
/// holds one Shamir share and `shamir_threshold` groups are needed.
enum MasterKeys {
    static func wrap(_ dataKey: [UInt8], plan: KeyPlan, environment: KSecretEnvironment) throws -> [KeyGroup] {
        guard !plan.isEmpty else {
            throw KSecretError(.noEncryptionKeyFound, "no keys to encrypt the data key to")
        }
        let secrets: [[UInt8]]
        if plan.groups.count == 1 {
            secrets = [dataKey]
        } else {
            let threshold = plan.shamirThreshold ?? plan.groups.count
            guard threshold >= 2, threshold <= plan.groups.count else {
                throw KSecretError(.generic, "shamir threshold \(threshold) is not between 2 and the number of key groups (\(plan.groups.count))")
            }
            secrets = try Shamir.split(dataKey, parts: plan.groups.count, threshold: threshold, random: environment.random)
        }
        let createdAt = environment.timestamp()
        return try zip(plan.groups, secrets).map { group, secret in
            var result = KeyGroup()
            for recipient in group.age {
                result.age.append(AgeKeyEntry(recipient: recipient, enc: try AgeKeyring.wrap(secret, to: recipient)))
            }
            for fingerprint in group.pgp {
                result.pgp.append(try PGPKeys.wrap(secret, to: fingerprint, createdAt: createdAt, environment: environment))
            }
            for uri in group.hcVault {
                result.hcVault.append(try VaultTransitKeys.wrap(secret, uri: uri, createdAt: createdAt, environment: environment))
            }
            return result
        }
    }

    static func unwrap(_ metadata: Metadata, path: String, environment: KSecretEnvironment) throws -> SecretBytes {
        let order = try DecryptionOrder(environment["SOPS_DECRYPTION_ORDER"])
        let keyring = AgeKeyring(environment: environment)
        var shares: [[UInt8]] = []
        var report: [String] = []
        var pgpHints: [String] = []
        var actionable: String?
        var usedPGP = false
        var noSecretKey: [String] = []
        var serviceHints: [String] = []
        for (index, group) in metadata.keyGroups.enumerated() {
            var opened: [UInt8]?
            var missed: [String] = []
            for key in order.keys(of: group) {
                switch key {
                case .age(let entry):
                    if let secret = try keyring.unwrap(entry.enc) { opened = secret } else { missed.append("no age identity for \(entry.recipient)") }
                case .pgp(let entry):
                    usedPGP = true
                    do {
                        opened = try PGPKeys.unwrap(entry, environment: environment)
                    } catch {
                        if case .noSecretKey = error { noSecretKey.append(entry.fp) }
                        let problem = PGPKeys.decryptionProblem(error, fingerprint: entry.fp)
                        missed.append(problem.line)
                        pgpHints += problem.hints.filter { !pgpHints.contains($0) }
                        if problem.actionable && actionable == nil { actionable = problem.line }
                    }
                case .vault(let entry):
                    let name = "\(entry.vaultAddress)/v1/\(entry.enginePath)/keys/\(entry.keyName)"
                    do { opened = try VaultTransitKeys.unwrap(entry, environment: environment) } catch let error as KSecretError {
                        missed.append("\(name): \(error.message)")
                        serviceHints += error.hints.filter { !serviceHints.contains($0) }
                    }
                case .other(_, let name):
                    missed.append("\(name) (not supported)")
                }
                if opened != nil { break }
            }
            if let opened {
                shares.append(opened)
                if metadata.keyGroups.count == 1 { return SecretBytes(opened) }
            } else {
                report.append("group \(index + 1): " + missed.joined(separator: "; "))
            }
        }
        var hints = report + pgpHints + serviceHints
        if metadata.keyGroups.contains(where: { !$0.age.isEmpty }) { hints += keyring.searchedHint() }
        if usedPGP { hints.append("GnuPG home: \(PGPKeys.home(environment))") }
        if metadata.keyGroups.count > 1 {
            let threshold = metadata.shamirThreshold > 0 ? metadata.shamirThreshold : metadata.keyGroups.count
            if shares.count >= threshold {
                return SecretBytes(try Shamir.combine(Array(shares.prefix(threshold))))
            }
            throw KSecretError(.couldNotRetrieveKey,
                               "cannot decrypt the data key of \(path): \(shares.count) of \(metadata.keyGroups.count) key groups opened, \(threshold) needed",
                               hints: hints)
        }
        if let actionable {
            throw KSecretError(.couldNotRetrieveKey, "cannot decrypt the data key of \(path): \(actionable)",
                               hints: hints.filter { $0 != "group 1: " + actionable })
        }
        if noSecretKey.count == metadata.keyGroups.reduce(0, { $0 + $1.keyCount }) {
            throw KSecretError(.couldNotRetrieveKey,
                               "cannot decrypt the data key of \(path): no secret key for any of its PGP keys (\(noSecretKey.joined(separator: ", ")))",
                               hints: hints.filter { !$0.hasPrefix("group 1: ") } + ["import the secret key (gpg --import), or ask someone who can open the file to add your key"])
        }
        throw KSecretError(.couldNotRetrieveKey, "cannot decrypt the data key of \(path): none of its keys could be used",
                           hints: hints)
    }
}
