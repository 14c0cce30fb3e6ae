import CZlib
import Foundation
import KSecretCrypto
import Testing

extension Tag {
    /// Runs a real peer binary (age 1.1.1).
    @Tag static var interop: Self
    /// Takes more than a second (scrypt at work factor 18, 16 MiB vectors).
    @Tag static var slow: Self
}

/// Paths and helpers shared by the KSecretAge tests.
enum AgeTestSupport {
    /// `shared/`: `$KSECRET_SHARED_DIR`, else the sibling of the repository's parent directory
    /// (the repository is `<dir>/main` or a worktree `<dir>/wt-…`, and `shared/` is `<dir>/shared`).
    static let sharedDirectory: URL = {
        if let path = ProcessInfo.processInfo.environment["KSECRET_SHARED_DIR"], !path.isEmpty {
            return URL(fileURLWithPath: path, isDirectory: true)
        }
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return repo.deletingLastPathComponent().appendingPathComponent("shared", isDirectory: true)
    }()

    static var vectorsDirectory: URL { sharedDirectory.appendingPathComponent("vectors/age", isDirectory: true) }
    static var sopsFixtures: URL { sharedDirectory.appendingPathComponent("fixtures/sops", isDirectory: true) }

    static func read(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    static func sha256Hex(_ bytes: [UInt8]) -> String { hex(Digest.sha256(bytes)) }

    /// Inflates a zlib stream (RFC 1950) with the system zlib's `uncompress`.
    static func inflate(_ compressed: [UInt8]) throws -> [UInt8] {
        var capacity = max(1 << 16, compressed.count * 8)
        while capacity <= 1 << 28 {
            var out = [UInt8](repeating: 0, count: capacity)
            var length = uLongf(capacity)
            let status = uncompress(&out, &length, compressed, uLong(compressed.count))
            if status == Z_OK { return Array(out[..<Int(length)]) }
            guard status == Z_BUF_ERROR else { throw InflateError(status: status) }
            capacity *= 4
        }
        throw InflateError(status: Z_BUF_ERROR)
    }

    struct InflateError: Error { let status: Int32 }

    /// The path of an executable on PATH, or nil.
    static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") {
            let candidate = "\(directory)/\(name)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }
}
