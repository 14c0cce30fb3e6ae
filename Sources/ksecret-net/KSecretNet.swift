import ArgumentParser
import Foundation
import KSecret
import KSecretCLI

/// The network half of ksecret: `ksecret db ...` and `ksecret ddns ...` run this executable (found
/// beside ksecret), so libpq and libcurl load only for these commands and not at every decrypt.
/// It names itself `ksecret` so that usage and help read as one tool.
@main
struct KSecretNet: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ksecret",
        abstract: "Credential flows of ksecret: PostgreSQL connections and Namecheap dynamic DNS from an encrypted file.",
        discussion: "Run through `ksecret db ...` and `ksecret ddns ...`.",
        version: KSecretNetVersion.current,
        subcommands: [DB.self, DDNS.self])
}

enum KSecretNetVersion {
    static let current = "0.1.0 (sops 3.11 format)"
}
