import Foundation
import KSecret
import KSecretPGP

/// A private (0700) GnuPG home for one `secrets+gpg-import://` URL, with the key file imported.
final class ThrowawayGnuPGHome {
    let path: String

    init(importing keyFile: String) throws {
        let base = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array((base + "/ksecret-gnupg-XXXXXX").utf8CString)
        guard let dir = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw KSecretError(.couldNotWriteOutputFile, "cannot create a private temporary directory in \(base)")
        }
        path = String(cString: dir)
        chmod(path, 0o700)
        do {
            try PGPKeyring(homeDirectory: path).importKeys(try AtomicFile.read(keyFile))
        } catch let error as PGPError {
            remove()
            throw KSecretError(.couldNotReadInputFile, "cannot import the PGP key file \(keyFile)", cause: error.cause ?? error)
        } catch {
            remove()
            throw error
        }
    }

    func remove() {
        PGPKeyring(homeDirectory: path).stopAgent()
        try? FileManager.default.removeItem(atPath: path)
    }
}
