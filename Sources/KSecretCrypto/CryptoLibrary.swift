import COpenSSL

/// How a command-line process sets libcrypto up.
public enum CryptoLibrary {
    /// Called first thing by the `ksecret` executable, before anything uses libcrypto.
    ///
    /// OpenSSL 3.0 spends about a millisecond of every process on things ksecret never needs,
    /// which helm pays at each `secrets://` values file it renders:
    /// - the legacy cipher and digest name tables (`EVP_get_cipherbyname`), which the first
    ///   `EVP_*` call copies into the provider name map. ksecret gets every algorithm as an object
    ///   (`EVP_aes_256_gcm()`) or by its provider name (`EVP_KDF_fetch`), never by legacy name;
    /// - freeing all of libcrypto's state in an `atexit` handler, just before the process ends;
    /// - the system's `openssl.cnf`: about 0.5 ms, a tenth of a `secrets://` call. It configures
    ///   TLS and which providers load; ksecret uses no TLS here, and its algorithms (X25519,
    ///   ChaCha20-Poly1305, AES-GCM, scrypt, SHA-2) are the default provider's whatever it says,
    ///   as sops's (Go's own crypto) ignore that file altogether. A file named by `OPENSSL_CONF`
    ///   is still read, so a provider or setting can be given to ksecret on purpose
    ///   (`configurationFile` tells which);
    /// - the text of every libcrypto error reason (a hash table of some 2,000 strings, built at
    ///   the first error-queue use, which every fetch makes): 0.3 ms. Without a configuration
    ///   file nothing a user controls makes libcrypto fail, and `CryptoError` then names the
    ///   failing function and the error code, which `openssl errstr` turns into its text. With
    ///   `OPENSSL_CONF` set, where a broken file or provider can fail, the texts are loaded.
    ///
    /// `ksecret-net` does not call this: libssl (through libpq) wants the legacy tables and the
    /// system configuration.
    public static func setUpForCommandLine() {
        var options = UInt64(OPENSSL_INIT_NO_ADD_ALL_CIPHERS) | UInt64(OPENSSL_INIT_NO_ADD_ALL_DIGESTS)
            | UInt64(OPENSSL_INIT_NO_ATEXIT)
        if configurationFile == nil {
            options |= UInt64(OPENSSL_INIT_NO_LOAD_CONFIG) | UInt64(OPENSSL_INIT_NO_LOAD_CRYPTO_STRINGS)
            usesProviderDispatch = true
        }
        _ = OPENSSL_init_crypto(options, nil)
    }

    /// Whether the AEAD ciphers are called through the default provider's functions rather than
    /// EVP (`ProviderAEAD`): only in a process set up for the command line without a configuration
    /// file, where the default provider is the only one and no property (FIPS) is set. Set once,
    /// before any thread starts; tests set it to run both ways.
    nonisolated(unsafe) static var usesProviderDispatch = false

    /// The OpenSSL configuration file a command-line ksecret reads: `OPENSSL_CONF` when set and
    /// not empty, else none (`setUpForCommandLine` says why).
    public static var configurationFile: String? {
        guard let value = getenv("OPENSSL_CONF"), value.pointee != 0 else { return nil }
        return String(cString: value)
    }
}
