import Foundation

/// Sizes of the long harnesses (crash safety, no-plaintext, tamper): `make test` runs them short,
/// `make crash` and `make tamper` at full size with `KSECRET_HARNESS_SCALE=1`.
enum Harness {
    /// `KSECRET_HARNESS_SCALE`: a factor on each harness's full count (default 0.1; `full` = 1).
    static var scale: Double {
        let text = ProcessInfo.processInfo.environment["KSECRET_HARNESS_SCALE"] ?? ""
        if text == "full" { return 1 }
        return Double(text).map { max($0, 0.001) } ?? 0.1
    }

    /// `full` scaled, at least `minimum`.
    static func count(_ full: Int, minimum: Int = 10) -> Int { max(minimum, Int((Double(full) * scale).rounded())) }
}
