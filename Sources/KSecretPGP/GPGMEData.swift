import CGPGME
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns one `gpgme_data_t` memory buffer (`gpgme_data_new`), released in `deinit` unless its
/// contents were taken with `takeBytes()`.
final class GPGMEData {
    private(set) var pointer: gpgme_data_t?

    /// An empty buffer for GPGME to write into.
    init() throws(PGPError) {
        var data: gpgme_data_t?
        let error = gpgme_data_new(&data)
        guard error == 0, let data else { throw .failed(call: "gpgme_data_new", cause: GPGMEError(error)) }
        pointer = data
    }

    /// A buffer holding a copy of `bytes` (`gpgme_data_new_from_mem` with copy). The copy is
    /// wiped before it is freed: it may be a data key.
    init(copying bytes: [UInt8]) throws(PGPError) {
        var data: gpgme_data_t?
        let error = bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { gpgme_data_new_from_mem(&data, $0.baseAddress, $0.count, 1) }
        }
        guard error == 0, let data else { throw .failed(call: "gpgme_data_new_from_mem", cause: GPGMEError(error)) }
        pointer = data
    }

    deinit {
        if pointer != nil { _ = takeBytes() }
    }

    /// The buffer's contents (`gpgme_data_release_and_get_mem`); GPGME's copy is zeroed before
    /// `gpgme_free`. The object is empty afterwards.
    func takeBytes() -> [UInt8] {
        guard let data = pointer else { return [] }
        pointer = nil
        var length = 0
        guard let memory = gpgme_data_release_and_get_mem(data, &length) else { return [] }
        let bytes = [UInt8](UnsafeRawBufferPointer(start: memory, count: length))
        wipe(memory, length)
        gpgme_free(memory)
        return bytes
    }
}

/// Zeroes memory the compiler may not skip (`explicit_bzero`, `memset_s` on Darwin).
private func wipe(_ memory: UnsafeMutableRawPointer, _ length: Int) {
    #if canImport(Darwin)
    _ = memset_s(memory, length, 0, length)
    #else
    explicit_bzero(memory, length)
    #endif
}
