import DicomArchive
import HTTPTypes
import Hummingbird
import Metrics

/// The class budgets (`RateLimits.policy`), per principal when authenticated, else per address, after
/// authentication. Answers carry `RateLimit-Policy` / `RateLimit` (draft-ietf-httpapi-ratelimit-headers).
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = DicomRequestContext
    let limiter: RateLimiter
    let limits: RateLimits

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !RateLimitExemption.applies(to: request) else { return try await next(request, context) }
        let policy = limits.policy(method: request.method, route: context.endpointPath)
        let client = context.authentication.principal?.identifier ?? context.clientAddress
        let decision = await limiter.check(client, policy: policy)
        guard decision.allowed else { throw RateLimitRefusal.error(policy, decision) }
        var context = context
        if policy == limits.ingest {
            // The request paid for its first instance; each further one is charged as it is stored.
            context.uploadBudget = UploadBudget { [limiter] count in await limiter.check(client, policy: policy, cost: count) }
        }
        var response = try await next(request, context)
        response.headers.append(contentsOf: RateLimitRefusal.headers(policy, decision))
        return response
    }
}

/// Charges uploads per instance beyond the first: a STOW of 10,000 parts costs what 10,000 uploads do.
public struct UploadBudget: Sendable {
    let charge: @Sendable (Int) async -> RateLimitDecision

    /// Charges `count` further instances; throws the 429 when the client's ingest budget cannot pay.
    func charge(further count: Int, policy: RateLimitPolicy? = nil) async throws {
        guard count > 0 else { return }
        let decision = await charge(count)
        guard decision.allowed else {
            throw RateLimitRefusal.error(policy ?? RateLimitPolicy(name: "ingest", limit: 1, window: .seconds(60)), decision)
        }
    }
}

enum RateLimitRefusal {
    static func headers(_ policy: RateLimitPolicy, _ decision: RateLimitDecision) -> HTTPFields {
        [
            HTTPField.Name("RateLimit-Policy")!: "\"\(policy.name)\";q=\(policy.limit);w=\(policy.window.components.seconds)",
            HTTPField.Name("RateLimit")!: "\"\(policy.name)\";r=\(decision.remaining);t=\(decision.resetSeconds)",
        ]
    }

    static func error(_ policy: RateLimitPolicy, _ decision: RateLimitDecision) -> APIError {
        Counter(label: "dicomserve_rate_limited_total", dimensions: [("policy", policy.name)]).increment()
        var headers = headers(policy, decision)
        headers[.retryAfter] = String(decision.retryAfterSeconds)
        return APIError(
            .tooManyRequests,
            "rate limit exceeded; retry after \(decision.retryAfterSeconds) s",
            details: ["policy": policy.description, "retry_after": String(decision.retryAfterSeconds)],
            headers: headers
        )
    }
}
