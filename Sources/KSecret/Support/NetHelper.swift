import Foundation

/// Where the `ksecret-net` executable is: ksecret runs it for everything that talks to a server
/// (Vault transit keys, `db`, `ddns`), so that ksecret itself links no HTTP or PostgreSQL client.
public enum NetHelper {
    public static let name = "ksecret-net"

    /// `$KSECRET_NET`, else `ksecret-net` beside the running executable (`/proc/self/exe`), else on PATH.
    public static func path(environment: KSecretEnvironment) -> String? {
        if let explicit = environment["KSECRET_NET"] { return explicit }
        if let exe = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe") {
            let candidate = URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent(name).path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        for dir in (environment["PATH"] ?? "").split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(dir)/\(name)") {
            return "\(dir)/\(name)"
        }
        return nil
    }
}
