import KSecretSystem

/// A master key being removed: an age recipient or a PGP fingerprint.
public enum Recipient: Sendable, Equatable, CustomStringConvertible {
    case age(String)
    case pgp(String)

    public var description: String {
        switch self {
        case .age(let r): return "age recipient \(r)"
        case .pgp(let fp): return "pgp key \(fp)"
        }
    }

    /// Fingerprints compare without spaces and case.
    static func normalized(_ fingerprint: String) -> String { fingerprint.replacingBytes(of: " ", with: "").uppercased() }

    func matches(age value: String) -> Bool { if case .age(let r) = self { return r == value.trimmingWhitespace() } else { return false } }
    func matches(pgp value: String) -> Bool { if case .pgp(let fp) = self { return Self.normalized(fp) == Self.normalized(value) } else { return false } }

    public func isNamed(in plan: KeyPlan) -> Bool {
        plan.groups.contains { $0.age.contains(where: matches(age:)) || $0.pgp.contains(where: matches(pgp:)) }
    }

    /// `plan` without this key (a group left empty is dropped, as `KeyPlan` does).
    public func removed(from plan: KeyPlan) -> KeyPlan {
        KeyPlan(groups: plan.groups.map { g in
            KeyGroupRule(age: g.age.filter { !matches(age: $0) }, pgp: g.pgp.filter { !matches(pgp: $0) }, hcVault: g.hcVault)
        }, shamirThreshold: plan.shamirThreshold)
    }
}
