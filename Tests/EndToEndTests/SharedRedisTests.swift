import Foundation
import TestSupport
import Testing

/// Two real server processes over one real redis-server: one rate budget, one render cache.
@Suite(.serialized, .timeLimit(.minutes(10))) struct SharedRedisTests {
    @Test func twoServersShareOneBudgetAndOneCache() async throws {
        let redis = try RedisServer()
        let dataDir = CommandLineTests.temporary("-shared")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let ct = ServeEndToEndTests.corpus.appendingPathComponent("pydicom/CT_small.dcm").path
        #expect(try CommandLineTests.dicomserve("import", ct, "--data-dir", dataDir).status == 0)
        let arguments = ["--redis-url", redis.url, "--rate-limit", "6/60", "--rate-limit-viewing", "6/60", "--cache-mb", "0"]
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
            if response.status == 200, caches.count == 1 {
                // The render's SET is fire-and-forget: let it land before B asks.
                try #require(try await redis.waitForKey(matching: "dicomserve:*:rendered:\(image):*"), "A's render reached Redis")
            }
        }
        #expect(statuses == [200, 200, 200, 200, 200, 200, 429], "six allowed across both servers, the seventh refused")
        #expect(caches[0] == "miss" && caches[1] == "redis", "B serves what A rendered")
        a.stop()
        b.stop()
    }
}

/// Redis stopped under a running server process: hung (SIGSTOP), then gone (SIGKILL), then back.
@Suite(.serialized, .timeLimit(.minutes(10))) struct RedisOutageEndToEndTests {
    @Test func everyRequestIsAnsweredThroughAnOutage() async throws {
        let redis = try RedisServer()
        let dataDir = CommandLineTests.temporary("-outage")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let ct = ServeEndToEndTests.corpus.appendingPathComponent("pydicom/CT_small.dcm").path
        #expect(try CommandLineTests.dicomserve("import", ct, "--data-dir", dataDir).status == 0)
        let server = try await ServerProcess(dataDir: dataDir, arguments: ["--redis-url", redis.url, "--redis-timeout-ms", "200", "--cache-mb", "0"])
        let image = try #require(CommandLineTests.uid(of: ct))
        var level = 0
        func burst(_ count: Int) async throws -> [String] {
            var caches: [String] = []
            for _ in 0..<count {
                level += 1
                let clock = ContinuousClock()
                let start = clock.now
                let response = try await server.get("/api/v1/dicom/images/\(image)/rendered?window=400&level=\(level % 5)")
                #expect([200, 429].contains(response.status))
                // The timeout is 200 ms; a request waiting on the hung Redis would wait for ever (SIGSTOP keeps
                // the connection open), so a bound 150 times the timeout tells them apart on any machine load.
                #expect(clock.now - start < .seconds(30), "no request waits on Redis much longer than its timeout")
                caches.append(response.header("X-Cache") ?? "-")
            }
            return caches
        }
        _ = try await burst(10)
        redis.pause()
        _ = try await burst(10)
        redis.kill()
        _ = try await burst(10)
        let health = try #require(try await server.get("/api/v1/health").json as? [String: Any])
        #expect(health["status"] as? String == "degraded")
        try redis.restart()
        var usedAgain = false
        let deadline = ContinuousClock.now + .seconds(30)  // the backoff reaches at most 5 s
        while !usedAgain, ContinuousClock.now < deadline {
            usedAgain = try await burst(5).contains("redis")
            if !usedAgain { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(usedAgain, "after the restart the shared cache is used again without restarting the server")
        let recovered = try #require(try await server.get("/api/v1/health").json as? [String: Any])
        #expect(recovered["status"] as? String == "ok")
        server.stop()
    }
}
