import FuzzSupport
import KSecretAge

/// Bech32 (BIP 173, as age uses it without the length limit): decoding never crashes; what decodes
/// encodes back to the input, lowercased.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let text = String(decoding: FuzzSupport.bytes(data, size), as: UTF8.self)
    if let (hrp, payload) = Bech32.decode(text) {
        guard let encoded = Bech32.encode(hrp: hrp, data: payload) else { FuzzSupport.fail("decoded Bech32 does not encode") }
        guard encoded.lowercased() == text.lowercased() else { FuzzSupport.fail("Bech32 round trip changed the text") }
    }
    return 0
}

@_cdecl("FuzzBech32_main")
public func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    FuzzSupport.runDriver(argc, argv, fuzz)
}
