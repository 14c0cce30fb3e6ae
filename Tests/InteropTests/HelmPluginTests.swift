import Foundation
import Testing

/// ksecret as helm's `secrets` plugin and `secrets://` downloader, on the real helm 3.15 and 4.1,
/// with the reference chart; helmfile 0.166 (which drives helm 3 only) on a release with `secrets:`.
@Suite("helm plugins", .serialized,
       .enabled(if: Peers.ksecret != nil && Peers.find("helm3") != nil && Peers.find("helm4") != nil, "needs ksecret and helm 3 and 4 (make peers)"))
struct HelmPluginTests {
    static let chart = Peers.repoRoot.appendingPathComponent("charts/django-app").path
    static let testValues = Peers.repoRoot.appendingPathComponent("charts/django-app/ci/test-values.yaml").path
    static let demoSecrets = Peers.repoRoot.appendingPathComponent("keys-example/chart-secrets.yaml").path
    static let demoKey = Peers.repoRoot.appendingPathComponent("keys-example/age.txt").path

    struct Home {
        let dir: URL
        var env: [String: String]
        let encrypted: String
    }

    /// A private helm home, the plugins installed for `helm`, and an encrypted copy of the demo secrets.
    func setUp(helm: String, encryptWithSops: Bool = false) throws -> Home {
        let dir = try Peers.temporaryDirectory()
        var env = ["HELM_DATA_HOME": dir.appendingPathComponent("data").path, "HELM_CONFIG_HOME": dir.appendingPathComponent("config").path,
                   "HELM_CACHE_HOME": dir.appendingPathComponent("cache").path, "SOPS_AGE_KEY_FILE": Self.demoKey]
        let install = try Peers.run(Peers.ksecret!, ["helm", "install-plugins", "--helm", helm], environment: env, directory: dir)
        #expect(install.status == 0, "\(install.stderr)")
        let values = dir.appendingPathComponent("values")
        try FileManager.default.createDirectory(at: values, withIntermediateDirectories: true)
        let encrypted = values.appendingPathComponent("secrets.yaml").path
        try FileManager.default.copyItem(atPath: Self.demoSecrets, toPath: encrypted)
        let recipient = try Peers.run(Peers.ksecret!, ["keygen", "-y", Self.demoKey]).text.trimmingCharacters(in: .whitespacesAndNewlines)
        let enc = encryptWithSops
            ? try Peers.run(Peers.sops!, ["encrypt", "-i", "--age", recipient, encrypted], environment: env, directory: values)
            : try Peers.run(Peers.ksecret!, ["encrypt", "-i", "--age", recipient, encrypted], environment: env, directory: values)
        #expect(enc.status == 0, "\(enc.stderr)")
        env["PATH"] = (ProcessInfo.processInfo.environment["PATH"] ?? "")
        return Home(dir: dir, env: env, encrypted: encrypted)
    }

    /// The DATABASE_URL of the rendered db-connect Secret, decoded.
    func databaseURL(_ rendered: String) -> String? {
        guard let line = rendered.split(separator: "\n").first(where: { $0.contains("DATABASE_URL:") }) else { return nil }
        let b64 = line.split(separator: "\"").dropFirst().first.map(String.init) ?? ""
        return Data(base64Encoded: b64).map { String(decoding: $0, as: UTF8.self) }
    }

    static let expectedURL = "postgres://django_app:p%40ss%3Aw%2Frd%3F%23%5B%5D%25%2B%20%26%3D%20%C3%BCn%C3%AF%20%E2%82%AC@postgres.example.internal:5432/django?sslmode=require"

    func listing(_ dirs: [String]) -> [String] {
        dirs.flatMap { d in ((try? FileManager.default.subpathsOfDirectory(atPath: d)) ?? []).map { d + "/" + $0 } }.sorted()
    }

    @Test("helm template -f secrets:// renders the decrypted values and leaves no file", arguments: ["helm3", "helm4"])
    func downloader(helmName: String) throws {
        for bySops in [false, true] {
            let helm = Peers.find(helmName)!
            let home = try setUp(helm: helm, encryptWithSops: bySops)
            defer { try? FileManager.default.removeItem(at: home.dir) }
            // The working directory, the chart's and the values' (helm's own cache lives elsewhere).
            let work = home.dir.appendingPathComponent("work")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            let watched = [Self.chart, (home.encrypted as NSString).deletingLastPathComponent, work.path]
            let before = listing(watched)
            let r = try Peers.run(helm, ["template", "t", Self.chart, "-f", "secrets://" + home.encrypted, "-f", Self.testValues],
                                  environment: home.env, directory: work)
            #expect(r.status == 0, "\(helmName) sops=\(bySops): \(r.stderr)")
            #expect(databaseURL(r.text) == Self.expectedURL)
            #expect(listing(watched) == before)
        }
    }

