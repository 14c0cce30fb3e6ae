import ArgumentParser
import Foundation
import KSecretFlows

/// `ksecret-net fetch`: GETs the http(s) URL on standard input (never an argument: it may carry a
/// password) and prints the body, for `secrets://https://…`. `NETRC`, when set, names a .netrc
/// file for basic authentication. On failure: one message line on standard error, and status 3
/// (no answer), 4 (404 or 410: the file is not there) or 2 (any other answer, or a bad URL). The
/// message never holds the URL: the caller names it, without its credentials.
struct Fetch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the body of the http(s) URL read from standard input (for secrets://https://...).",
        shouldDisplay: false)

    func run() throws {
        let address = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let netrc = ProcessInfo.processInfo.environment["NETRC"].flatMap { $0.isEmpty ? nil : $0 }
        do {
            FileHandle.standardOutput.write(Data(try RemoteFile.get(address, netrc: netrc)))
        } catch {
            let status: Int32
            switch error {
            case .unreachable: status = 3
            case .status(let code) where code == 404 || code == 410: status = 4
            default: status = 2
            }
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(status)
        }
    }
}
