import Foundation
import Testing

/// A STAND-IN for Namecheap's dynamic DNS endpoint, not the real service (the tests have no
/// network): a python3 http.server on 127.0.0.1 that answers `GET /update?host=&domain=&password=&ip=`
/// the way Namecheap documents it, as a 200 with an `interface-response` XML document that declares
/// `encoding="utf-16"` while its bytes are UTF-8 (as the real service sends): `ErrCount` 0 and the IP
/// when the password matches, `ErrCount` 1 with `Err1` "Passwords do not match" when it does not.
/// Every request's decoded query goes to a log, read back with `requests()`.
///
/// Modes: `ok`; `fail5xx:N` (the first N requests get 502 Bad Gateway); `slow:S` (answers after S
/// seconds). Other paths get 404.
final class NamecheapStandIn {
    static let script = #"""
    import http.server, json, sys, time, urllib.parse
    password, mode, log_path = sys.argv[1], sys.argv[2], sys.argv[3]
    count = [0]
    OK = ('<?xml version="1.0" encoding="utf-16"?>\r\n<interface-response>\r\n  <Command>SETDNSHOST</Command>\r\n'
          '  <Language>eng</Language>\r\n  <IP>{ip}</IP>\r\n  <ErrCount>0</ErrCount>\r\n  <errors />\r\n'
          '  <ResponseCount>0</ResponseCount>\r\n  <responses />\r\n  <Done>true</Done>\r\n  <debug><![CDATA[]]></debug>\r\n'
          '</interface-response>')
    ERR = ('<?xml version="1.0" encoding="utf-16"?>\r\n<interface-response>\r\n  <Command>SETDNSHOST</Command>\r\n'
           '  <Language>eng</Language>\r\n  <ErrCount>1</ErrCount>\r\n  <errors>\r\n    <Err1>Passwords do not match</Err1>\r\n'
           '  </errors>\r\n  <ResponseCount>1</ResponseCount>\r\n  <responses>\r\n    <response>\r\n'
           '      <ResponseNumber>304156</ResponseNumber>\r\n      <ResponseString>Validation error; invalid ; password</ResponseString>\r\n'
           '    </response>\r\n  </responses>\r\n  <Done>true</Done>\r\n  <debug><![CDATA[]]></debug>\r\n</interface-response>')

    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self, status, body, ctype="text/html; charset=utf-8"):
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            count[0] += 1
            url = urllib.parse.urlsplit(self.path)
            params = {k: v[0] for k, v in urllib.parse.parse_qs(url.query, keep_blank_values=True).items()}
            with open(log_path, "a") as log:
                log.write(json.dumps({"path": url.path, "params": params, "agent": self.headers.get("User-Agent", "")}) + "\n")
            if url.path != "/update":
                return self.answer(404, "not found", "text/plain")
            if mode.startswith("fail5xx:") and count[0] <= int(mode.split(":")[1]):
                return self.answer(502, "<html>502 Bad Gateway</html>")
            if mode.startswith("slow:"):
                time.sleep(float(mode.split(":")[1]))
            if params.get("password") == password and params.get("host") and params.get("domain"):
                return self.answer(200, OK.format(ip=params.get("ip", "")))
            return self.answer(200, ERR)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(server.server_address[1], flush=True)
    server.serve_forever()
    """#

    static var python: String? { Peers.find("python3") }

    let server: LoopbackPythonServer
    let log: URL
    var port: Int { server.port }
    var endpoint: String { "http://127.0.0.1:\(port)" }

    init(password: String, mode: String = "ok", in dir: URL) throws {
        log = dir.appendingPathComponent("stand-in-\(UUID().uuidString).log")
        server = try LoopbackPythonServer(script: Self.script, name: "namecheap-stand-in.py", arguments: [password, mode, log.path], in: dir)
    }

    func stop() { server.stop() }

    /// The requests received so far: path and decoded query parameters.
    func requests() -> [(path: String, params: [String: String])] {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let path = object["path"] as? String, let params = object["params"] as? [String: String] else { return nil }
            return (path, params)
        }
    }
}
