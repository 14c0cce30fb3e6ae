import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A values file fetched over HTTP(S) for `secrets://https://…` (helm-pipeline.md §2.5), as
/// helm-secrets fetches it with curl: redirects followed, HTTP basic authentication from the URL's
/// `user:password@` or, when `NETRC` names a file, from its entry for the host.
public enum RemoteFile {
    public enum Failure: Error, CustomStringConvertible {
        case invalid
        case unreachable(String)
        case status(Int)

        public var description: String {
            switch self {
            case .invalid: return "not an http(s) URL"
            case .unreachable(let reason): return reason
            case .status(let code): return "answered \(code) \(HTTPURLResponse.localizedString(forStatusCode: code))"
            }
        }
    }

    /// The body of a 2xx answer to a GET of `address`.
    public static func get(_ address: String, netrc: String?, timeout: TimeInterval = 60) throws(Failure) -> [UInt8] {
        guard var parts = URLComponents(string: address), let scheme = parts.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = parts.host, !host.isEmpty else { throw .invalid }
        var credentials: (login: String, password: String)?
        if let user = parts.user {
            credentials = (user, parts.password ?? "")
        } else if let netrc, let contents = try? String(contentsOfFile: netrc, encoding: .utf8) {
            credentials = Netrc.credentials(for: host, in: contents)
        }
        // The credentials go in a header, not in the URL handed to the HTTP stack.
        parts.user = nil
        parts.password = nil
        guard let url = parts.url else { throw .invalid }
        var headers: [String: String] = [:]
        if let credentials {
            headers["Authorization"] = "Basic " + Data("\(credentials.login):\(credentials.password)".utf8).base64EncodedString()
        }
        let response: HTTPGet.Response
        do { response = try HTTPGet.get(url, timeout: timeout, headers: headers) } catch { throw .unreachable(error.description) }
        guard (200..<300).contains(response.status) else { throw .status(response.status) }
        return response.body
    }
}

/// The part of a `.netrc` file (curl's and ftp's format) that HTTP basic authentication needs:
/// `machine HOST login NAME password SECRET` entries and a `default` entry, separated by blanks
/// or newlines; `macdef` bodies (up to an empty line) are skipped.
public enum Netrc {
    public static func credentials(for host: String, in contents: String) -> (login: String, password: String)? {
        var found: (login: String, password: String)?
        var fallback: (login: String, password: String)?
        var current: (matches: Bool, isDefault: Bool, login: String?, password: String?)?
        func finish() {
            guard let entry = current, let login = entry.login else { return }
            if entry.matches, found == nil { found = (login, entry.password ?? "") }
            if entry.isDefault, fallback == nil { fallback = (login, entry.password ?? "") }
        }
        var lines = contents.split(separator: "\n", omittingEmptySubsequences: false)[...]
        var tokens: [Substring] = []
        while let line = lines.popFirst() {
            var words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })[...]
            while let word = words.popFirst() {
                guard word == "macdef" else { tokens.append(word); continue }
                // A macro: its name ends the line, its body runs to the first empty line.
                while let body = lines.popFirst(), !body.trimmingCharacters(in: .whitespaces).isEmpty {}
                words = []
            }
        }
        var index = 0
        while index < tokens.count {
            let token = tokens[index]
            let value = index + 1 < tokens.count ? String(tokens[index + 1]) : nil
            switch token {
            case "machine":
                finish()
                current = (value?.lowercased() == host.lowercased(), false, nil, nil)
                index += 2
            case "default":
                finish()
                current = (false, true, nil, nil)
                index += 1
            case "login":
                current?.login = value
                index += 2
            case "password":
                current?.password = value
                index += 2
            case "account":
                index += 2
            default:
                index += 1
            }
        }
        finish()
        return found ?? fallback
    }
}
