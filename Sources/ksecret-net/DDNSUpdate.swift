import ArgumentParser
import Foundation
import KSecret
import KSecretCLI
import KSecretFlows

struct DDNSUpdate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update",
        abstract: "Set a Namecheap dynamic DNS record to an IP address.",
        discussion: HelpText.reflow("""
        Network errors and 5xx answers are retried (4 tries by default, waiting 0.5 s, 1 s, 2 s); a refused \
        password is not. Exits 0 only when Namecheap reports no error. The password is never shown.
        Example:
          ksecret ddns update secrets.yaml --ip 203.0.113.7
          ksecret ddns update secrets.yaml --ip-from outputs.yaml    # reads lb_ip: ...
        """))

    @OptionGroup var source: CredentialFileOptions
    @Option(help: "The address the record should point to.") var ip: String?
    @Option(name: .customLong("ip-from"), help: "Read the address from `lb_ip:` in this YAML file.") var ipFrom: String?
    @Option(help: "The dynamic DNS service.") var endpoint: String = NamecheapDDNS.defaultEndpoint
    @Flag(name: .customLong("insecure-http"), help: "Allow a plain http endpoint that is not on loopback (the password then travels in clear).")
    var insecureHTTP = false
    @Option(help: "Attempts in all, for network errors and 5xx answers.") var tries: Int = 4
    @Option(name: .customLong("retry-delay"), help: "Seconds before the first retry; doubled for each next one.") var retryDelay: Double = 0.5

    func run() throws {
        try Diagnostics.run {
            guard (ip == nil) != (ipFrom == nil) else {
                throw KSecretError(.conflictingParameters, "give the address exactly once: --ip or --ip-from")
            }
            let address = try ip ?? IPAddress.read(fromYAML: ipFrom!)
            let (opened, path) = try source.open(default: NamecheapDDNS.defaultKeyPath)
            let ddns = try NamecheapDDNS(document: opened.document, keyPath: path, file: source.file)
            let outcome = try ddns.update(ip: address, endpoint: endpoint, insecureHTTP: insecureHTTP, tries: max(1, tries),
                                          baseDelay: max(0, retryDelay), log: { Console.say($0) })
            Console.print("updated \(ddns.host).\(ddns.domain) -> \(outcome.ip ?? address) (attempts: \(outcome.attempts))\n")
        }
    }
}
