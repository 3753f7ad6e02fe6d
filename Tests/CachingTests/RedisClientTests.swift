import Foundation
import TestSupport
import Testing

@testable import Caching
@testable import Redis

/// The hiredis client against a real redis-server.
@Suite(.serialized, .timeLimit(.minutes(10))) struct RedisClientTests {
    @Test func urlsParse() throws {
        #expect(try RedisEndpoint(url: "redis://127.0.0.1:6380/2") == RedisEndpoint(address: .tcp(host: "127.0.0.1", port: 6380), database: 2))
        #expect(try RedisEndpoint(url: "redis://:s3cret@cache") == RedisEndpoint(address: .tcp(host: "cache", port: 6379), password: "s3cret"))
        #expect(try RedisEndpoint(url: "unix:/run/redis.sock?db=1") == RedisEndpoint(address: .unix(path: "/run/redis.sock"), database: 1))
        #expect(try RedisEndpoint(url: "redis://:pw@h:1/0").description == "redis://h:1/0", "no password in logs")
        for bad in ["http://x", "redis://h:0", "redis://h/x", "unix:relative", "redis://"] {
            #expect(throws: RedisEndpoint.InvalidURL.self) { try RedisEndpoint(url: bad) }
        }
    }

    @Test func commandsAreBinarySafeAndErrorsTyped() async throws {
        let server = try RedisServer()
        let client = RedisClient(endpoint: try RedisEndpoint(url: server.url))
        let value: [UInt8] = [0, 13, 10, 255, 0x2A]
        #expect(try await client.command([Array("SET".utf8), Array("k".utf8), value, Array("EX".utf8), Array("60".utf8)]) == .status("OK"))
        #expect(try await client.command("GET", "k") == .string(value))
        if case .integer(let ttl) = try await client.command("TTL", "k") { #expect((55...60).contains(ttl)) } else { Issue.record("TTL") }
        #expect(try await client.command("GET", "missing") == .null)
        await #expect(throws: RedisError.self) { try await client.command("INCR", "k") }  // not an integer: an error reply
        #expect(try await client.command("PING") == .status("PONG"), "an error reply leaves the connection usable")
        #expect(client.status == .up)
    }

    @Test func authenticatesAndSelectsTheDatabase() async throws {
        let server = try RedisServer(password: "s3cret")
        let client = RedisClient(endpoint: try RedisEndpoint(url: "redis://:s3cret@127.0.0.1:\(server.port)/3"))
        #expect(try await client.command("SET", "k", "v") == .status("OK"))
        let other = RedisClient(endpoint: try RedisEndpoint(url: "redis://:s3cret@127.0.0.1:\(server.port)/0"))
        #expect(try await other.command("GET", "k") == .null, "database 3 is not database 0")
        let wrong = RedisClient(endpoint: try RedisEndpoint(url: "redis://:nope@127.0.0.1:\(server.port)/0"))
        await #expect(throws: RedisError.self) { try await wrong.command("PING") }
    }

    @Test func outagesFailFastAndRecover() async throws {
        let server = try RedisServer()
        let client = RedisClient(endpoint: try RedisEndpoint(url: server.url), commandTimeout: .milliseconds(200))
        #expect(try await client.command("PING") == .status("PONG"))

        // A hung server: the command gives up after the timeout.
        server.pause()
        let clock = ContinuousClock()
        let hung = clock.now
        await #expect(throws: RedisError.self) { try await client.command("PING") }
        // 200 ms timeout; without it the call would hang as long as the server is stopped (for ever).
        #expect(clock.now - hung < .seconds(30))
        if case .down = client.status {} else { Issue.record("status should be down") }

        // A dead server: refused at once, then within the backoff window not even tried.
        server.kill()
        for _ in 0..<5 { await #expect(throws: RedisError.self) { try await client.command("PING") } }

        // Back: the client reconnects by itself once the backoff has passed.
        try server.restart()
        // The backoff reaches at most 5 s; the deadline is generous beyond it.
        var recovered = false
        let deadline = ContinuousClock.now + .seconds(30)
        while !recovered, ContinuousClock.now < deadline {
            recovered = (try? await client.command("PING")) == .status("PONG")
            if !recovered { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(recovered && client.status == .up)
        #expect(client.statistics.reconnects >= 1 && client.statistics.errors >= 1)
    }
}
