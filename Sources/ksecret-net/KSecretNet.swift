import ArgumentParser
import Foundation
import KSecretVault

/// `ksecret-net`: the parts of ksecret that talk to servers, kept out of the `ksecret` binary so
/// its start-up stays free of an HTTP stack. `ksecret` runs it; users normally do not.
@main
struct KSecretNet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ksecret-net",
        abstract: "ksecret's network helper (Vault/OpenBao transit); run by ksecret.",
        subcommands: [Transit.self])
}
