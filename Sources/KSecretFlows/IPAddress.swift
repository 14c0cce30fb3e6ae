import Foundation
import KSecret

/// Address syntax checks (`inet_pton`).
public enum IPAddress {
    public static func isValid(_ text: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    /// `lb_ip: ...` from a YAML file (e.g. written by the tool that created the load balancer).
    public static func read(fromYAML path: String) throws -> String {
        let parsed = try YAMLStore().parse(try AtomicFile.read(path), path: path)
        guard let ip = parsed.document.branches.first?["lb_ip"]?.stringValue, !ip.isEmpty else {
            throw KSecretError(.generic, "\(path) has no lb_ip", hints: ["expected a line such as `lb_ip: 203.0.113.7`"],
                               location: SourceLocation(file: path))
        }
        guard isValid(ip) else {
            throw KSecretError(.generic, "lb_ip in \(path) is not an IPv4 or IPv6 address", location: SourceLocation(file: path, keyPath: ["lb_ip"]))
        }
        return ip
    }
}
