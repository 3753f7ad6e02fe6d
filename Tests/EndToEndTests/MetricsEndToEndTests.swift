import Foundation
import TestSupport
import Testing

/// `GET /metrics` of the real server, parsed by the official Prometheus client's parser.
@Suite(.serialized, .timeLimit(.minutes(10))) struct MetricsEndToEndTests {
    struct Sample: Decodable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    static func scrape(_ server: ServerProcess) async throws -> [Sample] {
        let text = try await server.get("/metrics")
        #expect(text.status == 200 && text.header("Content-Type")?.hasPrefix("text/plain") == true)
        let parser = CommandLineTests.repositoryRoot.appendingPathComponent("Tests/Interop/parse_prometheus.py").path
        let run = try TestChildren.runToEnd(InteropAndCrashTests.python, [parser], standardInput: text.body, deadline: .seconds(60))
        try #require(run.status == 0, "the Prometheus parser refused the output: \(String(decoding: run.error, as: UTF8.self))")
        let parsed = run.output
        return try JSONDecoder().decode([Sample].self, from: parsed)
    }

    static func value(_ samples: [Sample], _ name: String, _ labels: [String: String] = [:]) -> Double {
        samples.filter { sample in sample.name == name && labels.allSatisfy { sample.labels[$0.key] == $0.value } }.reduce(0) { $0 + $1.value }
    }

    @Test func countersMoveAsRequestsAreMade() async throws {
        let dataDir = CommandLineTests.temporary("-metrics")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let ct = ServeEndToEndTests.corpus.appendingPathComponent("pydicom/CT_small.dcm").path
        #expect(try CommandLineTests.dicomserve("import", ct, "--data-dir", dataDir).status == 0)
        let server = try await ServerProcess(dataDir: dataDir, arguments: ["--rate-limit", "3/60", "--rate-limit-viewing", "3/60"])
        let image = try #require(CommandLineTests.uid(of: ct))

        let before = try await Self.scrape(server)
        for _ in 0..<2 { _ = try await server.get("/api/v1/dicom/images/\(image)/rendered?window=400&level=40") }
        _ = try await server.get("/api/v1/dicom/images/\(image)/rendered?window=400&level=40")
        let limited = try await server.get("/api/v1/dicom/images/\(image)/rendered?window=400&level=40")
        #expect(limited.status == 429)
        let after = try await Self.scrape(server)

        #expect(Self.value(after, "dicomserve_renders_total") - Self.value(before, "dicomserve_renders_total") == 1)
        #expect(
            Self.value(after, "dicomserve_cache_hits_total", ["layer": "l1"]) - Self.value(before, "dicomserve_cache_hits_total", ["layer": "l1"])
                == 2
        )
        #expect(Self.value(after, "dicomserve_rate_limited_total") == 1)
        #expect(Self.value(after, "dicomserve_render_stage_seconds_count", ["stage": "decode"]) >= 1)
        #expect(Self.value(after, "dicomserve_cache_bytes", ["layer": "l1"]) > 0)
        #expect(Self.value(after, "dicomserve_build_info") == 1)
        #expect(Self.value(after, "dicomserve_requests_total") - Self.value(before, "dicomserve_requests_total") >= 5, "the JSON API's counters")
        let route = "/api/v1/dicom/images/{image}/rendered"
        let durations = after.filter { $0.name.hasPrefix("http_server_request_duration") && $0.labels.values.contains(route) }
        #expect(!durations.isEmpty, "request durations by route template: \(Set(after.map(\.name)).sorted().prefix(40))")
        server.stop()
    }
}
