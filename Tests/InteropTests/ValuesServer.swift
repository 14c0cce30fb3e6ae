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

    let server: LoopbackPythonServer
    var port: Int { server.port }
    var base: String { "http://127.0.0.1:\(port)" }

    /// Serves `root`; `/private/` needs `user:password`.
    init(root: URL, credentials: String) throws {
        server = try LoopbackPythonServer(script: Self.script, name: "values-server.py", arguments: [root.path, credentials],
                                          in: root.deletingLastPathComponent())
    }

    func stop() { server.stop() }
}
