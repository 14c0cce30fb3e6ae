// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "ksecret",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "ksecret", targets: ["ksecret"]),
        .executable(name: "ksecret-net", targets: ["ksecret-net"]),
        .library(name: "KSecret", targets: ["KSecret"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        // C libraries, found through pkg-config; the providers name the Debian packages.
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"]), .brew(["openssl@3"])]),
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"]), .brew(["libyaml"])]),
        .systemLibrary(name: "CGPGME", pkgConfig: "gpgme", providers: [.apt(["libgpgme-dev"]), .brew(["gpgme"])]),
        // libpq, the PostgreSQL client library, used only by KSecretFlows (so only by ksecret-net).
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"]), .brew(["libpq"])]),
        // zlib, used only by KSecretAgeTests to inflate the compressed CCTV age vectors.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),

        // Owning wrappers over libcrypto: no OpenSSL type leaves this module.
        .target(name: "KSecretCrypto", dependencies: ["COpenSSL"]),
        // Native age v1 (X25519 and scrypt recipients, armor, Bech32) on KSecretCrypto.
        .target(name: "KSecretAge", dependencies: ["KSecretCrypto"]),
        // The C library seen from Swift, in place of Foundation proper (KSecretSystem/Exports.swift says why).
        .systemLibrary(name: "CXattr"),
        .target(name: "KSecretSystem", dependencies: ["CXattr"]),
        // PGP through GPGME (the user's gpg-agent and keyring): owning wrappers, no KSecret types.
        .target(name: "KSecretPGP", dependencies: ["CGPGME", "KSecretSystem"]),
        // The core: document model, stores, the sops envelope, master keys, rules. Never prints, never exits.
        .target(name: "KSecret", dependencies: ["KSecretSystem", "KSecretCrypto", "KSecretAge", "KSecretPGP", "CYAML"]),
        // What both executables print and parse the same way: diagnostics and exit codes, type options.
        .target(name: "KSecretCLI", dependencies: [
            "KSecret",
            "KSecretSystem",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Credential flows on the core: PostgreSQL URLs, checks and password rotation over libpq,
        // Namecheap dynamic DNS over FoundationNetworking. Only ksecret-net links it: libpq and
        // libcurl (plus their 30 dependencies) would double the start-up of every `ksecret decrypt`.
        // A release build links Foundation statically, and static FoundationNetworking and
        // FoundationXML then need libcurl and libxml2 named here (for this target's users only).
        .target(name: "KSecretFlows", dependencies: ["KSecret", "KSecretCrypto", "CLibPQ"],
                linkerSettings: [.linkedLibrary("curl", .when(platforms: [.linux])),
                                 .linkedLibrary("xml2", .when(platforms: [.linux]))]),
        // The command-line tool: one file per subcommand; `db` and `ddns` run ksecret-net.
        .executableTarget(name: "ksecret", dependencies: [
            "KSecret",
            "KSecretSystem",
            "KSecretCrypto",
            "KSecretPGP",
            "KSecretCLI",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        // Talking to servers (Vault/OpenBao transit over HTTP). FoundationNetworking brings libcurl and
        // thirty shared libraries, so it lives in the separate `ksecret-net` binary that ksecret runs
        // when a file needs it, never in `ksecret` itself.
        .target(name: "KSecretVault"),
        // The network half of the tool: `ksecret db ...` and `ksecret ddns ...` exec it, and ksecret
        // runs it for Vault transit keys.
        .executableTarget(name: "ksecret-net", dependencies: [
            "KSecret",
            "KSecretCLI",
            "KSecretFlows",
            "KSecretVault",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "KSecretSystemTests", dependencies: ["KSecretSystem"]),
        .testTarget(name: "KSecretCryptoTests", dependencies: ["KSecretCrypto"]),
        .testTarget(name: "KSecretAgeTests", dependencies: ["KSecretAge", "KSecretCrypto", "CZlib"]),
        // What several test targets share: running programs, throwaway GnuPG homes (gpg from Debian's
        // gnupg). Never linked into ksecret.
        .target(name: "KSecretTestSupport", path: "Tests/KSecretTestSupport"),
        .testTarget(name: "KSecretPGPTests", dependencies: ["KSecretPGP", "KSecretTestSupport"]),
        .testTarget(name: "KSecretTests", dependencies: ["KSecret", "KSecretTestSupport"], exclude: ["Corpus"]),
        .testTarget(name: "KSecretFlowsTests", dependencies: ["KSecretFlows", "KSecret"]),
        // Runs the built ksecret binary against the real peers (sops, age); skips with a reason when absent.
        .testTarget(name: "InteropTests", dependencies: ["KSecret", "KSecretTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
