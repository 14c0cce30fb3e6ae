import COpenSSL

/// How a command-line process sets libcrypto up.
public enum CryptoLibrary {
    /// Called first thing by the `ksecret` executable, before anything uses libcrypto.
    ///
    /// OpenSSL 3.0 spends about half a millisecond of every process on two things ksecret never
    /// needs, which helm pays at each `secrets://` values file it renders:
    /// - the legacy cipher and digest name tables (`EVP_get_cipherbyname`), which the first
    ///   `EVP_*` call copies into the provider name map. ksecret gets every algorithm as an object
    ///   (`EVP_aes_256_gcm()`) or by its provider name (`EVP_KDF_fetch`), never by legacy name;
    /// - freeing all of libcrypto's state in an `atexit` handler, just before the process ends.
    ///
    /// The configuration file (`openssl.cnf`, and with it FIPS and provider settings) is still
    /// read. `ksecret-net` does not call this: libssl (through libpq) wants the legacy tables.
    public static func setUpForCommandLine() {
        let options = UInt64(OPENSSL_INIT_NO_ADD_ALL_CIPHERS) | UInt64(OPENSSL_INIT_NO_ADD_ALL_DIGESTS)
            | UInt64(OPENSSL_INIT_NO_ATEXIT)
        _ = OPENSSL_init_crypto(options, nil)
    }
}
