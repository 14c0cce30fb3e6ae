import FuzzSupport
import KSecret

/// The `.sops.yaml` rules parser on arbitrary bytes: errors, never a crash, and rule matching on a
/// few paths (path_regex compiled from the input) never crashes either.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let config = try? SopsConfig.parse(FuzzSupport.bytes(data, size), path: "/fuzz/.sops.yaml") else { return 0 }
    for path in ["/fuzz/secrets.yaml", "/fuzz/dev/a.env", "relative.json", ""] { _ = config.rule(for: path) }
    return 0
}

@_cdecl("FuzzSopsConfig_main")
public func entry(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    FuzzSupport.runDriver(argc, argv, fuzz)
}
