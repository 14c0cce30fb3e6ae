import FuzzSupport
import KSecret

/// The YAML store on arbitrary bytes: parsing never crashes, and parse -> emit -> parse gives the
/// same tree (with a fresh emit and with the layout-preserving one).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzSupport.storeRoundTrip(YAMLStore(), FuzzSupport.bytes(data, size), path: "fuzz.yaml")
    return 0
}

@_cdecl("FuzzYAMLStore_main")
public func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    FuzzSupport.runDriver(argc, argv, fuzz)
}
