import ArgumentParser
import Foundation
import KSecret
import KSecretCLI
import KSecretVault

/// `ksecret-net`: the parts of ksecret that talk to servers, kept out of the `ksecret` binary so
/// its start-up stays free of libpq and an HTTP stack (libcurl and thirty libraries), which every
/// helm render would pay. `ksecret db ...` and `ksecret ddns ...` exec it with their arguments, and
/// ksecret runs `transit` for files with Vault keys; users normally do not run it themselves. It
/// names itself `ksecret` so that the usage and help of `ksecret db|ddns` read as one tool.
@main
struct KSecretNet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ksecret",
        abstract: "ksecret's network helper: PostgreSQL and Namecheap dynamic DNS flows, Vault/OpenBao transit; run by ksecret.",
        discussion: "Run through `ksecret db ...` and `ksecret ddns ...`.",
        version: KSecretNetVersion.current,
        subcommands: [DB.self, DDNS.self, Transit.self, Fetch.self])
}

enum KSecretNetVersion {
    static let current = "0.1.0 (sops 3.11 format)"
}
