import Testing
@testable import KSecret

/// The pure parts of the helm integration: helm-secrets' URL schemes (helm-pipeline.md §2.5) and
/// the wrapper's values-argument rewriting (§2.6), without helm.
@Suite("helm URLs and arguments")
struct HelmArgumentsTests {
    @Test("secrets URL schemes parse as helm-secrets defines them")
    func parseURLs() throws {
        #expect(try SecretsURL.parse("secrets://a/b.yaml") == SecretsURL(source: .file("a/b.yaml")))
        #expect(try SecretsURL.parse("secrets:///abs/b.yaml") == SecretsURL(source: .file("/abs/b.yaml")))
        #expect(try SecretsURL.parse("secrets://?sops!x.yaml") == SecretsURL(source: .file("x.yaml"), ignoreMissing: true))
        #expect(try SecretsURL.parse("secrets+age-import://keys.txt?dir/s.yaml") == SecretsURL(source: .ageImport(keys: "keys.txt", file: "dir/s.yaml")))
        #expect(try SecretsURL.parse("secrets+gpg-import://k.asc?s.yaml") == SecretsURL(source: .gpgImport(key: "k.asc", file: "s.yaml")))
        #expect(try SecretsURL.parse("secrets+literal://hello") == SecretsURL(source: .literal("hello")))
        #expect(try SecretsURL.parse("secrets://dir/odd!name.yaml") == SecretsURL(source: .file("dir/odd!name.yaml")))
    }

