import FuzzSupport
import KSecretAge

/// Armor decoding (age-format.md §8): errors, never a crash; what decodes armors back to text
/// that decodes to the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    let input = FuzzSupport.bytes(data, size)
    _ = AgeArmor.looksArmored(input)
    if let decoded = try? AgeArmor.decode(input) {
        guard let again = try? AgeArmor.decode(AgeArmor.encode(decoded)) else { FuzzSupport.fail("armor of decoded bytes does not decode") }
        guard again == decoded else { FuzzSupport.fail("armor round trip changed the bytes") }
    }
    return 0
}

@_cdecl("FuzzAgeArmor_main")
public func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    FuzzSupport.runDriver(argc, argv, fuzz)
}
