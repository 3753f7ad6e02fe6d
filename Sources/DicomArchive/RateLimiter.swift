import Caching
import Redis
import Synchronization

/// A request budget: `limit` requests per `window`, of which up to `burst` may come at once.
public struct RateLimitPolicy: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    public var limit: Int
    public var window: Duration
    public var burst: Int

    public init(name: String = "default", limit: Int, window: Duration, burst: Int? = nil) {
        self.name = name
        self.limit = max(1, limit)
        self.window = window
        self.burst = max(1, burst ?? limit)
    }

    /// `1000/60` (requests per seconds).
    public init?(name: String, parsing text: String, burst: Int? = nil) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let limit = Int(parts[0]), let seconds = Int(parts[1]), limit >= 1, seconds >= 1 else { return nil }
        self.init(name: name, limit: limit, window: .seconds(seconds), burst: burst)
    }

    /// Milliseconds between requests at the sustained rate (GCRA's emission interval).
    var intervalMilliseconds: Int64 { max(1, Int64(window.components.seconds * 1000) / Int64(limit)) }

    public var description: String { "\(limit)/\(window.components.seconds)s burst \(burst)" }
}

/// What the limiter decided for one request, with what the `RateLimit` headers report.
public struct RateLimitDecision: Sendable, Equatable {
    public var allowed: Bool
    /// Requests left in the current burst.
    public var remaining: Int
    /// Seconds until the budget is whole again.
    public var resetSeconds: Int
    /// Seconds to wait before retrying (0 when allowed).
    public var retryAfterSeconds: Int
    /// Whether Redis decided (shared by replicas) or the in-process fallback did.
    public var shared: Bool
}

/// GCRA (generic cell rate algorithm) rate limiting: one theoretical arrival time per client, moved
/// forward one interval per request; a request is refused when that time would run more than the burst
/// ahead of now. Atomic in Redis with one Lua script (Redis' own clock, so replicas agree), and the same
/// arithmetic in process when Redis is down or not configured.
public final class RateLimiter: Sendable {
    public let redis: RedisClient?
    private let local = Mutex<[String: Int64]>([:])

    static let script = """
        local now_parts = redis.call('TIME')
        local now = tonumber(now_parts[1]) * 1000 + math.floor(tonumber(now_parts[2]) / 1000)
        local interval = tonumber(ARGV[1])
        local tolerance = tonumber(ARGV[2]) * interval
        local cost = tonumber(ARGV[3])
        local commit = ARGV[4] == '1'
        local tat = tonumber(redis.call('GET', KEYS[1]) or now)
        if tat < now then tat = now end
        local new_tat = tat + interval * cost
        if new_tat - now > tolerance then
          return {0, 0, new_tat - now - tolerance, tat - now}
        end
        if commit and new_tat > now then redis.call('SET', KEYS[1], new_tat, 'PX', new_tat - now) end
        return {1, math.floor((tolerance - (new_tat - now)) / interval), 0, new_tat - now}
        """

    public init(redis: RedisClient?) {
        self.redis = redis
    }

    /// Counts `cost` requests of `client` against `policy`. With `commit: false` it only asks whether
    /// they would be allowed, and counts nothing (the failed-authentication budget is asked before the
    /// credentials are checked and charged only when they fail).
    public func check(_ client: String, policy: RateLimitPolicy, cost: Int = 1, commit: Bool = true) async -> RateLimitDecision {
        let key = "dicomserve:ratelimit:\(policy.name):\(client.prefix(128))"
        let cost = max(0, cost)
        if let redis,
            case .array(let values)? = try? await redis.command(
                ["EVAL", Self.script, "1", key, "\(policy.intervalMilliseconds)", "\(policy.burst)", "\(cost)", commit ? "1" : "0"].map {
                    Array($0.utf8)
                }
            ),
            values.count == 4, case .integer(let allowed) = values[0], case .integer(let remaining) = values[1],
            case .integer(let retry) = values[2], case .integer(let reset) = values[3]
        {
            return Self.decision(
                allowed: allowed == 1,
                remaining: remaining,
                retryMilliseconds: Int64(retry),
                resetMilliseconds: Int64(reset),
                shared: true
            )
        }
        return checkLocally(key, policy: policy, cost: cost, commit: commit)
    }

    func checkLocally(
        _ key: String,
        policy: RateLimitPolicy,
        cost: Int = 1,
        commit: Bool = true,
        now: Int64 = MonotonicTime.milliseconds()
    ) -> RateLimitDecision {
        let interval = policy.intervalMilliseconds
        let tolerance = Int64(policy.burst) * interval
        return local.withLock { arrivals in
            if arrivals.count > 100_000 { arrivals = arrivals.filter { $0.value > now } }  // forget idle clients
            let tat = max(arrivals[key] ?? now, now)
            let next = tat + interval * Int64(cost)
            if next - now > tolerance {
                return Self.decision(
                    allowed: false,
                    remaining: 0,
                    retryMilliseconds: next - now - tolerance,
                    resetMilliseconds: tat - now,
                    shared: false
                )
            }
            if commit { arrivals[key] = next }
            return Self.decision(
                allowed: true,
                remaining: Int((tolerance - (next - now)) / interval),
                retryMilliseconds: 0,
                resetMilliseconds: next - now,
                shared: false
            )
        }
    }

    static func decision(allowed: Bool, remaining: Int, retryMilliseconds: Int64, resetMilliseconds: Int64, shared: Bool) -> RateLimitDecision {
        RateLimitDecision(
            allowed: allowed,
            remaining: max(0, remaining),
            resetSeconds: Int((resetMilliseconds + 999) / 1000),
            retryAfterSeconds: allowed ? 0 : max(1, Int((retryMilliseconds + 999) / 1000)),
            shared: shared
        )
    }
}
