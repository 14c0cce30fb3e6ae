import Foundation

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
            if !group.pgp.isEmpty {
                throw KSecretError(.noEncryptionKeyFound, "PGP keys are not supported yet (\(group.pgp.joined(separator: ", ")))",
                                   hints: ["use age recipients for now"])
            }
            for uri in group.hcVault {
                result.hcVault.append(try VaultTransitKeys.wrap(secret, uri: uri, createdAt: createdAt, environment: environment))
            }
            return result
        }
    }

    static func unwrap(_ metadata: Metadata, path: String, environment: KSecretEnvironment) throws -> SecretBytes {
        let keyring = AgeKeyring(environment: environment)
        var shares: [[UInt8]] = []
        var report: [String] = []
        var serviceHints: [String] = []
        for (index, group) in metadata.keyGroups.enumerated() {
            var opened: [UInt8]?
            var tried: [String] = []
            for entry in group.age {
                tried.append(entry.recipient)
                if let secret = try keyring.unwrap(entry.enc) { opened = secret; break }
            }
            if !group.pgp.isEmpty { tried.append(contentsOf: group.pgp.map { "pgp:" + $0.fp }) }
            for entry in group.hcVault where opened == nil {
                let name = "\(entry.vaultAddress)/v1/\(entry.enginePath)/keys/\(entry.keyName)"
                do { opened = try VaultTransitKeys.unwrap(entry, environment: environment) } catch let error as KSecretError {
                    tried.append("\(name) (\(error.message))")
                    serviceHints += error.hints.filter { !serviceHints.contains($0) }
                }
            }
            if let opened {
                shares.append(opened)
                if metadata.keyGroups.count == 1 { return SecretBytes(opened) }
            } else {
                report.append("group \(index + 1): could not open it with \(tried.joined(separator: ", "))")
            }
        }
        let ageHint = metadata.keyGroups.contains { !$0.age.isEmpty } ? keyring.searchedHint() : []
        if metadata.keyGroups.count > 1 {
            let threshold = metadata.shamirThreshold > 0 ? metadata.shamirThreshold : metadata.keyGroups.count
            if shares.count >= threshold {
                return SecretBytes(try Shamir.combine(Array(shares.prefix(threshold))))
            }
            throw KSecretError(.couldNotRetrieveKey,
                               "cannot decrypt the data key of \(path): \(shares.count) of \(metadata.keyGroups.count) key groups opened, \(threshold) needed",
                               hints: report + serviceHints + ageHint)
        }
        throw KSecretError(.couldNotRetrieveKey, "cannot decrypt the data key of \(path): none of its keys could be used",
                           hints: report + serviceHints + ageHint)
    }
}
