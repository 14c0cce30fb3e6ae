import Foundation
import Testing
@testable import KSecret

/// The reference chart, rendered offline by the real helm: lint, schema validation and the
/// DATABASE_URL encoding through scripts/chart-check.sh (helm 3 and 4, kubernetes-validate), and
/// the rendered objects checked against what the deployment needs.
@Suite("reference chart", .enabled(if: Peers.find("helm3") != nil && Peers.find("helm4") != nil, "needs helm 3 and 4 (make peers)"))
struct ChartTests {
    static let root = Peers.repoRoot

    @Test("chart-check: lint, identical renders on both helms, kubernetes-validate, DATABASE_URL round trip, schema refusals",
          .enabled(if: Peers.find("kubernetes-validate") != nil, "needs kubernetes-validate (make peers)"))
    func chartCheck() throws {
        let r = try Peers.run("/bin/bash", [Self.root.appendingPathComponent("scripts/chart-check.sh").path,
                                            Self.root.appendingPathComponent("keys-example/chart-secrets.yaml").path], directory: Self.root)
        #expect(r.status == 0, "\(r.text)\n\(r.stderr)")
        #expect(r.text.contains("all checks passed"))
    }

    /// The rendered documents, by kind.
    func render() throws -> [(kind: String, name: String, node: Node)] {
        let r = try Peers.run(Peers.find("helm3")!, ["template", "t", Self.root.appendingPathComponent("charts/django-app").path,
                                                     "-f", Self.root.appendingPathComponent("keys-example/chart-secrets.yaml").path,
                                                     "-f", Self.root.appendingPathComponent("charts/django-app/ci/test-values.yaml").path])
        #expect(r.status == 0, "\(r.stderr)")
        let parsed = try YAMLStore().parse(r.stdout, path: "rendered.yaml")
        return parsed.document.branches.compactMap { node in
            guard let kind = node["kind"]?.stringValue, let name = node["metadata"]?["name"]?.stringValue else { return nil }
            return (kind, name, node)
        }
    }

    func scalar(_ node: Node?) -> ScalarValue? { if case .scalar(let s)? = node { return s.value } else { return nil } }
    func items(_ node: Node?) -> [Node] { if case .sequence(let i)? = node { return i.filter { !$0.isComment } } else { return [] } }

    @Test("rendered objects: app, service, HPA, ingress, static volume, DDNS hooks")
    func objects() throws {
        let docs = try render()
        let app = try #require(docs.first { $0.kind == "Deployment" && $0.name == "t-django-app" }?.node)
        let containers = items(app["spec"]?["template"]?["spec"]?["containers"])
        let container = try #require(containers.first)
        let ports = items(container["ports"])
        #expect(scalar(ports.first?["containerPort"]) == .int(8000))
        #expect(container["readinessProbe"] != nil && container["livenessProbe"] != nil)
        #expect(scalar(container["resources"]?["requests"]?["cpu"]) == .string("400m"))
        #expect(scalar(container["resources"]?["requests"]?["memory"]) == .string("200Mi"))
        #expect(scalar(container["resources"]?["limits"]?["cpu"]) == .string("500m"))
        #expect(scalar(container["resources"]?["limits"]?["memory"]) == .string("512Mi"))
        let envFrom = items(container["envFrom"])
        #expect(envFrom.contains { $0["configMapRef"] != nil } && envFrom.contains { $0["secretRef"]?["name"]?.stringValue == "db-connect" })

        let service = try #require(docs.first { $0.kind == "Service" && $0.name == "t-django-app" }?.node)
        #expect(scalar(service["spec"]?["type"]) == .string("ClusterIP"))
        let servicePorts = items(service["spec"]?["ports"])
        #expect(scalar(servicePorts.first?["port"]) == .int(8080))

        let hpa = try #require(docs.first { $0.kind == "HorizontalPodAutoscaler" }?.node)
        #expect(scalar(hpa["apiVersion"]) == .string("autoscaling/v2"))
        #expect(scalar(hpa["spec"]?["minReplicas"]) == .int(2) && scalar(hpa["spec"]?["maxReplicas"]) == .int(4))
        let metrics = items(hpa["spec"]?["metrics"]).compactMap { $0["resource"] }
        #expect(Set(metrics.compactMap { $0["name"]?.stringValue }) == ["cpu", "memory"])
        #expect(metrics.allSatisfy { scalar($0["target"]?["averageUtilization"]) == .int(80) })

        let ingress = try #require(docs.first { $0.kind == "Ingress" }?.node)
        #expect(scalar(ingress["spec"]?["ingressClassName"]) == .string("nginx"))
        let paths = items(ingress["spec"]?["rules"]).flatMap { items($0["http"]?["paths"]) }.compactMap { $0["path"]?.stringValue }
        #expect(Set(paths) == ["/", "/static"])
        let tls = items(ingress["spec"]?["tls"])
        #expect(!tls.isEmpty)

        #expect(docs.contains { $0.kind == "PersistentVolumeClaim" })
        let staticServer = try #require(docs.first { $0.kind == "Deployment" && $0.name != "t-django-app" }?.node)
        let volumes = items(staticServer["spec"]?["template"]?["spec"]?["volumes"])
        #expect(volumes.contains { $0["persistentVolumeClaim"] != nil })
        #expect(docs.contains { $0.kind == "CronJob" })
        #expect(docs.contains { $0.kind == "ClusterIssuer" })

        let hooks = docs.filter { $0.kind == "Job" }.compactMap { $0.node["metadata"]?["annotations"]?["helm.sh/hook"]?.stringValue }
        #expect(hooks.filter { $0 == "pre-install,pre-upgrade" }.count >= 2, "\(hooks)")
    }
}
