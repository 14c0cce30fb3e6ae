import Foundation

/// A test hook: with `KSECRET_NET_TEST_PAUSE_DIR` set, a flow reaching a checkpoint (e.g. `altered`
/// in `db rotate`) creates `<dir>/<name>.reached` and waits, up to 60 s, for `<dir>/<name>.continue`,
/// so a test can stop or start the server between two steps. Unset (always, outside tests): no-op.
enum TestPause {
    static let variable = "KSECRET_NET_TEST_PAUSE_DIR"

    static func checkpoint(_ name: String) {
        guard let dir = ProcessInfo.processInfo.environment[variable], !dir.isEmpty else { return }
        _ = FileManager.default.createFile(atPath: "\(dir)/\(name).reached", contents: Data())
        let deadline = Date().addingTimeInterval(60)
        while !FileManager.default.fileExists(atPath: "\(dir)/\(name).continue") && Date() < deadline {
            Thread.sleep(forTimeInterval: 0.02)
        }
    }
}
