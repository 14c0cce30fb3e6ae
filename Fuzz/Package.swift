// swift-tools-version:6.0
// libFuzzer targets for ksecret's parsers, kept out of the normal build: this package depends on the
// root package by path and is built only by scripts/fuzz.sh (`make fuzz`, and the smoke run of
// `make test`), into .build/fuzz with `-sanitize=fuzzer,address -parse-as-library` (or, for the long
// runs, `--no-asan`: into .build/fuzz-noasan with `-sanitize=fuzzer` alone).
// Each executable target is one fuzzer with a `LLVMFuzzerTestOneInput` entry; FuzzSupport holds
// what several share (the fixed key, tree comparison, the failure report).
import PackageDescription

let fuzzers = ["FuzzValueCodec", "FuzzYAMLStore", "FuzzJSONStore", "FuzzDotenvStore", "FuzzINIStore",
               "FuzzAgeHeader", "FuzzAgeArmor", "FuzzBech32", "FuzzSopsConfig", "FuzzDecrypt", "FuzzEncryptDecrypt"]

let package = Package(
    name: "ksecret-fuzz",
    platforms: [.macOS(.v13)],
    dependencies: [.package(name: "ksecret", path: "..")],
    targets: [
        .target(name: "FuzzSupport", dependencies: [.product(name: "KSecret", package: "ksecret")]),
    ] + fuzzers.map { name in
        .executableTarget(name: name, dependencies: ["FuzzSupport", .product(name: "KSecret", package: "ksecret")])
    },
    swiftLanguageModes: [.v6]
)
