import FuzzSupport
import KSecret

/// The JSON store on arbitrary bytes: parsing never crashes, and parse -> emit -> parse gives the
/// same tree (with a fresh emit and with the layout-preserving one).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    FuzzSupport.storeRoundTrip(JSONStore(), FuzzSupport.bytes(data, size), path: "fuzz.json")
    return 0
}

@_cdecl("FuzzJSONStore_main")
public func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    FuzzSupport.runDriver(argc, argv, fuzz)
}
