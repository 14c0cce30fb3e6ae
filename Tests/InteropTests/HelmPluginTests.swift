import Foundation
import Testing

/// ksecret as helm's secrets plugin, on the real helm 3.15 and helm 4.1 and helmfile 0.166
/// (helm-pipeline.md §1, §2.5, §3): plugin installation, the `secrets://` downloader, the
/// `helm secrets` command line and wrapper, and that no plaintext file ever appears on disk.
/// Every run gets private HELM_DATA_HOME / HELM_CONFIG_HOME / HELM_CACHE_HOME directories.
@Suite("helm plugins", .enabled(if: Peers.ksecret != nil, "needs a built ksecret (swift build)"))
struct HelmPluginTests {
    static let helms = ["helm3", "helm4"]
    static var helmsPresent: Bool { helms.allSatisfy { Peers.find($0) != nil } }
    static let missingHelms: Comment = "needs .tools/bin/helm3 (3.15) and .tools/bin/helm4 (4.1): run `make peers`"
    static let chart = Peers.repoRoot.appendingPathComponent("charts/django-app")
    static let demoKey = Peers.repoRoot.appendingPathComponent("keys-example/age.txt").path
    static let demoPlain = Peers.repoRoot.appendingPathComponent("keys-example/chart-secrets.yaml")
    static let expectedPassword = "p@ss:w/rd?#[]%+ &= ünï €"

    /// Scratch layout: `values/` holds the secrets, `work/` is helm's working directory, `home/` helm's state.
    let root: URL
    let values: URL
    let work: URL
    let recipient: String