    @Test("a wrong key fails the render with ksecret's message and leaves no file", arguments: ["helm3", "helm4"])
    func wrongKey(helmName: String) throws {
        let helm = Peers.find(helmName)!
        var home = try setUp(helm: helm)
        defer { try? FileManager.default.removeItem(at: home.dir) }
        let other = home.dir.appendingPathComponent("other.txt").path
        _ = try Peers.run(Peers.ksecret!, ["keygen", "-o", other])
        home.env["SOPS_AGE_KEY_FILE"] = other
        let watched = [Self.chart, (home.encrypted as NSString).deletingLastPathComponent]
        let before = listing(watched)
        let r = try Peers.run(helm, ["template", "t", Self.chart, "-f", "secrets://" + home.encrypted, "-f", Self.testValues],
                              environment: home.env, directory: home.dir)
        #expect(r.status != 0)
        #expect(r.stderr.contains("ksecret: error: cannot decrypt the data key"))
        #expect(!r.text.contains("DATABASE_URL"))
        #expect(listing(watched) == before)
    }

    @Test("helm secrets decrypt, and the wrapper rewriting -f to secrets://", arguments: ["helm3", "helm4"])
    func cli(helmName: String) throws {
        let helm = Peers.find(helmName)!
        let home = try setUp(helm: helm)
        defer { try? FileManager.default.removeItem(at: home.dir) }
        let decrypted = try Peers.run(helm, ["secrets", "decrypt", home.encrypted, "--extra", "ignored"], environment: home.env)
        #expect(decrypted.status == 0, "\(decrypted.stderr)")
        #expect(decrypted.text == (try String(contentsOfFile: Self.demoSecrets, encoding: .utf8)))
        let plain = try Peers.run(helm, ["secrets", "decrypt", Self.testValues], environment: home.env)
        #expect(plain.status != 0 && plain.stderr.contains("File is not encrypted"))
        let watched = [Self.chart, (home.encrypted as NSString).deletingLastPathComponent]
        let before = listing(watched)
        let wrapped = try Peers.run(helm, ["secrets", "template", "t", Self.chart, "-f", home.encrypted, "--values=" + Self.testValues],
                                    environment: home.env, directory: home.dir)
        #expect(wrapped.status == 0, "\(wrapped.stderr)")
        #expect(databaseURL(wrapped.text) == Self.expectedURL)
        #expect(listing(watched) == before)
        let lint = try Peers.run(helm, ["secrets", "lint", Self.chart, "-f", home.encrypted, "-f", Self.testValues], environment: home.env)
        #expect(lint.status == 0, "\(lint.text)\(lint.stderr)")
    }

    @Test("install is idempotent and uninstall removes both plugins")
    func installUninstall() throws {
        let helm = Peers.find("helm4")!
        let home = try setUp(helm: helm)
        defer { try? FileManager.default.removeItem(at: home.dir) }
        #expect(try Peers.run(Peers.ksecret!, ["helm", "install-plugins", "--helm", helm], environment: home.env).status == 0)
        let list = try Peers.run(helm, ["plugin", "list"], environment: home.env)
        #expect(list.text.contains("secrets ") && list.text.contains("secrets-getter"))
        #expect(try Peers.run(Peers.ksecret!, ["helm", "uninstall-plugins", "--helm", helm], environment: home.env).status == 0)
        #expect(!(try Peers.run(helm, ["plugin", "list"], environment: home.env).text.contains("secrets")))
    }

    @Test("helmfile 0.166 with helm 3.15 renders a release with secrets:",
          .enabled(if: Peers.find("helmfile") != nil, "needs helmfile (make peers)"))
    func helmfile() throws {
        let helm = Peers.find("helm3")!
        let home = try setUp(helm: helm)
        defer { try? FileManager.default.removeItem(at: home.dir) }
        let file = home.dir.appendingPathComponent("helmfile.yaml")
        try Data("""
            releases:
              - name: web
                namespace: web
                chart: \(Self.chart)
                values:
                  - \(Self.testValues)
                secrets:
                  - \(home.encrypted)

            """.utf8).write(to: file)
        let r = try Peers.run(Peers.find("helmfile")!, ["--helm-binary", helm, "-f", file.path, "template"], environment: home.env, directory: home.dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(databaseURL(r.text) == Self.expectedURL)
    }
}
