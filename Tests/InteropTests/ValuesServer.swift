import Foundation
import Testing

/// A plain HTTP file server for `secrets://http://…` values files: python3's http.server on
/// 127.0.0.1 serving one directory, which asks for HTTP basic authentication (one user and
/// password) under `/private/` and answers 401 without it. Other paths are served as they are;
/// missing files get 404.
final class ValuesServer {
    static let script = #"""
    import base64, functools, http.server, sys
    root, expected = sys.argv[1], "Basic " + base64.b64encode(sys.argv[2].encode()).decode()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def do_GET(self):
            if self.path.startswith("/private/") and self.headers.get("Authorization") != expected:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="values"')
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            super().do_GET()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=root))
    print(server.server_address[1], flush=True)
    server.serve_forever()
    """#

    let process = Process()
    let port: Int
    var base: String { "http://127.0.0.1:\(port)" }

    /// Serves `root`; `/private/` needs `user:password`.
    init(root: URL, credentials: String) throws {
        let scriptURL = root.deletingLastPathComponent().appendingPathComponent("values-server.py")
        try Data(Self.script.utf8).write(to: scriptURL)
        process.executableURL = URL(fileURLWithPath: try #require(Peers.find("python3")))
        process.arguments = [scriptURL.path, root.path, credentials]
        let out = Pipe()
        process.standardOutput = out
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        port = try #require(Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)), "the values server did not start")
    }

    deinit { stop() }

    /// SIGKILL: nothing to clean up, and a SIGTERM could arrive blocked (see NamecheapStandIn).
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }
}
