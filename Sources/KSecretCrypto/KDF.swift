import COpenSSL
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Owns an `EVP_KDF_CTX` for one derivation.
final class KDFContext {
    let pointer: OpaquePointer

    init(algorithm: String) throws {
        guard let kdf = EVP_KDF_fetch(nil, algorithm, nil) else { throw CryptoError.fromQueue("EVP_KDF_fetch(\(algorithm))") }
        defer { EVP_KDF_free(kdf) }
        guard let ctx = EVP_KDF_CTX_new(kdf) else { throw CryptoError.fromQueue("EVP_KDF_CTX_new") }
        pointer = ctx
    }

    deinit { EVP_KDF_CTX_free(pointer) }

    /// Runs `EVP_KDF_derive` with the given parameters. The byte arrays are kept alive and
    /// addressable for the duration of the call.
    func derive(count: Int, octets: [(UnsafePointer<CChar>, [UInt8])], sizes: [(UnsafePointer<CChar>, UInt64)] = [],
                uints: [(UnsafePointer<CChar>, UInt32)] = [], utf8: [(UnsafePointer<CChar>, String)] = [], call: String) throws -> [UInt8]
    {
        var out = [UInt8](repeating: 0, count: count)
        // Copy every parameter into stable heap storage first: OSSL_PARAM keeps raw pointers.
        let octetBuffers = octets.map { (name, bytes) -> (UnsafePointer<CChar>, UnsafeMutableRawBufferPointer) in
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 1)
            buffer.copyBytes(from: bytes)
            return (name, UnsafeMutableRawBufferPointer(rebasing: buffer[0..<bytes.count]))
        }
        defer {
            for (_, buffer) in octetBuffers {
                if let base = buffer.baseAddress { OPENSSL_cleanse(base, buffer.count) }
                buffer.deallocate()
            }
        }
        let sizeBuffers = sizes.map { (name, value) -> (UnsafePointer<CChar>, UnsafeMutablePointer<UInt64>) in
            let p = UnsafeMutablePointer<UInt64>.allocate(capacity: 1); p.initialize(to: value); return (name, p)
        }
        defer { sizeBuffers.forEach { $0.1.deallocate() } }
        let uintBuffers = uints.map { (name, value) -> (UnsafePointer<CChar>, UnsafeMutablePointer<UInt32>) in
            let p = UnsafeMutablePointer<UInt32>.allocate(capacity: 1); p.initialize(to: value); return (name, p)
        }
        defer { uintBuffers.forEach { $0.1.deallocate() } }
        let stringBuffers = utf8.map { (name, value) in (name, strdup(value)!) }
        defer { stringBuffers.forEach { free($0.1) } }

        var params: [OSSL_PARAM] = []
        for (name, buffer) in octetBuffers {
            params.append(OSSL_PARAM_construct_octet_string(name, buffer.baseAddress ?? UnsafeMutableRawPointer(bitPattern: 1), buffer.count))
        }
        for (name, p) in sizeBuffers { params.append(OSSL_PARAM_construct_uint64(name, p)) }
        for (name, p) in uintBuffers { params.append(OSSL_PARAM_construct_uint32(name, p)) }
        for (name, p) in stringBuffers { params.append(OSSL_PARAM_construct_utf8_string(name, p, 0)) }
        params.append(OSSL_PARAM_construct_end())
        let result = EVP_KDF_derive(pointer, &out, out.count, &params)
        guard result == 1 else { throw CryptoError.fromQueue(call) }
        return out
    }
}

/// HKDF with SHA-256 (RFC 5869) through libcrypto's `EVP_KDF "HKDF"`. An empty salt is the
/// same as a zero-filled one, as the RFC says.
public enum HKDF {
    public static func sha256(ikm: [UInt8], salt: [UInt8], info: [UInt8], count: Int) throws -> [UInt8] {
        let ctx = try KDFContext(algorithm: "HKDF")
        var octets: [(UnsafePointer<CChar>, [UInt8])] = [(ksecret_kdf_param_key(), ikm)]
        if !salt.isEmpty { octets.append((ksecret_kdf_param_salt(), salt)) }
        if !info.isEmpty { octets.append((ksecret_kdf_param_info(), info)) }
        return try ctx.derive(count: count, octets: octets, utf8: [(ksecret_kdf_param_digest(), "SHA256")], call: "EVP_KDF_derive(HKDF)")
    }
}

/// scrypt (RFC 7914) through `EVP_KDF "SCRYPT"`, with the memory cap raised to what N and r need
/// (libcrypto's default of 32 MiB is too small for age's work factor 18).
public enum Scrypt {
    public static func derive(password: [UInt8], salt: [UInt8], logN: Int, r: UInt32 = 8, p: UInt32 = 1, count: Int) throws -> [UInt8] {
        guard (1...30).contains(logN) else { throw CryptoError.invalidParameter("scrypt work factor out of range") }
        let n = UInt64(1) << UInt64(logN)
        let maxmem = 128 * n * UInt64(r) * UInt64(p) + 64 * 1024 * 1024
        let ctx = try KDFContext(algorithm: "SCRYPT")
        return try ctx.derive(
            count: count,
            octets: [(ksecret_kdf_param_password(), password), (ksecret_kdf_param_salt(), salt)],
            sizes: [(ksecret_kdf_param_scrypt_n(), n), (ksecret_kdf_param_scrypt_maxmem(), maxmem)],
            uints: [(ksecret_kdf_param_scrypt_r(), r), (ksecret_kdf_param_scrypt_p(), p)],
            call: "EVP_KDF_derive(SCRYPT)")
    }
}
