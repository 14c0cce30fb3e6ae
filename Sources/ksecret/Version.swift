enum KSecretVersion {
    /// ksecret's own version; files it writes say `version: 3.11.0`, the sops format they follow.
    static let current = "0.1.0 (sops 3.11 format)"
}