    init() throws {
        root = try Peers.temporaryDirectory()
        values = root.appendingPathComponent("values")
        work = root.appendingPathComponent("work")
        for dir in [values, work] { try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true) }
        recipient = try String(contentsOfFile: Self.demoKey, encoding: .utf8)
            .split(separator: "\n").first { $0.hasPrefix("# public key: ") }
            .map { String($0.dropFirst("# public key: ".count)) } ?? ""
    }

    // MARK: Helpers

    /// Private helm state for one helm binary; HELM_PLUGINS is set to the default location explicitly
    /// so a HELM_PLUGINS in the test runner's environment cannot leak in.
    func helmEnvironment(_ helm: String, key: String? = demoKey) -> [String: String] {
        let home = root.appendingPathComponent("home-\(helm)").path
        var env = ["HELM_DATA_HOME": home + "/data", "HELM_CONFIG_HOME": home + "/config", "HELM_CACHE_HOME": home + "/cache",
                   "HELM_PLUGINS": home + "/data/plugins"]
        if let key { env["SOPS_AGE_KEY_FILE"] = key }
        return env
    }

    @discardableResult
    func ksecret(_ args: [String], env: [String: String] = [:]) throws -> Peers.Result {
        try Peers.run(Peers.ksecret!, args, environment: env, directory: work)
    }

    func helm(_ helm: String, _ args: [String], key: String? = demoKey) throws -> Peers.Result {
        try Peers.run(Peers.find(helm)!, args, environment: helmEnvironment(helm, key: key), directory: work)
    }

    func install(_ helm: String) throws {
        let r = try ksecret(["helm", "install-plugins", "--helm", Peers.find(helm)!], env: helmEnvironment(helm))
        try #require(r.status == 0, "install-plugins: \(r.stderr)")
    }

    /// keys-example/chart-secrets.yaml encrypted by ksecret to the demo recipient, in `values/`.
    func encryptedByKsecret(_ name: String = "secrets.yaml") throws -> String {
        let plain = values.appendingPathComponent("plain-for-\(name)")
        try FileManager.default.copyItem(at: Self.demoPlain, to: plain)
        defer { try? FileManager.default.removeItem(at: plain) }
        let r = try ksecret(["encrypt", "--age", recipient, plain.path])
        try #require(r.status == 0, "encrypt: \(r.stderr)")
        let path = values.appendingPathComponent(name).path
        try Data(r.stdout).write(to: URL(fileURLWithPath: path))
        return path
    }

    /// Every path under the directories, relative to each.
    static func listing(_ dirs: [URL]) -> Set<String> {
        var all = Set<String>()
        for dir in dirs {
            let items = FileManager.default.enumerator(atPath: dir.path)?.allObjects as? [String] ?? []
            all.formUnion(items.map { dir.path + "/" + $0 })
        }
        return all
    }

    /// Runs `body` while polling the directories; returns every path seen that was not there before
    /// (during or after), so a short-lived plaintext file is caught too.
    func watchingForNewFiles<T>(in dirs: [URL], _ body: () throws -> T) rethrows -> (T, Set<String>) {
        let before = Self.listing(dirs)
        nonisolated(unsafe) var seen = Set<String>()
        nonisolated(unsafe) var running = true
        let lock = NSLock()
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.global().async {
            while lock.withLock({ running }) {
                let now = Self.listing(dirs)
                lock.withLock { seen.formUnion(now) }
                usleep(2_000)
            }
            done.signal()
        }
        let result = try body()
        lock.withLock { running = false }
        done.wait()
        let after = Self.listing(dirs)
        return (result, seen.union(after).subtracting(before))
    }

    var watchedDirs: [URL] { [Self.chart, values, work] }

    /// The password inside the rendered db-connect Secret's DATABASE_URL.
    static func renderedPassword(_ manifests: String) -> String? {
        let documents = manifests.components(separatedBy: "\n---")
        guard let secret = documents.first(where: { $0.contains("kind: Secret") && $0.contains("name: db-connect") }),
              let line = secret.split(separator: "\n").first(where: { $0.contains("DATABASE_URL:") }) else { return nil }
        let encoded = line.split(separator: ":", maxSplits: 1)[1].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        guard let data = Data(base64Encoded: encoded), let url = String(data: data, encoding: .utf8),
              let schemeEnd = url.range(of: "://"), let at = url.lastIndex(of: "@") else { return nil }
        let userInfo = url[schemeEnd.upperBound..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return nil }
        return String(userInfo[userInfo.index(after: colon)...]).removingPercentEncoding
    }

    func render(_ helm: String, _ extra: [String], key: String? = demoKey) throws -> Peers.Result {
        try self.helm(helm, ["template", "demo", Self.chart.path] + extra, key: key)
    }

    // MARK: Installation

    @Test("install-plugins installs secrets and secrets-getter, again without harm, and uninstall-plugins removes them",
          .enabled(if: helmsPresent, missingHelms), arguments: helms)
    func installAndUninstall(helm: String) throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try install(helm)
        try install(helm)
        let plugins = helmEnvironment(helm)["HELM_PLUGINS"]!
        for name in ["secrets", "secrets-getter"] {
            let link = try FileManager.default.destinationOfSymbolicLink(atPath: "\(plugins)/\(name)/bin/ksecret")
            #expect(link.hasPrefix("/") && FileManager.default.isExecutableFile(atPath: link))
        }
        let list = try self.helm(helm, ["plugin", "list"])
        #expect(list.status == 0, "\(list.stderr)")
        #expect(list.text.contains("secrets-getter") && list.text.split(separator: "\n").contains { $0.hasPrefix("secrets ") || $0.hasPrefix("secrets\t") },
                "\(list.text)")
        #expect(!list.stderr.contains("Error"), "\(list.stderr)")

        let removed = try ksecret(["helm", "uninstall-plugins", "--helm", Peers.find(helm)!], env: helmEnvironment(helm))
        #expect(removed.status == 0, "\(removed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: plugins + "/secrets"))
        #expect(!FileManager.default.fileExists(atPath: plugins + "/secrets-getter"))
        let after = try self.helm(helm, ["plugin", "list"])
        #expect(!after.text.contains("secrets"), "\(after.text)")
    }

    @Test("install-plugins honours a HELM_PLUGINS path list and leaves a foreign secrets plugin alone",
          .enabled(if: helmsPresent, missingHelms), arguments: helms)
    func installHonoursHelmPlugins(helm: String) throws {
        defer { try? FileManager.default.removeItem(at: root) }
        let first = root.appendingPathComponent("plugins-a").path, second = root.appendingPathComponent("plugins-b").path
        var env = helmEnvironment(helm)
        env["HELM_PLUGINS"] = first + ":" + second
        let r = try ksecret(["helm", "install-plugins", "--helm", Peers.find(helm)!], env: env)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: first + "/secrets/plugin.yaml"))
        #expect(FileManager.default.fileExists(atPath: first + "/secrets-getter/plugin.yaml"))
        #expect(!FileManager.default.fileExists(atPath: second + "/secrets"))

        // A plugin of the same name that ksecret did not write (e.g. the real helm-secrets) is refused.
        let foreign = helmEnvironment(helm)["HELM_PLUGINS"]! + "/secrets"
        try FileManager.default.createDirectory(atPath: foreign, withIntermediateDirectories: true)
        try Data("name: \"secrets\"\nversion: \"4.7.7\"\ncommand: \"x\"\n".utf8).write(to: URL(fileURLWithPath: foreign + "/plugin.yaml"))
        let refused = try ksecret(["helm", "install-plugins", "--helm", Peers.find(helm)!], env: helmEnvironment(helm))
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("ksecret: error:") && refused.stderr.contains("did not install"), "\(refused.stderr)")
        #expect(FileManager.default.fileExists(atPath: foreign + "/plugin.yaml"))
    }

    // MARK: The secrets:// downloader

    @Test("helm template -f secrets://FILE renders the values ksecret encrypted, leaving no file behind",
          .enabled(if: helmsPresent, missingHelms), arguments: helms)
    func templateWithKsecretFile(helm: String) throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try install(helm)
        let file = try encryptedByKsecret()
        let (r, created) = try watchingForNewFiles(in: watchedDirs) {
            try render(helm, ["-f", "secrets://" + file])
        }
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.renderedPassword(r.text) == Self.expectedPassword)
        #expect(created.isEmpty, "files appeared: \(created.sorted())")
    }

    @Test("helm template -f secrets://FILE decrypts a file the real sops encrypted; relative to the working directory",
          .enabled(if: helmsPresent && Peers.sops != nil, "needs helm3, helm4 and sops: run `make peers`"), arguments: helms)
    func templateWithSopsFile(helm: String) throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try install(helm)
        let encrypted = try Peers.run(Peers.sops!, ["encrypt", "--age", recipient, "--input-type", "yaml", "--output-type", "yaml",
                                                    Self.demoPlain.path], directory: work)
        try #require(encrypted.status == 0, "sops: \(encrypted.stderr)")
        try Data(encrypted.stdout).write(to: values.appendingPathComponent("by-sops.yaml"))
        let (r, created) = try watchingForNewFiles(in: watchedDirs) {
            try render(helm, ["-f", "secrets://../values/by-sops.yaml"])
        }
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.renderedPassword(r.text) == Self.expectedPassword)
        #expect(created.isEmpty, "files appeared: \(created.sorted())")
    }

    @Test("a wrong age identity fails the render with ksecret's message, and no file appears",
          .enabled(if: helmsPresent, missingHelms), arguments: helms)
    func wrongKeyFails(helm: String) throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try install(helm)
        let file = try encryptedByKsecret()
        let otherKey = root.appendingPathComponent("other-identity.txt").path
        try #require(try ksecret(["keygen", "-o", otherKey]).status == 0)
        let (r, created) = try watchingForNewFiles(in: watchedDirs) {
            try render(helm, ["-f", "secrets://" + file], key: otherKey)
        }
        #expect(r.status != 0)
        #expect(r.stderr.contains("ksecret: error: cannot decrypt the data key"), "\(r.stderr)")
        #expect(!r.text.contains("db-connect"))
        #expect(created.isEmpty, "files appeared: \(created.sorted())")
    }

    @Test("secrets:// passes a plain file through; secrets+literal:// and secrets+age-import:// work",
          .enabled(if: helmsPresent, missingHelms), arguments: helms)
    func otherProtocols(helm: String) throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try install(helm)
        let plain = Self.demoPlain.path
        let passThrough = try render(helm, ["-f", "secrets://" + plain], key: nil)
        #expect(passThrough.status == 0, "\(passThrough.stderr)")
        #expect(Self.renderedPassword(passThrough.text) == Self.expectedPassword)

        let file = try encryptedByKsecret()
        let imported = try render(helm, ["-f", "secrets+age-import://\(Self.demoKey)?\(file)"], key: nil)
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(Self.renderedPassword(imported.text) == Self.expectedPassword)

        let literal = try render(helm, ["-f", "secrets://" + file, "--set-file", "database.secretName=secrets+literal://from-literal"])
        #expect(literal.status == 0, "\(literal.stderr)")
        #expect(literal.text.contains("name: from-literal"), "\(literal.stderr)")

        let missing = try render(helm, ["-f", "secrets://" + values.appendingPathComponent("nope.yaml").path])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("ksecret: error:") && missing.stderr.contains("does not exist"), "\(missing.stderr)")
        let ignored = try render(helm, ["-f", "secrets://" + file, "-f", "secrets://?" + values.appendingPathComponent("nope.yaml").path])
        #expect(ignored.status == 0, "\(ignored.stderr)")
    }

    // MARK: helm secrets

    @Test("helm secrets decrypt/view print the plaintext, ignoring helmfile's extra arguments",
          .enabled(if: helmsPresent, missingHelms), arguments: helms)
    func secretsDecrypt(helm: String) throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try install(helm)
        let file = try encryptedByKsecret()
        let original = try Data(contentsOf: Self.demoPlain)
        for command in ["decrypt", "view"] {
            let r = try self.helm(helm, ["secrets", command, file, "--extra-flag", "ignored-word"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(Data(r.stdout) == original, "\(command)")
        }
        let plainIsRefused = try self.helm(helm, ["secrets", "decrypt", Self.demoPlain.path])
        #expect(plainIsRefused.status != 0)
        #expect(plainIsRefused.stderr.contains("ksecret: error:"), "\(plainIsRefused.stderr)")

        let inPlace = try self.helm(helm, ["secrets", "decrypt", "-i", file])
        #expect(inPlace.status == 0, "\(inPlace.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: file)) == original)
    }

    @Test("helm secrets encrypt -i uses the .sops.yaml of the file's directory",
          .enabled(if: helmsPresent, missingHelms), arguments: helms)
    func secretsEncrypt(helm: String) throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try install(helm)
        try Data("creation_rules:\n  - path_regex: secrets\\.yaml$\n    age: \(recipient)\n".utf8)
            .write(to: values.appendingPathComponent(".sops.yaml"))
        let file = values.appendingPathComponent("secrets.yaml")
        try FileManager.default.copyItem(at: Self.demoPlain, to: file)
        let r = try self.helm(helm, ["secrets", "encrypt", "-i", file.path])
        #expect(r.status == 0, "\(r.stderr)")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.contains("ENC[AES256_GCM") && text.contains(recipient))
        let back = try self.helm(helm, ["secrets", "decrypt", file.path])
        #expect(Data(back.stdout) == (try Data(contentsOf: Self.demoPlain)))
    }

    @Test("helm secrets edit changes one value through $SOPS_EDITOR and keeps the file encrypted",
          .enabled(if: helmsPresent, missingHelms), arguments: helms)
    func secretsEdit(helm: String) throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try install(helm)
        let file = try encryptedByKsecret()
        let before = try String(contentsOfFile: file, encoding: .utf8)
        var env = helmEnvironment(helm)
        env["SOPS_EDITOR"] = "sed -i s/django_app/renamed_user/"
        let (r, created) = try watchingForNewFiles(in: watchedDirs) {
            try Peers.run(Peers.find(helm)!, ["secrets", "edit", file], environment: env, directory: work)
        }
        #expect(r.status == 0, "\(r.stderr)")
        // The plaintext goes to a private directory under $TMPDIR; beside the file only the atomic
        // write of the new ciphertext (.secrets.yaml.ksecret-XXXXXX, renamed over the file) may flash by.
        #expect(created.filter { !URL(fileURLWithPath: $0).lastPathComponent.hasPrefix(".secrets.yaml.ksecret-") }.isEmpty,
                "files appeared: \(created.sorted())")
        #expect(Self.listing([values]).allSatisfy { !$0.contains(".ksecret-") })
        let after = try String(contentsOfFile: file, encoding: .utf8)
        #expect(after != before && !after.contains("renamed_user") && !after.contains("django_app"))
        let back = try self.helm(helm, ["secrets", "decrypt", file])
        #expect(back.text.contains("user: renamed_user"), "\(back.stderr)")
    }

    @Test("helm secrets template -f ENCRYPTED renders through secrets:// without a .dec file",
          .enabled(if: helmsPresent, missingHelms), arguments: helms)
    func secretsWrapper(helm: String) throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try install(helm)
        let file = try encryptedByKsecret()
        let (r, created) = try watchingForNewFiles(in: watchedDirs) {
            try self.helm(helm, ["secrets", "template", "demo", Self.chart.path, "-f", file, "--values=" + Self.demoPlain.path])
        }
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.renderedPassword(r.text) == Self.expectedPassword)
        #expect(created.isEmpty, "files appeared: \(created.sorted())")

        let otherKey = root.appendingPathComponent("other-identity.txt").path
        try #require(try ksecret(["keygen", "-o", otherKey]).status == 0)
        let (failed, createdOnFailure) = try watchingForNewFiles(in: watchedDirs) {
            try self.helm(helm, ["secrets", "template", "demo", Self.chart.path, "--values", file], key: otherKey)
        }
        #expect(failed.status != 0)
        #expect(failed.stderr.contains("ksecret: error:"), "\(failed.stderr)")
        #expect(createdOnFailure.isEmpty, "files appeared: \(createdOnFailure.sorted())")

        // A sops document as a --set value (helm-secrets would put its plaintext on helm's command
        // line) is refused by name; without the refusal helm renders the ciphertext as the value.
        let json = values.appendingPathComponent("literal.json")
        try Data(#"{"password": "from-a-literal"}"#.utf8).write(to: json)
        let document = try ksecret(["encrypt", "--age", recipient, json.path])
        try #require(document.status == 0, "encrypt: \(document.stderr)")
        let literal = document.text.replacingOccurrences(of: "\n", with: "")
        for set in [["--set", "db.password=" + literal], ["--set-json=db.password=" + literal]] {
            let refused = try self.helm(helm, ["secrets", "template", "demo", Self.chart.path, "-f", file] + set)
            #expect(refused.status == 1, "\(refused.stderr)")
            #expect(refused.stderr.contains("the value of \(set[0].hasPrefix("--set-json") ? "--set-json" : "--set") db.password is a sops-encrypted document"),
                    "\(refused.stderr)")
            #expect(!refused.stderr.contains("from-a-literal") && refused.stdout.isEmpty)
        }
    }

    @Test("helm secrets template reads ?FILE, sops!FILE and --ignore-missing-values as helm-secrets does",
          .enabled(if: helmsPresent, missingHelms), arguments: helms)
    func wrapperEntryPrefixes(helm: String) throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try install(helm)
        let file = try encryptedByKsecret()
        let missing = values.appendingPathComponent("absent.yaml").path
        let template = ["template", "demo", Self.chart.path]

        let (prefixed, created) = try watchingForNewFiles(in: watchedDirs) {
            try self.helm(helm, ["secrets"] + template + ["-f", "?" + missing, "-f", "sops!" + file])
        }
        #expect(prefixed.status == 0, "\(prefixed.stderr)")
        #expect(Self.renderedPassword(prefixed.text) == Self.expectedPassword)
        #expect(created.isEmpty, "files appeared: \(created.sorted())")

        // Without the prefix or the option, a missing file stops helm, as it stops helm-secrets.
        let strict = try self.helm(helm, ["secrets"] + template + ["-f", missing, "-f", file])
        #expect(strict.status != 0)
        #expect(strict.stderr.contains("absent.yaml"), "\(strict.stderr)")

        for allowing in [["secrets", "--ignore-missing-values"], ["secrets", "--ignore-missing-values", "true"]] {
            let r = try self.helm(helm, allowing + template + ["-f", missing, "-f", file])
            #expect(r.status == 0, "\(allowing): \(r.stderr)")
            #expect(Self.renderedPassword(r.text) == Self.expectedPassword)
        }
        let fromEnvironment = try Peers.run(Peers.find(helm)!, ["secrets"] + template + ["-f", missing, "-f", file],
                                            environment: helmEnvironment(helm).merging(["HELM_SECRETS_IGNORE_MISSING_VALUES": "true"]) { $1 },
                                            directory: work)
        #expect(fromEnvironment.status == 0, "\(fromEnvironment.stderr)")
        #expect(Self.renderedPassword(fromEnvironment.text) == Self.expectedPassword)
        let turnedOff = try self.helm(helm, ["secrets", "--ignore-missing-values", "false"] + template + ["-f", missing, "-f", file])
        #expect(turnedOff.status != 0)

        // Another backend, by variable or by prefix, is refused by name rather than read as sops.
        for (args, variables) in [(["secrets"] + template + ["-f", file], ["HELM_SECRETS_BACKEND": "vals"]),
                                  (template + ["-f", "secrets://" + file], ["HELM_SECRETS_BACKEND": "vals"]),
                                  (["secrets"] + template + ["-f", "vals!" + file], [:])] {
            let r = try Peers.run(Peers.find(helm)!, args, environment: helmEnvironment(helm).merging(variables) { $1 }, directory: work)
            #expect(r.status != 0, "\(args)")
            #expect(r.stderr.contains("vals is not supported"), "\(args): \(r.stderr)")
        }
        let sopsNamed = try Peers.run(Peers.find(helm)!, template + ["-f", "secrets://" + file],
                                      environment: helmEnvironment(helm).merging(["HELM_SECRETS_BACKEND": "sops"]) { $1 }, directory: work)
        #expect(Self.renderedPassword(sopsNamed.text) == Self.expectedPassword, "\(sopsNamed.stderr)")
        // -b sops wins over the variable, down to the downloader helm runs.
        let overridden = try Peers.run(Peers.find(helm)!, ["secrets", "-b", "sops"] + template + ["-f", file],
                                       environment: helmEnvironment(helm).merging(["HELM_SECRETS_BACKEND": "vals"]) { $1 }, directory: work)
        #expect(Self.renderedPassword(overridden.text) == Self.expectedPassword, "\(overridden.stderr)")
        // help and dir need no backend.
        let help = try Peers.run(Peers.find(helm)!, ["secrets", "help"],
                                 environment: helmEnvironment(helm).merging(["HELM_SECRETS_BACKEND": "vals"]) { $1 }, directory: work)
        #expect(help.status == 0, "\(help.stderr)")
    }

    @Test("HELM_SECRETS_VALUES_ALLOW_*=false refuse absolute, climbing and symlinked values files, in secrets:// and the wrapper",
          .enabled(if: helmsPresent, missingHelms), arguments: helms)
    func valuesPathRestrictions(helm: String) throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try install(helm)
        let file = try encryptedByKsecret()                       // values/secrets.yaml: work/ is helm's directory
        let link = work.appendingPathComponent("link.yaml").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: file)
        let plainInside = work.appendingPathComponent("plain.yaml")
        try FileManager.default.copyItem(at: Self.demoPlain, to: plainInside)
        let template = ["template", "demo", Self.chart.path]
        func run(_ args: [String], _ variables: [String: String]) throws -> Peers.Result {
            try Peers.run(Peers.find(helm)!, args, environment: helmEnvironment(helm).merging(variables) { $1 }, directory: work)
        }
        let refuse = ["HELM_SECRETS_VALUES_ALLOW_SYMLINKS": "false", "HELM_SECRETS_VALUES_ALLOW_ABSOLUTE_PATH": "false",
                      "HELM_SECRETS_VALUES_ALLOW_PATH_TRAVERSAL": "false"]
        let cases: [(args: [String], variable: String)] = [
            (template + ["-f", "secrets://" + file], "HELM_SECRETS_VALUES_ALLOW_ABSOLUTE_PATH"),
            (template + ["-f", "secrets://../values/secrets.yaml"], "HELM_SECRETS_VALUES_ALLOW_PATH_TRAVERSAL"),
            (template + ["-f", "secrets://link.yaml"], "HELM_SECRETS_VALUES_ALLOW_SYMLINKS"),
            (["secrets"] + template + ["-f", plainInside.path], "HELM_SECRETS_VALUES_ALLOW_ABSOLUTE_PATH"),
            (["secrets"] + template + ["-f", "link.yaml"], "HELM_SECRETS_VALUES_ALLOW_SYMLINKS"),
        ]
        for (args, variable) in cases {
            let refused = try run(args, refuse)
            #expect(refused.status != 0, "\(args)")
            #expect(refused.stderr.contains("\(variable)=false refuses"), "\(args): \(refused.stderr)")
            #expect(Self.renderedPassword(refused.text) == nil)
            // Each is read by default, and with only the other two kinds refused.
            var others = refuse
            others[variable] = nil
            for variables in [[:], others] {
                let r = try run(args, variables)
                #expect(r.status == 0, "\(args) \(variables): \(r.stderr)")
                #expect(Self.renderedPassword(r.text) == Self.expectedPassword, "\(args) \(variables)")
            }
        }
        // A relative path inside the directory passes every restriction, through the wrapper too.
        try FileManager.default.copyItem(atPath: file, toPath: work.appendingPathComponent("inside.yaml").path)
        for args in [template + ["-f", "secrets://inside.yaml"], ["secrets"] + template + ["-f", "inside.yaml", "-f", "plain.yaml"]] {
            let r = try run(args, refuse)
            #expect(r.status == 0, "\(args): \(r.stderr)")
            #expect(Self.renderedPassword(r.text) == Self.expectedPassword, "\(args)")
        }
    }

    @Test("secrets://http(s)://… fetches the file (basic auth from the URL, NETRC or ${VAR}), decrypts it in memory, never shows the password",
          .enabled(if: helmsPresent && Peers.find("python3") != nil, "needs helm3, helm4 (make peers) and python3"), arguments: helms)
    func remoteValues(helm: String) throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try install(helm)
        let file = try encryptedByKsecret()
        let served = root.appendingPathComponent("served")
        try FileManager.default.createDirectory(at: served.appendingPathComponent("private"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: file, toPath: served.appendingPathComponent("secrets.yaml").path)
        try FileManager.default.copyItem(atPath: file, toPath: served.appendingPathComponent("private/secrets.yaml").path)
        let password = "s3cr3t-Pw"
        let server = try ValuesServer(root: served, credentials: "deploy:" + password)
        defer { server.stop() }
        let netrc = root.appendingPathComponent("netrc")
        try Data("machine example.invalid login other password nope\nmachine 127.0.0.1\n  login deploy\n  password \(password)\n".utf8)
            .write(to: netrc)
        func run(_ args: [String], _ variables: [String: String] = [:]) throws -> Peers.Result {
            try Peers.run(Peers.find(helm)!, ["template", "demo", Self.chart.path] + args,
                          environment: helmEnvironment(helm).merging(variables) { $1 }, directory: work)
        }

        let (open, created) = try watchingForNewFiles(in: watchedDirs) { try run(["-f", "secrets://\(server.base)/secrets.yaml"]) }
        #expect(open.status == 0, "\(open.stderr)")
        #expect(Self.renderedPassword(open.text) == Self.expectedPassword)
        #expect(created.isEmpty, "files appeared: \(created.sorted())")

        let withUser = "secrets://http://deploy:\(password)@127.0.0.1:\(server.port)/private/secrets.yaml"
        let viaNetrc = "secrets://\(server.base)/private/secrets.yaml"
        let viaVariables = "secrets://http://${KS_USER}:${KS_PASSWORD}@127.0.0.1:\(server.port)/private/secrets.yaml"
        for (url, variables) in [(withUser, [:]), (viaNetrc, ["NETRC": netrc.path]),
                                 (viaVariables, ["HELM_SECRETS_URL_VARIABLE_EXPANSION": "true", "KS_USER": "deploy", "KS_PASSWORD": password])] {
            let r = try run(["-f", url], variables)
            #expect(r.status == 0, "\(url): \(r.stderr)")
            #expect(Self.renderedPassword(r.text) == Self.expectedPassword, "\(url)")
        }

        // Failures name the file without its credentials.
        let refused = try run(["-f", "secrets://http://deploy:wrong-\(password)@127.0.0.1:\(server.port)/private/secrets.yaml"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("cannot fetch http://127.0.0.1:\(server.port)/private/secrets.yaml: answered 401"), "\(refused.stderr)")
        #expect(!refused.stderr.contains(password) && !refused.stderr.contains("deploy"), "\(refused.stderr)")
        let unexpanded = try run(["-f", viaVariables], ["KS_USER": "deploy", "KS_PASSWORD": password])
        #expect(unexpanded.status != 0, "without HELM_SECRETS_URL_VARIABLE_EXPANSION, ${VAR} is sent as written")
        let unset = try run(["-f", viaVariables], ["HELM_SECRETS_URL_VARIABLE_EXPANSION": "true", "KS_USER": "deploy"])
        #expect(unset.status != 0)
        #expect(unset.stderr.contains("${KS_PASSWORD} in a secrets:// URL is not set"), "\(unset.stderr)")

        let missing = try run(["-f", "secrets://\(server.base)/absent.yaml"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("absent.yaml: answered 404"), "\(missing.stderr)")
        let optional = try run(["-f", "secrets://?\(server.base)/absent.yaml", "-f", "secrets://\(server.base)/secrets.yaml"])
        #expect(optional.status == 0, "\(optional.stderr)")
        #expect(Self.renderedPassword(optional.text) == Self.expectedPassword)
        // The wrapper sends http(s) values files through the downloader too (helm would hand over the ciphertext).
        let wrapped = try Peers.run(Peers.find(helm)!, ["secrets", "template", "demo", Self.chart.path, "-f", "\(server.base)/secrets.yaml"],
                                    environment: helmEnvironment(helm), directory: work)
        #expect(Self.renderedPassword(wrapped.text) == Self.expectedPassword, "\(wrapped.stderr)")
        let down = try run(["-f", "secrets://?http://127.0.0.1:1/secrets.yaml"])
        #expect(down.status != 0, "an unreachable server is an error even for ?URL")
        #expect(down.stderr.contains("connection refused"), "\(down.stderr)")
    }

    // MARK: helmfile

    @Test("helmfile 0.166 with helm 3.15 renders a release whose secrets: ksecret decrypts",
          .enabled(if: Peers.find("helm3") != nil && Peers.find("helmfile") != nil, "needs helm3 and helmfile 0.166: run `make peers`"))
    func helmfileTemplate() throws {
        defer { try? FileManager.default.removeItem(at: root) }
        try install("helm3")
        _ = try encryptedByKsecret()
        try Data("""
            releases:
              - name: demo
                namespace: demo
                chart: \(Self.chart.path)
                secrets:
                  - secrets.yaml

            """.utf8).write(to: values.appendingPathComponent("helmfile.yaml"))
        let before = Self.listing(watchedDirs)
        let r = try Peers.run(Peers.find("helmfile")!, ["--helm-binary", Peers.find("helm3")!, "template"],
                              environment: helmEnvironment("helm3"), directory: values)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(Self.renderedPassword(r.text) == Self.expectedPassword)
        // helmfile itself writes a short-lived secret*.yaml next to the secrets file (helm-pipeline.md
        // §3.3) and removes it; afterwards nothing new may remain.
        #expect(Self.listing(watchedDirs) == before)

        let otherKey = root.appendingPathComponent("other-identity.txt").path
        try #require(try ksecret(["keygen", "-o", otherKey]).status == 0)
        var wrong = helmEnvironment("helm3")
        wrong["SOPS_AGE_KEY_FILE"] = otherKey
        let failed = try Peers.run(Peers.find("helmfile")!, ["--helm-binary", Peers.find("helm3")!, "template"],
                                   environment: wrong, directory: values)
        #expect(failed.status != 0)
        #expect(failed.stderr.contains("ksecret: error:"), "\(failed.stderr)")
        #expect(Self.listing(watchedDirs) == before)
    }
}
