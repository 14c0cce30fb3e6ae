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
        // zlib, used only by KSecretAgeTests to inflate the compressed CCTV age vectors.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]),

        // Owning wrappers over libcrypto: no OpenSSL type leaves this module.
        .target(name: "KSecretCrypto", dependencies: ["COpenSSL"]),
        // Native age v1 (X25519 and scrypt recipients, armor, Bech32) on KSecretCrypto.
        .target(name: "KSecretAge", dependencies: ["KSecretCrypto"]),
        // PGP through GPGME (the user's gpg-agent and keyring): owning wrappers, no KSecret types.
        .target(name: "KSecretPGP", dependencies: ["CGPGME"]),
        // The core: document model, stores, the sops envelope, master keys, rules. Never prints, never exits.
        .target(name: "KSecret", dependencies: ["KSecretCrypto", "KSecretAge", "KSecretPGP", "CYAML"]),
        // The command-line tool: one file per subcommand, diagnostics and exit codes.
        .executableTarget(name: "ksecret", dependencies: [
            "KSecret",
            "KSecretPGP",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        // Talking to servers (Vault/OpenBao transit over HTTP). FoundationNetworking brings libcurl and
        // thirty shared libraries, so it lives in the separate `ksecret-net` binary that ksecret runs
        // when a file needs it, never in `ksecret` itself.
        .target(name: "KSecretVault"),
        .executableTarget(name: "ksecret-net", dependencies: [
            "KSecretVault",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),

        .testTarget(name: "KSecretCryptoTests", dependencies: ["KSecretCrypto"]),
        .testTarget(name: "KSecretAgeTests", dependencies: ["KSecretAge", "KSecretCrypto", "CZlib"]),
        // What several test targets share: running programs, throwaway GnuPG homes (gpg from Debian's
        // gnupg). Never linked into ksecret.
        .target(name: "KSecretTestSupport", path: "Tests/KSecretTestSupport"),
        .testTarget(name: "KSecretPGPTests", dependencies: ["KSecretPGP", "KSecretTestSupport"]),
        .testTarget(name: "KSecretTests", dependencies: ["KSecret", "KSecretTestSupport"], exclude: ["Corpus"]),
        // Runs the built ksecret binary against the real peers (sops, age); skips with a reason when absent.
        .testTarget(name: "InteropTests", dependencies: ["KSecret", "KSecretTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
