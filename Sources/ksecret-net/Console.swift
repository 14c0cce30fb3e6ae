import Foundation

/// Where ksecret-net writes: results on stdout, progress lines (`ksecret: ...`) on stderr. Neither
/// ever gets a secret, except `db url`'s output, which is the URL the user asked for.
enum Console {
    static func print(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    static func say(_ line: String) {
        FileHandle.standardError.write(Data("ksecret: \(line)\n".utf8))
    }

    static func milliseconds(_ d: Duration) -> String {
        let ms = Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
        return String(format: "%.1f ms", ms)
    }
}