    @Test("http(s) targets parse as remote; shown without credentials, query or fragment; ${VAR} expanded strictly")
    func remoteURLs() throws {
        #expect(try SecretsURL.parse("secrets://https://h.example/v/s.yaml") == SecretsURL(source: .remote("https://h.example/v/s.yaml")))
        #expect(try SecretsURL.parse("secrets://?HTTP://u:p@h:8/s.yaml") == SecretsURL(source: .remote("HTTP://u:p@h:8/s.yaml"), ignoreMissing: true))
        #expect(try SecretsURL.parse("secrets://sops!https://h/s.yaml") == SecretsURL(source: .remote("https://h/s.yaml")))
        #expect(SecretsURL.redacted("https://user:p@ss@h.example:8443/a/s.yaml?token=x#f") == "https://h.example:8443/a/s.yaml")
        #expect(SecretsURL.redacted("https://h.example/a@b/s.yaml") == "https://h.example/a@b/s.yaml")
        let environment = KSecretEnvironment(variables: ["TOKEN": "t0k", "EMPTY": ""], currentDirectory: "/")
        #expect(try SecretsURL.expandingVariables("https://${TOKEN}@h/${TOKEN}$TOKEN${EMPTY}", environment: environment)
                == "https://t0k@h/t0k$TOKEN")
        let unset = try #require(throws: KSecretError.self) { try SecretsURL.expandingVariables("https://${NOPE}@h/", environment: environment) }
        #expect(unset.message.contains("${NOPE}"))
        #expect(throws: KSecretError.self) { try SecretsURL.expandingVariables("https://${TOKEN@h/", environment: environment) }
    }

    @Test("bad URLs are refused with a message", arguments: [
        "secrets+age-import://keys-only.txt", "secrets://vals!x.yaml", "myproto://x", "secrets://", "plain.yaml",
        "secrets://s3://bucket/s.yaml", "secrets://git+https://example.com/r@s.yaml",
    ])
    func badURLs(url: String) {
        #expect(throws: KSecretError.self) { try SecretsURL.parse(url) }
    }

    @Test("encrypted -f/--values entries become secrets:// URLs; everything else is untouched")
    func rewrite() {
        let encrypted: Set<String> = ["enc.yaml", "dir/enc2.yaml", "a,b.yaml"]
        let input = ["template", "r", "./chart", "-f", "enc.yaml", "--values", "plain.yaml,dir/enc2.yaml", "--values=enc.yaml",
                     "-fenc.yaml", "-f", "secrets://enc.yaml", "--set", "x=enc.yaml", "-f", "a\\,b.yaml", "--set-file", "k=enc.yaml,j=plain.txt", "--set-file=k=dir/enc2.yaml", "--", "-f", "enc.yaml"]
        let output = ValuesArgumentRewriter.rewrite(input) { encrypted.contains($0) }
        #expect(output == ["template", "r", "./chart", "-f", "secrets://enc.yaml", "--values", "plain.yaml,secrets://dir/enc2.yaml",
                           "--values=secrets://enc.yaml", "-fsecrets://enc.yaml", "-f", "secrets://enc.yaml", "--set", "x=enc.yaml",
                           "-f", "secrets://a\\,b.yaml", "--set-file", "k=secrets://enc.yaml,j=plain.txt",
                           "--set-file=k=secrets://dir/enc2.yaml", "--", "-f", "enc.yaml"])
    }

    @Test("a comma or `=` followed by a combining mark still separates -f and --set-file entries, as helm splits bytes")
    func rewriteSplitsBeforeCombiningMarks() {
        let encrypted: Set<String> = ["enc.yaml", "\u{0301}enc.yaml"]
        let output = ValuesArgumentRewriter.rewrite(["-f", "plain.yaml,\u{0301}enc.yaml", "--set-file", "k=\u{0301}enc.yaml"]) { encrypted.contains($0) }
        #expect(output == ["-f", "plain.yaml,secrets://\u{0301}enc.yaml", "--set-file", "k=secrets://\u{0301}enc.yaml"])
    }

    @Test("helm-secrets' ?FILE and sops!FILE prefixes go to the downloader; another name! is part of a file name")
    func rewriteEntryPrefixes() {
        let output = ValuesArgumentRewriter.rewrite(["-f", "?gone.yaml,sops!enc.yaml,vals!x.yaml,odd!name.yaml", "--set-file", "k=?gone.txt"],
                                                    exists: { _ in false }) { _ in false }
        #expect(output == ["-f", "secrets://?gone.yaml,secrets://sops!enc.yaml,secrets://vals!x.yaml,odd!name.yaml",
                           "--set-file", "k=secrets://?gone.txt"])
    }

    @Test("ignoring missing values: a missing -f or --set-file file is read as ?FILE, present ones as before")
    func rewriteIgnoringMissing() {
        let present: Set<String> = ["plain.yaml", "enc.yaml"], encrypted: Set<String> = ["enc.yaml"]
        let input = ["-f", "plain.yaml,gone.yaml", "--values=enc.yaml", "--set-file", "k=gone.txt", "-f", "secrets://gone.yaml"]
        let allowed = ValuesArgumentRewriter.rewrite(input, ignoringMissing: true, exists: present.contains) { encrypted.contains($0) }
        #expect(allowed == ["-f", "plain.yaml,secrets://?gone.yaml", "--values=secrets://enc.yaml", "--set-file", "k=secrets://?gone.txt",
                            "-f", "secrets://gone.yaml"])
        let strict = ValuesArgumentRewriter.rewrite(input, exists: present.contains) { encrypted.contains($0) }
        #expect(strict == ["-f", "plain.yaml,gone.yaml", "--values=secrets://enc.yaml", "--set-file", "k=gone.txt", "-f", "secrets://gone.yaml"])
    }

    @Test("helm-secrets' values path restrictions: each kind refused only when its variable is false")
    func valuesPathPolicy() throws {
        func policy(_ variables: [String: String]) -> ValuesPathPolicy {
            ValuesPathPolicy(environment: KSecretEnvironment(variables: variables, currentDirectory: "/work"))
        }
        let open = policy([:])
        #expect(!open.restricts)
        for path in ["/abs/s.yaml", "../up.yaml", "a/../b.yaml", "C:\\s.yaml", "link.yaml"] {
            #expect(throws: Never.self) { try open.check(path, isSymlink: { _ in true }) }
        }

        let absolute = policy(["HELM_SECRETS_VALUES_ALLOW_ABSOLUTE_PATH": "false"])
        #expect(absolute.restricts)
        for path in ["/abs/s.yaml", "\\share\\s.yaml", "C:s.yaml"] {
            let error = try #require(throws: KSecretError.self) { try absolute.check(path, isSymlink: { _ in false }) }
            #expect(error.message.contains("absolute path") && error.message.contains("HELM_SECRETS_VALUES_ALLOW_ABSOLUTE_PATH=false"))
        }
        #expect(throws: Never.self) { try absolute.check("values/s.yaml", isSymlink: { _ in false }) }
        #expect(throws: Never.self) { try absolute.check("../s.yaml", isSymlink: { _ in false }) }

        let traversal = policy(["HELM_SECRETS_VALUES_ALLOW_PATH_TRAVERSAL": "FALSE"])
        for path in ["../s.yaml", "values/../../s.yaml", "values/..", "/abs/../s.yaml"] {
            let error = try #require(throws: KSecretError.self) { try traversal.check(path, isSymlink: { _ in false }) }
            #expect(error.message.contains("HELM_SECRETS_VALUES_ALLOW_PATH_TRAVERSAL=false"))
        }
        // By bytes: a combining mark after the slash does not hide the `../`.
        #expect(throws: KSecretError.self) { try traversal.check("../\u{0301}s.yaml", isSymlink: { _ in false }) }
        #expect(throws: Never.self) { try traversal.check("values/s..yaml", isSymlink: { _ in false }) }

        let symlinks = policy(["HELM_SECRETS_VALUES_ALLOW_SYMLINKS": "false", "HELM_SECRETS_VALUES_ALLOW_ABSOLUTE_PATH": "true"])
        #expect(throws: KSecretError.self) { try symlinks.check("link.yaml", isSymlink: { $0 == "link.yaml" }) }
        #expect(throws: Never.self) { try symlinks.check("file.yaml", isSymlink: { $0 == "link.yaml" }) }
        #expect(throws: Never.self) { try symlinks.check("/abs/file.yaml", isSymlink: { _ in false }) }
    }

    @Test("every local values file goes through the downloader when asked, plain ones too; http(s) always, other URLs never")
    func rewriteAllThroughDownloader() {
        let output = ValuesArgumentRewriter.rewrite(["-f", "plain.yaml,/abs/p.yaml", "--set-file", "k=t.txt", "-f", "https://x/v.yaml"],
                                                    allThroughDownloader: true, exists: { _ in true }) { _ in false }
        #expect(output == ["-f", "secrets://plain.yaml,secrets:///abs/p.yaml", "--set-file", "k=secrets://t.txt", "-f", "secrets://https://x/v.yaml"])
        let urls = ValuesArgumentRewriter.rewrite(["-f", "HTTP://x/a.yaml,oci://r/c,s3://b/v.yaml"]) { _ in false }
        #expect(urls == ["-f", "secrets://HTTP://x/a.yaml,oci://r/c,s3://b/v.yaml"])
    }

    @Test("a --set value that is a whole sops document is found, in every --set form; plain values and a lone ENC value are not")
    func encryptedSetValues() {
        let document = #"{"password":"ENC[AES256_GCM,data:Fg==,iv:a,tag:b,type:str]","sops":{"mac":"ENC[AES256_GCM,data:c,iv:d,tag:e,type:str]"}}"#
        for (arguments, option) in [(["template", "c", "--set", "a.b=" + document], "--set"),
                                    (["--set-string", "a.b=" + document], "--set-string"),
                                    (["--set-json=a.b=" + document], "--set-json"),
                                    (["-f", "v.yaml", "--set", "x=1", "--set-literal", "a.b=" + document], "--set-literal")] {
            let found = ValuesArgumentRewriter.encryptedSetValue(in: arguments)
            #expect(found?.option == option && found?.key == "a.b", "\(arguments)")
        }
        #expect(ValuesArgumentRewriter.encryptedSetValue(in: ["--set", "x=1,y.z=" + document])?.key == "y.z")
        #expect(ValuesArgumentRewriter.encryptedSetValue(in: ["--set", "a=ENC[AES256_GCM,data:Fg==,iv:a,tag:b,type:str]", "--set", "b=2"]) == nil)
        #expect(ValuesArgumentRewriter.encryptedSetValue(in: ["-f", document, "--", "--set", "a.b=" + document]) == nil)
        #expect(ValuesArgumentRewriter.encryptedSetValue(in: ["--set"]) == nil)
    }

    @Test("the plugin manifests are legacy format: no apiVersion, no command: key, no args:, CLI and getter apart")
    func manifests() {
        let cli = HelmPluginLayout.manifest(for: HelmPluginLayout.cliName)
        let getter = HelmPluginLayout.manifest(for: HelmPluginLayout.getterName)
        for text in [cli, getter] {
            #expect(HelmPluginLayout.isOurs(manifest: text))
            #expect(!text.contains("apiVersion") && !text.contains("args:") && !text.contains("\ncommand:"))
        }
        #expect(cli.contains("name: \"secrets\"") && !cli.contains("downloaders"))
        #expect(getter.contains("downloaders:") && getter.contains("command: \"bin/ksecret helm downloader\""))
        #expect(HelmPluginLayout.version.hasPrefix("4."))
    }
}
