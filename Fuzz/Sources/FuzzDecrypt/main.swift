import FuzzSupport
import KSecret

private let engine = SecretsEngine(environment: FuzzSupport.environment)
private let formats: [FileFormat] = [.yaml, .json, .dotenv, .ini, .binary]

/// The whole decrypt path (store, metadata, key unwrap with the fixtures' fixed age key, value
/// decryption, MAC) on arbitrary bytes: the first byte picks the format, the rest is the file.
/// Errors, never a crash; what opens prints in its own format and in YAML.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = FuzzSupport.bytes(data, size)
    guard let first = input.first else { return 0 }
    let format = formats[Int(first) % formats.count]
    guard let opened = try? engine.open(Array(input.dropFirst()), path: "fuzz", format: format) else { return 0 }
    _ = try? opened.plaintext(format: format)
    _ = try? opened.plaintext(format: .yaml)
    return 0
}

@_cdecl("FuzzDecrypt_main")
public func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    FuzzSupport.runDriver(argc, argv, fuzz)
}
