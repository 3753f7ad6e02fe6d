import HTTPTypes
import Hummingbird
import Metrics
import RenderCache

/// The budgets of the route groups: uploads (POST) have their own, everything else shares `standard`.
public struct RateLimits: Sendable, Equatable {
    public var standard: RateLimitPolicy
    public var ingest: RateLimitPolicy

    public init(standard: RateLimitPolicy, ingest: RateLimitPolicy) {
        self.standard = standard
        self.ingest = ingest
    }

    /// 1000 requests per minute, all at once if need be; uploads 100 per minute.
    public static let `default` = RateLimits(
        standard: RateLimitPolicy(name: "default", limit: 1000, window: .seconds(60)),
        ingest: RateLimitPolicy(name: "ingest", limit: 100, window: .seconds(60))
    )
}

/// Per-client rate limiting (DESIGN.md): 429 with the JSON error body and `Retry-After` past the budget,
/// and `RateLimit-Policy` / `RateLimit` headers (IETF draft-ietf-httpapi-ratelimit-headers) on every
/// limited answer. A client is its principal when authenticated (one budget per key or token subject,
/// wherever it calls from), else its address. Health, metrics and the viewer's files are exempt, so
/// probes, scrapers and page loads never eat a client's budget.
struct RateLimitMiddleware: RouterMiddleware {
    typealias Context = DicomRequestContext
    let limiter: RateLimiter
    let limits: RateLimits

    static var exempt: Set<String> { ["/api/v1/health", "/api/v1/metrics", "/metrics"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !Self.exempt.contains(request.uri.path), !request.uri.path.hasPrefix("/viewer/"), request.method != .options else {
            return try await next(request, context)
        }
        let policy = request.method == .post ? limits.ingest : limits.standard
        let decision = await limiter.check(client(request, context), policy: policy)
        var headers: HTTPFields = [
            HTTPField.Name("RateLimit-Policy")!: "\"\(policy.name)\";q=\(policy.limit);w=\(policy.window.components.seconds)",
            HTTPField.Name("RateLimit")!: "\"\(policy.name)\";r=\(decision.remaining);t=\(decision.resetSeconds)",
        ]
        guard decision.allowed else {
            Counter(label: "dicomserve_rate_limited_total", dimensions: [("policy", policy.name)]).increment()
            headers[.retryAfter] = String(decision.retryAfterSeconds)
            throw APIError(
                .tooManyRequests,
                "rate limit exceeded; retry after \(decision.retryAfterSeconds) s",
                details: ["policy": policy.description, "retry_after": String(decision.retryAfterSeconds)],
                headers: headers
            )
        }
        var response = try await next(request, context)
        response.headers.append(contentsOf: headers)
        return response
    }

    func client(_ request: Request, _ context: Context) -> String {
        context.authentication.principal?.identifier ?? context.clientAddress
    }
}
