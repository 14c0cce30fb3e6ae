import Foundation
import KSecret

/// The PostgreSQL credentials held in a secrets file under one key path (default `db`):
/// `host`, `port`, `name`, `user`, `password`, `sslmode` (default `require`) and `options`.
///
/// Use `url()` for a `postgres://` URL to hand to another program, and `connectionParameters` for
/// libpq inside this process (no URL, so the password never sits in a string that gets parsed or shown).
public struct DatabaseCredentials: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var name: String
    public var user: String
    public var password: String
    public var sslmode: String
    public var options: String?

    public static let defaultKeyPath: [TreePath.Component] = [.key("db")]

    public init(host: String, port: Int = 5432, name: String, user: String, password: String, sslmode: String = "require", options: String? = nil) {
        self.host = host
        self.port = port
        self.name = name
        self.user = user
        self.password = password
        self.sslmode = sslmode
        self.options = options
    }

    /// Reads the mapping at `keyPath` of a decrypted document. Errors name the key path and the
    /// missing or mistyped field, never a value.
    public init(document: Document, keyPath: [TreePath.Component], file: String) throws {
        let where_ = TreePath.render(keyPath)
        let node: Node
        do { node = try document.value(at: keyPath) } catch {
            throw KSecretError(.generic, "no database credentials at \(where_) in \(file)",
                               hints: ["the file needs a mapping with host, port, name, user and password there; pick another place with --key-path"])
        }
        guard case .mapping = node else {
            throw KSecretError(.generic, "\(where_) in \(file) is not a mapping", hints: ["expected host, port, name, user and password under it"])
        }
        func field(_ key: String, required: Bool = true) throws -> String? {
            guard let value = node[key] else {
                if required { throw KSecretError(.generic, "\(where_)[\"\(key)\"] is missing in \(file)", hints: ["database credentials need host, port, name, user and password"]) }
                return nil
            }
            guard case .scalar(let s) = value else {
                throw KSecretError(.generic, "\(where_)[\"\(key)\"] in \(file) is not a single value")
            }
            switch s.value {
            case .string(let text): return text
            case .int(let i): return String(i)
            case .bool(let b): return String(b)
            case .float(let f): return String(f)
            case .time(let t): return t
            case .bytes(let b): return String(decoding: b, as: UTF8.self)
            case .null: return required ? "" : nil
            }
        }
        let portText = try field("port", required: false) ?? "5432"
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw KSecretError(.generic, "\(where_)[\"port\"] in \(file) is not a port number (1-65535)")
        }
        self.init(host: try field("host")!, port: port, name: try field("name")!, user: try field("user")!,
                  password: try field("password")!, sslmode: try field("sslmode", required: false) ?? "require",
                  options: try field("options", required: false))
    }

    /// `postgres://user:password@host:port/name?sslmode=...&options=...`: user and password encoded
    /// as RFC 3986 userinfo and the name as a path segment, all with only the unreserved characters
    /// (`A-Za-z0-9-._~`) left as they are, so any byte a password may hold survives the round trip.
    /// A socket directory for host (`/var/run/postgresql`) is percent-encoded too.
    public func url() -> String {
        let e = PercentEncoding.encode
        var hostPart = host
        if host.hasPrefix("/") {
            // A Unix-domain socket directory: libpq (and Django's dj-database-url) read it
            // percent-encoded in the host's place; bare, its slashes would start the path.
            hostPart = e(host)
        } else if host.contains(":") && !host.hasPrefix("[") {
            hostPart = "[\(host)]"   // an IPv6 literal
        }
        var url = "postgres://\(e(user)):\(e(password))@\(hostPart):\(port)/\(e(name))?sslmode=\(e(sslmode))"
        if let options, !options.isEmpty { url += "&options=\(e(options))" }
        return url
    }

    /// The same URL with the password replaced by `***`, for messages.
    public func redactedURL() -> String {
        var copy = self
        copy.password = "***"
        return copy.url().replacingOccurrences(of: ":%2A%2A%2A@", with: ":***@")
    }

    /// libpq keywords and values for `PQconnectdbParams`.
    func connectionParameters(password override: String? = nil, host hostOverride: String? = nil, connectTimeout: Int = 10) -> [(String, String)] {
        var p: [(String, String)] = [("host", hostOverride ?? host), ("port", String(port)), ("dbname", name), ("user", user),
                                     ("password", override ?? password), ("sslmode", sslmode),
                                     ("connect_timeout", String(connectTimeout)), ("application_name", "ksecret")]
        if let options, !options.isEmpty { p.append(("options", options)) }
        return p
    }

    /// `user@host:port/name`, for messages.
    public var summary: String { "\(user)@\(host):\(port)/\(name)" }
}

/// RFC 3986 percent-encoding with only the unreserved characters left bare.
public enum PercentEncoding {
    static let unreserved: Set<UInt8> = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8))

    public static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            if unreserved.contains(byte) { out.unicodeScalars.append(Unicode.Scalar(byte)) }
            else { out += String(format: "%%%02X", byte) }
        }
        return out
    }

    /// The inverse of `encode` (any `%XX` decoded; nil for a malformed escape or bytes that are not UTF-8).
    public static func decode(_ text: String) -> String? {
        var bytes: [UInt8] = []
        var it = Array(text.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "%") {
                guard it.count >= 2, let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) else { return nil }
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(bytes: bytes, encoding: .utf8)
    }
}
