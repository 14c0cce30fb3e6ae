// What every module of the `ksecret` executable imports instead of Foundation.
//
// Policy: the `ksecret` executable links FoundationEssentials, not Foundation. Foundation proper
// brings ICU and CoreFoundation, whose relocations, constructors and protocol conformances cost
// every start about 0.8 ms (README, Speed), and helm starts ksecret once per `secrets://` file.
// What Foundation proper offered and these modules need (running a program, a lock, standard
// streams, path names, trimming) is here, on top of the C library. ksecret-net and the tests may
// import Foundation: they do not run at render time.
#if canImport(FoundationEssentials)
@_exported import FoundationEssentials
#else
@_exported import Foundation
#endif
@_exported import Dispatch
#if canImport(Glibc)
@_exported import Glibc
#elseif canImport(Musl)
@_exported import Musl
#elseif canImport(Darwin)
@_exported import Darwin
#endif
