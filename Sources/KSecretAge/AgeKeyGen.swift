#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// New X25519 key pairs, and identity files in `age-keygen`'s format.
public enum AgeKeyGen {
    /// A fresh identity (`AGE-SECRET-KEY-1…`, secret) and its recipient (`age1…`).
    public static func generate() -> (identity: String, recipient: String) {
        let identity = X25519Identity.generate()
        return (identity.string, identity.recipient.string)
    }

    /// The text `age-keygen` writes: `# created: <RFC 3339 UTC>`, `# public key: age1…`, the key.
    /// `age -d -i` and `age-keygen -y` accept it. `createdAt` is Unix seconds, so tests can pin it.
    public static func identityFile(identity: String, createdAt: Int64 = currentUnixTime()) throws -> String {
        let parsed = try X25519Identity(identity)
        return "# created: \(rfc3339(createdAt))\n# public key: \(parsed.recipient.string)\n\(identity)\n"
    }

    /// Seconds since the Unix epoch from the system clock.
    public static func currentUnixTime() -> Int64 { Int64(time(nil)) }

    /// `YYYY-MM-DDTHH:MM:SSZ` for Unix seconds (days-from-civil inverse, proleptic Gregorian).
    static func rfc3339(_ seconds: Int64) -> String {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func pad(_ value: Int64, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        return "\(pad(year, 4))-\(pad(month, 2))-\(pad(day, 2))T\(pad(secondOfDay / 3600, 2)):"
            + "\(pad(secondOfDay % 3600 / 60, 2)):\(pad(secondOfDay % 60, 2))Z"
    }
}
