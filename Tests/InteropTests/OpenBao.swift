import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif

/// Real OpenBao servers for the transit tests (`bao` from `make peers`): a `-dev` server, or a
/// 3-node raft cluster, on free loopback ports. Each server is stopped by `stop()` (and killed
/// when the value is released, so a failing test leaves nothing running).
final class OpenBao: @unchecked Sendable {
    static var binary: String? { Peers.find("bao") }

    final class Node {
        let address: String
        let process: Process
        init(address: String, process: Process) { self.address = address; self.process = process }
        func stop() {
            guard process.isRunning else { return }
            process.terminate()
            process.waitUntilExit()
        }
        deinit { stop() }
    }

    let nodes: [Node]
    let rootToken: String
    let directory: URL

    private init(nodes: [Node], rootToken: String, directory: URL) {
        self.nodes = nodes
        self.rootToken = rootToken
        self.directory = directory
    }

    deinit {
        for node in nodes { node.stop() }
        try? FileManager.default.removeItem(at: directory)
    }

    var address: String { nodes[0].address }

    /// A free TCP port on 127.0.0.1 (bound to port 0, then released).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        addr.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &addr) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw Failure("cannot find a free port") }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
        init(_ d: String) { description = d }
    }

    static func launch(_ arguments: [String], log: URL) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary!)
        process.arguments = arguments
        FileManager.default.createFile(atPath: log.path, contents: nil)
        let handle = try FileHandle(forWritingTo: log)
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        return process
    }

    /// `bao` with BAO_ADDR and BAO_TOKEN set.
    @discardableResult
    func bao(_ arguments: [String], address: String? = nil) throws -> Peers.Result {
        let r = try Peers.run(Self.binary!, arguments, environment: ["BAO_ADDR": address ?? self.address, "BAO_TOKEN": rootToken])
        // The message names the command, never its arguments (an unseal key may be one).
        guard r.status == 0 else { throw Failure("bao \(arguments.prefix(2).joined(separator: " ")): \(r.stderr)") }
        return r
    }

    /// GET /v1/PATH on one node, parsed as JSON (nil when it does not answer).
    static func get(_ address: String, _ path: String) -> [String: Any]? {
        guard let url = URL(string: "\(address)/v1/\(path)") else { return nil }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var body: Data?
        let session = URLSession(configuration: .ephemeral)
        session.dataTask(with: URLRequest(url: url, timeoutInterval: 2)) { data, _, error in
            body = error == nil ? data : nil
            done.signal()
        }.resume()
        done.wait()
        session.finishTasksAndInvalidate()
        return body.flatMap { (try? JSONSerialization.jsonObject(with: $0)) as? [String: Any] }
    }

    static func waitUntil(_ what: String, timeout: TimeInterval, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if (try? condition()) == true { return }
            Thread.sleep(forTimeInterval: 0.2)
        }
        throw Failure("timed out after \(Int(timeout)) s waiting for \(what)")
    }

    /// `bao server -dev` with a known root token, transit enabled and a key `name` created.
    static func dev(transitKey name: String = "sops") throws -> OpenBao {
        let directory = try Peers.temporaryDirectory()
        let port = try freePort()
        let token = "root-\(UUID().uuidString)"
        let process = try launch(["server", "-dev", "-dev-root-token-id=\(token)", "-dev-listen-address=127.0.0.1:\(port)"],
                                 log: directory.appendingPathComponent("bao.log"))
        let bao = OpenBao(nodes: [Node(address: "http://127.0.0.1:\(port)", process: process)], rootToken: token, directory: directory)
        try waitUntil("the dev server", timeout: 30) { get(bao.address, "sys/health") != nil }
        try bao.bao(["secrets", "enable", "transit"])
        try bao.bao(["write", "-f", "transit/keys/\(name)"])
        return bao
    }

    /// Three raft nodes on loopback ports, initialised (one unseal key), unsealed, all voters,
    /// with transit enabled and the key `name` created.
    static func raftCluster(transitKey name: String) throws -> OpenBao {
        let directory = try Peers.temporaryDirectory()
        let api = try (0..<3).map { _ in try freePort() }, cluster = try (0..<3).map { _ in try freePort() }
        let joins = api.map { "  retry_join { leader_api_addr = \"http://127.0.0.1:\($0)\" }" }.joined(separator: "\n")
        var nodes: [Node] = []
        for i in 0..<3 {
            let data = directory.appendingPathComponent("n\(i)")
            try FileManager.default.createDirectory(at: data, withIntermediateDirectories: true)
            let config = """
                storage "raft" {
                  path = "\(data.path)"
                  node_id = "n\(i)"
                \(joins)
                }
                listener "tcp" {
                  address = "127.0.0.1:\(api[i])"
                  cluster_address = "127.0.0.1:\(cluster[i])"
                  tls_disable = true
                }
                api_addr = "http://127.0.0.1:\(api[i])"
                cluster_addr = "https://127.0.0.1:\(cluster[i])"
                disable_mlock = true
                """
            let file = directory.appendingPathComponent("n\(i).hcl")
            try Data(config.utf8).write(to: file)
            let process = try launch(["server", "-config=\(file.path)"], log: directory.appendingPathComponent("n\(i).log"))
            nodes.append(Node(address: "http://127.0.0.1:\(api[i])", process: process))
        }
        for node in nodes { try waitUntil("node \(node.address)", timeout: 30) { get(node.address, "sys/seal-status") != nil } }
        let initialised = try Peers.run(binary!, ["operator", "init", "-key-shares=1", "-key-threshold=1", "-format=json"],
                                        environment: ["BAO_ADDR": nodes[0].address])
        guard initialised.status == 0, let json = try JSONSerialization.jsonObject(with: Data(initialised.stdout)) as? [String: Any],
              let unseal = (json["unseal_keys_b64"] as? [String])?.first, let token = json["root_token"] as? String else {
            throw Failure("bao operator init: \(initialised.stderr)")
        }
        let bao = OpenBao(nodes: nodes, rootToken: token, directory: directory)
        try bao.bao(["operator", "unseal", unseal], address: nodes[0].address)
        try waitUntil("a leader", timeout: 30) { (get(nodes[0].address, "sys/leader")?["is_self"] as? Bool) == true }
        // A joining node accepts the unseal key once retry_join has reached the leader.
        for node in nodes.dropFirst() {
            try waitUntil("\(node.address) to join and unseal", timeout: 60) {
                _ = try bao.bao(["operator", "unseal", unseal], address: node.address)
                return (get(node.address, "sys/seal-status")?["sealed"] as? Bool) == false
            }
        }
        // Autopilot promotes joined nodes to voters after they are stable; a leader can only be
        // re-elected among voters.
        try waitUntil("three raft voters", timeout: 60) {
            let peers = try bao.bao(["operator", "raft", "list-peers", "-format=json"])
            let json = try JSONSerialization.jsonObject(with: Data(peers.stdout)) as? [String: Any]
            let servers = ((json?["data"] as? [String: Any])?["config"] as? [String: Any])?["servers"] as? [[String: Any]] ?? []
            return servers.count == 3 && servers.allSatisfy { ($0["voter"] as? Bool) == true }
        }
        try bao.bao(["secrets", "enable", "transit"])
        try bao.bao(["write", "-f", "transit/keys/\(name)"])
        return bao
    }

    /// The node that is the active (leader) node, as a standby sees it.
    func leader(askingAny candidates: [Node]? = nil) -> String? {
        for node in candidates ?? nodes where node.process.isRunning {
            if let leader = Self.get(node.address, "sys/leader")?["leader_address"] as? String, !leader.isEmpty { return leader }
        }
        return nil
    }
}
