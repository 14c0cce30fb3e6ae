import FuzzSupport
import KSecret

/// The `ENC[...]` value codec: parsing never crashes; a parsed value written back parses to the same
/// fields; the plaintext decoder of each type never crashes, and a decoded value encodes to bytes
/// that decode to the same value (Format.md §1.3).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = FuzzSupport.bytes(data, size)
    let text = String(decoding: input, as: UTF8.self)
    if let value = try? EncryptedValue.parse(text) {
        guard let again = try? EncryptedValue.parse(value.text) else { FuzzSupport.fail("ENC value does not re-parse") }
        guard again == value else { FuzzSupport.fail("ENC value text round trip changed the fields") }
    }
    for type in ["str", "bytes", "int", "int64", "float", "bool", "time", "comment"] {
        guard case .value(let value)? = try? ValueCodec.decode(input, type: type) else { continue }
        guard let encoded = try? ValueCodec.encode(value) else { FuzzSupport.fail("decoded \(type) cannot be encoded") }
        guard case .value(let back)? = try? ValueCodec.decode(encoded.bytes, type: encoded.type) else {
            FuzzSupport.fail("encoded \(type) does not decode")
        }
        if case .float(let a) = value, case .float(let b) = back, a.isNaN, b.isNaN { continue }
        // `str` with invalid UTF-8 decodes to bytes and goes out as `str`: the same bytes either way.
        if case .bytes(let a) = value {
            if case .bytes(let b) = back, a == b { continue }
            if case .string(let b) = back, Array(b.utf8) == a { continue }
        }
        guard back == value else { FuzzSupport.fail("\(type): decode -> encode -> decode changed the value") }
    }
    return 0
}

@_cdecl("FuzzValueCodec_main")
public func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    FuzzSupport.runDriver(argc, argv, fuzz)
}
