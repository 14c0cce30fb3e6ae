import KSecretSystem
import KSecret

/// A fresh directory only the user can enter: `mkdtemp` under `$TMPDIR` (else `/tmp`), mode 0700.
/// For files that hold plaintext (the editor's copy) or keys (an imported keyring).
enum PrivateDirectory {
    static func create(prefix: String) throws -> String {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array((base + "/\(prefix)-XXXXXX").utf8CString)
        guard let dir = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw KSecretError(.couldNotWriteOutputFile, "cannot create a private temporary directory in \(base)")
        }
        let path = String(cString: dir)
        chmod(path, 0o700)
        return path
    }
}
