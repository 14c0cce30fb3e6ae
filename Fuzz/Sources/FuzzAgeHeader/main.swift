import FuzzSupport
import KSecretAge

private let identity: X25519Identity? = {
    let text = (try? String(contentsOfFile: FuzzSupport.keyFile, encoding: .utf8)) ?? ""
    guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix("AGE-SECRET-KEY-") }) else { return nil }
    return try? X25519Identity(String(line))
}()

/// The age header parser (age-format.md §3-5) on arbitrary bytes, then the whole age decryption
/// with a fixed X25519 identity: errors, never a crash; a header that parses has a MAC of 32 bytes
/// and a length within the input (a header without stanzas parses, as in age's Go parser; decryption refuses it).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = FuzzSupport.bytes(data, size)
    if let header = try? AgeHeader.parse(input) {
        guard header.mac.count == 32 else { FuzzSupport.fail("header MAC of \(header.mac.count) bytes") }
        guard header.length <= input.count else { FuzzSupport.fail("header longer than the input") }
    }
    if let identity { _ = try? Age.decrypt(input, identities: [identity]) }
    return 0
}

@_cdecl("FuzzAgeHeader_main")
public func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    FuzzSupport.runDriver(argc, argv, fuzz)
}
