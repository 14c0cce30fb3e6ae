import KSecretSystem
import KSecret
import KSecretPGP

/// A private (0700) GnuPG home for one `secrets+gpg-import://` URL, with the key file imported.
final class ThrowawayGnuPGHome {
    let path: String

    init(importing keyFile: String) throws {
        path = try PrivateDirectory.create(prefix: "ksecret-gnupg")
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
