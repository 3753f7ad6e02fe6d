import Caching
import DicomCodec
import DicomImaging
import DicomStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Redis
import TestSupport
import Testing

@testable import DicomArchive
@testable import DicomServer

/// Redis as the shared render cache (L2), against a real redis-server: TTLs, hits across a cold L1,
/// generations shared by replicas, and outages that never fail a request.
@Suite(.serialized, .timeLimit(.minutes(10))) struct RedisCacheTests {
    static func configuration(_ redis: RedisServer, l1: Bool = false) throws -> ServerConfiguration {
        var configuration = ServerConfiguration(version: "test")
        configuration.cache.redis = try RedisEndpoint(url: redis.url)
        if !l1 { configuration.cache.renderedBytes = 0 }
        return configuration
    }

    /// Another replica: its own caches, Redis client and router over the same catalog and store.
    static func replica(of archive: Archive, _ configuration: ServerConfiguration) -> (Archive, Router<DicomRequestContext>) {
        let replica = Archive(
            catalog: archive.catalog,
            store: archive.store,
            presets: archive.rendering.presets,
            pool: WorkPool(threads: 1),
            cache: configuration.cache
        )
        return (replica, buildRouter(archive: replica, configuration: configuration))
    }

    /// Waits until the fire-and-forget SET of a render has landed.
    static func waitForKey(_ client: RedisClient, _ key: String) async throws {
        for _ in 0..<200 {
            if case .integer(1)? = try? await client.command("EXISTS", key) { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        Issue.record("\(key) never reached Redis")
    }

    /// The CT's lung-preset render: its JSON API path and its Redis key.
    static func lungRender(_ archive: Archive) throws -> (path: String, key: String) {
        let (row, path) = try CacheTests.ctPath(archive)
        let options = try JSONAPIRoutes<DicomRequestContext>.lungOptions(archive)
        return (path, CacheKeys.render(row, options: options, png: .fast, generation: archive.cacheGeneration).description)
    }

    @Test func rendersAreSharedThroughRedisWithTheirTTL() async throws {
        let redis = try RedisServer()
        try await JSONAPITests.withArchive(configuration: try Self.configuration(redis)) { router, archive in
            let (path, key) = try Self.lungRender(archive)
            let client = RedisClient(endpoint: try RedisEndpoint(url: redis.url))
            try await Application(router: router).test(.router) { http in
                try await http.execute(uri: path, method: .get) { #expect($0.headers[.xCache] == "miss") }
                try await Self.waitForKey(client, key)
                if case .integer(let ttl) = try await client.command("TTL", key) { #expect((1790...1800).contains(ttl)) } else { Issue.record("TTL") }
                var first = ByteBuffer()
                try await http.execute(uri: path, method: .get) { response in
                    #expect(response.headers[.xCache] == "redis", "L1 is off: the bytes came from Redis")
                    first = response.body
                }
                try await http.execute(uri: path, method: .get) { #expect($0.body == first && $0.headers[.eTag] != nil) }
                try await http.execute(uri: "/api/v1/health", method: .get) { response in
                    let health = try JSONAPITests.json(response.body)
                    #expect(health["status"] as? String == "ok" && health["redis"] as? String == "up")
                }
            }
            #expect(archive.rendering.rendersPerformed == 1)
        }
    }

    /// A Redis entry that is not a render (another program's key, a truncated write) is a miss: the
    /// request is rendered and answered, and the entry is replaced by a good one.
    @Test func aCorruptEntryIsAMissNotAnError() async throws {
        let redis = try RedisServer()
        try await JSONAPITests.withArchive(configuration: try Self.configuration(redis)) { router, archive in
            let (path, key) = try Self.lungRender(archive)
            let client = RedisClient(endpoint: try RedisEndpoint(url: redis.url))
            // Junk, an older layout, and the current tag over bytes that are no image.
            for junk in ["junk", "DSR1" + String(repeating: "\u{1}", count: 40), "DSR2" + String(repeating: "\u{1}", count: 60)] {
                _ = try await client.command("SET", key, junk)
                try await Application(router: router).test(.router) { http in
                    try await http.execute(uri: path, method: .get) { response in
                        #expect(response.status == .ok && response.headers[.xCache] == "miss", "\(junk.prefix(8)): rendered afresh")
                        #expect(Array(response.body.readableBytesView.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
                    }
                }
                // The good render replaces the junk (the write is fire-and-forget).
                var replaced = false
                let deadline = ContinuousClock.now + .seconds(10)
                while !replaced, ContinuousClock.now < deadline {
                    if case .string(let bytes)? = try? await client.command("GET", key) { replaced = bytes.count > 100 }
                    if !replaced { try await Task.sleep(for: .milliseconds(10)) }
                }
                #expect(replaced, "the corrupt entry was overwritten")
            }
            await client.shutdown()
        }
    }

    /// Invalidation walks every SCAN batch, not only the first.
    @Test func deletingByPatternSpansEveryScanBatch() async throws {
        let redis = try RedisServer()
        let client = RedisClient(endpoint: try RedisEndpoint(url: redis.url))
        for index in 0..<2_500 { _ = try await client.command("SET", "dicomserve:1:rendered:1.2.3:1:w=\(index)", "x") }
        for index in 0..<10 { _ = try await client.command("SET", "dicomserve:1:rendered:1.2.4:1:w=\(index)", "x") }
        await SharedCache(client: client).deleteAll(matching: CacheKeys.renderPattern(sopInstanceUID: "1.2.3"), batch: 100)
        #expect(try redis.keys(matching: "dicomserve:*:rendered:1.2.3:*").isEmpty, "all 2,500 gone, over 25+ batches")
        #expect(try redis.keys(matching: "dicomserve:*:rendered:1.2.4:*").count == 10, "another instance's keys kept")
        await client.shutdown()
    }

    @Test func clearCacheIsSharedByReplicas() async throws {
        let redis = try RedisServer()
        let configuration = try Self.configuration(redis, l1: true)
        try await JSONAPITests.withArchive(configuration: configuration) { routerA, serviceA in
            try await JSONAPITests.withArchive(configuration: configuration) { routerB, serviceB in
                let (_, path) = try CacheTests.ctPath(serviceA)
                try await Application(router: routerA).test(.router) { http in
                    try await http.execute(uri: "/api/v1/dicom/clear-cache", method: .post) { response in
                        let body = try JSONAPITests.json(response.body)
                        #expect(body["generation"] as? Int == 1)
                    }
                }
                try await Task.sleep(for: .milliseconds(1100))  // replicas read the generation at most once a second
                try await Application(router: routerB).test(.router) { http in
                    try await http.execute(uri: path, method: .get) { _ in }
                }
                #expect(serviceB.cacheGeneration == 1, "replica B adopted A's generation from Redis")
                #expect(serviceA.cacheGeneration == 1)
            }
        }
    }

    @Test func aRedisOutageNeverFailsARequest() async throws {
        let redis = try RedisServer()
        var configuration = try Self.configuration(redis)
        configuration.cache.redisTimeout = .milliseconds(200)
        try await JSONAPITests.withArchive(configuration: configuration) { router, archive in
            let rows = try archive.catalog.instances(inSeries: nil)
            try await Application(router: router).test(.router) { http in
                func renderAll(expect outcome: String?) async throws {
                    for row in rows {
                        let clock = ContinuousClock()
                        let start = clock.now
                        try await http.execute(uri: "/api/v1/dicom/images/\(row.sopInstanceUID)/rendered?size=64", method: .get) { response in
                            #expect(response.status == .ok)
                            if let outcome { #expect(response.headers[.xCache] == outcome) }
                        }
                        // The timeout is 200 ms; a request waiting on the hung Redis itself would wait for ever
                        // (SIGSTOP keeps the connection open), so a bound far above the timeout still tells them apart
                        // however loaded the machine is.
                        #expect(clock.now - start < .seconds(30), "bounded by the Redis timeout, not by the outage")
                    }
                }
                try await renderAll(expect: "miss")
                redis.pause()  // hung: every Redis call times out
                try await renderAll(expect: nil)
                redis.kill()  // gone: refused, then skipped during the backoff
                try await renderAll(expect: "miss")
                try await http.execute(uri: "/api/v1/health", method: .get) { response in
                    let health = try JSONAPITests.json(response.body)
                    #expect(health["status"] as? String == "degraded" && health["redis"] as? String == "down")
                    #expect((health["reason"] as? String)?.isEmpty == false)
                }
                try redis.restart()
                // Back: after the backoff the cache is written and read again.
                var usedAgain = false
                let deadline = ContinuousClock.now + .seconds(30)  // the backoff reaches at most 5 s
                while !usedAgain, ContinuousClock.now < deadline {
                    try await http.execute(uri: "/api/v1/dicom/images/\(rows[0].sopInstanceUID)/rendered?size=32", method: .get) { response in
                        usedAgain = response.headers[.xCache] == "redis"
                    }
                    if !usedAgain { try await Task.sleep(for: .milliseconds(100)) }
                }
                #expect(usedAgain)
            }
        }
    }
}

extension JSONAPIRoutes {
    /// The options of `?preset=lung` on the JSON API's rendered route.
    static func lungOptions(_ archive: Archive) throws -> RenderOptions {
        var options = RenderOptions()
        options.voi = try archive.rendering.voi(forPreset: "lung").1
        return options
    }
}

/// Rate limiting as clients see it: headers, 429, exemptions, separate upload budget.
@Suite(.timeLimit(.minutes(10)))
struct RateLimitTests {
    @Test func theRequestPastTheBudgetGets429WithHeaders() async throws {
        var configuration = ServerConfiguration(version: "test")
        configuration.rateLimits = RateLimits(
            standard: RateLimitPolicy(name: "default", limit: 5, window: .seconds(60)),
            ingest: RateLimitPolicy(name: "ingest", limit: 1, window: .seconds(60))
        )
        try await JSONAPITests.withRouter(configuration: configuration) { router, _ in
            try await Application(router: router).test(.router) { client in
                for remaining in (0..<5).reversed() {
                    try await client.execute(uri: "/api/v1/dicom/presets", method: .get) { response in
                        #expect(response.status == .ok)
                        #expect(response.headers[HTTPField.Name("RateLimit-Policy")!] == "\"default\";q=5;w=60")
                        #expect(response.headers[HTTPField.Name("RateLimit")!]?.hasPrefix("\"default\";r=\(remaining);t=") == true)
                    }
                }
                try await client.execute(uri: "/api/v1/dicom/studies", method: .get) { response in
                    try JSONAPITests.expectErrorBody(response, status: .tooManyRequests, path: "/api/v1/dicom/studies")
                    #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 >= 1)
                    #expect(response.headers[HTTPField.Name("RateLimit")!]?.contains("r=0") == true)
                }
                for _ in 0..<10 {
                    try await client.execute(uri: "/api/v1/health", method: .get) { #expect($0.status == .ok, "health is exempt") }
                }
                try await client.execute(uri: "/api/v1/metrics", method: .get) { #expect($0.status == .ok, "metrics are exempt") }
                // Uploads have their own budget (1 here): the first is judged on its body, the second refused.
                try await client.execute(
                    uri: "/api/v1/dicom/instances",
                    method: .post,
                    headers: [.contentType: "application/dicom"],
                    body: ByteBuffer(string: "x")
                ) {
                    #expect($0.status == .unprocessableContent)
                }
                try await client.execute(
                    uri: "/api/v1/dicom/instances",
                    method: .post,
                    headers: [.contentType: "application/dicom"],
                    body: ByteBuffer(string: "x")
                ) {
                    #expect($0.status == .tooManyRequests)
                }
            }
        }
    }
}

/// Series metadata built by one replica is served by another from Redis.
@Suite(.serialized, .timeLimit(.minutes(10))) struct RedisDocumentTests {
    @Test func seriesMetadataIsSharedThroughRedis() async throws {
        let redis = try RedisServer()
        let configuration = try RedisCacheTests.configuration(redis)
        try await JSONAPITests.withArchive(files: ["pydicom/CT_small.dcm"], configuration: configuration) { routerA, serviceA in
            let (serviceB, routerB) = RedisCacheTests.replica(of: serviceA, configuration)
            let row = try #require(try serviceA.catalog.instances(inSeries: nil).first)
            let path = "/dicomweb/studies/\(row.studyInstanceUID)/series/\(row.seriesInstanceUID)/metadata"
            let built = try await Application(router: routerA).test(.router) { http in
                try await http.execute(uri: path, method: .get) { response in
                    #expect(response.headers[.xCache] == "miss")
                    return response.body
                }
            }
            // The SET is fire-and-forget: wait until it has landed.
            try #require(try await redis.waitForKey(matching: "dicomserve:*:metadata:*"), "A's document reached Redis")
            try await Application(router: routerB).test(.router) { http in
                try await http.execute(uri: path, method: .get) { response in
                    #expect(response.headers[.xCache] == "redis", "B did not build it: A's document came through Redis")
                    #expect(response.body == built)
                }
                try await http.execute(uri: path, method: .get) { #expect($0.headers[.xCache] == "l1") }
            }
            try await serviceB.shutdown()
        }
    }
}

/// Replacement removes the instance's renders from Redis too.
@Suite(.serialized, .timeLimit(.minutes(10))) struct RedisInvalidationTests {
    @Test func replacingAnInstanceDeletesItsRedisKeys() async throws {
        let redis = try RedisServer()
        try await JSONAPITests.withArchive(files: ["pydicom/CT_small.dcm"], configuration: try RedisCacheTests.configuration(redis)) {
            router,
            archive in
            let row = try #require(try archive.catalog.instances(inSeries: nil).first)
            let client = RedisClient(endpoint: try RedisEndpoint(url: redis.url))
            var options = RenderOptions()
            options.voi = .window(Window(center: 40, width: 400))
            let key = CacheKeys.render(row, options: options, png: .fast, generation: archive.cacheGeneration).description
            try await Application(router: router).test(.router) { http in
                try await http.execute(uri: "/api/v1/dicom/images/\(row.sopInstanceUID)/rendered?window=400&level=40", method: .get) { _ in }
                try await RedisCacheTests.waitForKey(client, key)
                #expect(try await CacheTests.upload(try CacheTests.replacement(of: row), with: http) == "replaced")
                #expect(try await client.command("EXISTS", key) == .integer(0), "the replaced instance's render is gone from Redis")
            }
        }
    }

    @Test func otherReplicasForgetAReplacedInstanceWithinASecond() async throws {
        let redis = try RedisServer()
        let configuration = try RedisCacheTests.configuration(redis, l1: true)
        try await JSONAPITests.withArchive(files: ["pydicom/CT_small.dcm"], configuration: configuration) { routerA, serviceA in
            let (serviceB, routerB) = RedisCacheTests.replica(of: serviceA, configuration)
            let row = try #require(try serviceA.catalog.instances(inSeries: nil).first)
            let path = "/api/v1/dicom/images/\(row.sopInstanceUID)/rendered?window=400&level=40"
            try await Application(router: routerB).test(.router) { http in
                try await http.execute(uri: path, method: .get) { #expect($0.headers[.xCache] == "miss") }
                try await http.execute(uri: path, method: .get) { #expect($0.headers[.xCache] == "l1") }
            }
            let replacement = try CacheTests.replacement(of: row)
            let outcome = try await Application(router: routerA).test(.router) { http in try await CacheTests.upload(replacement, with: http) }
            #expect(outcome == "replaced")
            try await Task.sleep(for: .milliseconds(1100))
            try await Application(router: routerB).test(.router) { http in
                try await http.execute(uri: path, method: .get) { response in
                    let answer = "\(response.status) \(String(buffer: response.body))"
                    #expect(response.headers[.xCache] == "miss", "B dropped its copy of the replaced instance's render: \(answer)")
                }
            }
            try await serviceB.shutdown()
        }
    }
}
