import Redis
import TestSupport
import Testing

@testable import DicomArchive

/// GCRA arithmetic in process and in Redis (one Lua script, Redis' clock).
@Suite(.serialized) struct RateLimiterTests {
    @Test func burstThenSustainedRate() {
        let limiter = RateLimiter(redis: nil)
        let policy = RateLimitPolicy(limit: 60, window: .seconds(60), burst: 3)  // one a second, three at once
        let at0 = (0..<4).map { _ in limiter.checkLocally("k", policy: policy, now: 0) }
        #expect(at0.map(\.allowed) == [true, true, true, false])
        #expect(at0.map(\.remaining) == [2, 1, 0, 0])
        #expect(at0[3].retryAfterSeconds == 1 && at0[2].resetSeconds == 3)
        #expect(limiter.checkLocally("k", policy: policy, now: 999).allowed == false)
        #expect(limiter.checkLocally("k", policy: policy, now: 1000).allowed, "one interval later, one more")
        #expect(limiter.checkLocally("other", policy: policy, now: 1000).remaining == 2, "clients have their own budgets")
    }

    /// The in-process arithmetic beyond one request: dry runs, costs, and a minute of traffic.
    @Test func costsDryRunsAndAMinuteOfTraffic() {
        let limiter = RateLimiter(redis: nil)
        let policy = RateLimitPolicy(limit: 60, window: .seconds(60), burst: 10)  // one a second, ten at once
        for _ in 0..<20 { #expect(limiter.checkLocally("k", policy: policy, commit: false, now: 0).allowed, "a dry run consumes nothing") }
        #expect(limiter.checkLocally("k", policy: policy, cost: 7, now: 0).remaining == 3, "a STOW of 7 instances costs 7")
        #expect(limiter.checkLocally("k", policy: policy, cost: 3, now: 0).allowed)
        let refused = limiter.checkLocally("k", policy: policy, now: 0)
        #expect(!refused.allowed && refused.retryAfterSeconds == 1)
        #expect(!limiter.checkLocally("big", policy: policy, cost: 11, now: 0).allowed, "more than the burst at once is never allowed")
        // A client at exactly the sustained rate for a minute is never refused.
        #expect((1...60).allSatisfy { limiter.checkLocally("steady", policy: policy, now: Int64($0) * 1_000).allowed })
        // At twice the rate (every 500 ms for 60 s, 120 requests) it gets its burst of 10 plus one per second
        // elapsed between the first and the last request (59.5 s → 59): 69, by hand.
        let allowed = (0..<120).filter { limiter.checkLocally("eager", policy: policy, now: Int64($0) * 500).allowed }.count
        #expect(allowed == 69)
    }

    @Test func redisSharesOneBudgetAndFallsBackWhenDown() async throws {
        let server = try RedisServer()
        let client = RedisClient(endpoint: try RedisEndpoint(url: server.url), commandTimeout: .milliseconds(200))
        let (a, b) = (RateLimiter(redis: client), RateLimiter(redis: client))
        let policy = RateLimitPolicy(name: "t", limit: 4, window: .seconds(60))
        var decisions: [RateLimitDecision] = []
        for limiter in [a, b, a, b, a] { decisions.append(await limiter.check("1.2.3.4", policy: policy)) }
        #expect(decisions.map(\.allowed) == [true, true, true, true, false], "the 5th request of 4 is refused, whichever limiter")
        #expect(decisions.allSatisfy(\.shared) && decisions[4].retryAfterSeconds >= 1)
        if case .integer(let ttl) = try await client.command("PTTL", "dicomserve:ratelimit:t:1.2.3.4") {
            #expect((1...60_000).contains(ttl), "the state expires when the budget is whole again")
        }
        server.kill()
        let fallback = await a.check("1.2.3.4", policy: policy)
        #expect(fallback.allowed && !fallback.shared, "Redis down: the in-process limiter decides")
    }
}
