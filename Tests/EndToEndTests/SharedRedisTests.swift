import Foundation
import TestSupport
import Testing

/// Two real server processes over one real redis-server: one rate budget, one render cache.
@Suite(.serialized) struct SharedRedisTests {
    @Test func twoServersShareOneBudgetAndOneCache() async throws {
        let redis = try RedisServer()
        let dataDir = CommandLineTests.temporary("-shared")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let ct = ServeEndToEndTests.corpus.appendingPathComponent("pydicom/CT_small.dcm").path
        #expect(try CommandLineTests.dicomserve("import", ct, "--data-dir", dataDir).status == 0)
        let arguments = ["--redis-url", redis.url, "--rate-limit", "6/60", "--cache-mb", "0"]
        let a = try await ServerProcess(dataDir: dataDir, arguments: arguments)
        let b = try await ServerProcess(dataDir: dataDir, arguments: arguments)
        // Readiness probes hit /api/v1/health, which is exempt: the budget is untouched so far.
        let image = try #require(CommandLineTests.uid(of: ct))
        let path = "/api/v1/dicom/images/\(image)/rendered?window=400&level=40"
        var statuses: [Int] = []
        var caches: [String] = []
        for server in [a, b, a, b, a, b, a] {
            let response = try await server.get(path)
            statuses.append(response.status)
            caches.append(response.header("X-Cache") ?? "-")
            if response.status == 200, caches.count == 1 { try await Task.sleep(for: .milliseconds(200)) }  // let the SET land
        }
        #expect(statuses == [200, 200, 200, 200, 200, 200, 429], "six allowed across both servers, the seventh refused")
        #expect(caches[0] == "miss" && caches[1] == "redis", "B serves what A rendered")
        a.stop()
        b.stop()
    }
}
