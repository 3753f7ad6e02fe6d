import HTTPTypes
import Hummingbird
import Metrics
import DicomArchive

/// The request budgets (README "Rate limits"). Viewers such as OHIF fetch every frame with its own
/// request and never retry a 429, so one budget for everything either breaks them or lets a scraper
/// through. Budgets are per request class instead:
///
/// - `viewing`: frames, renders, thumbnails, instance metadata and bulk data, what scrolling through a
///   series costs; 10× `standard` by default, so opening a 2,000-image series twice a minute fits.
/// - `standard`: everything else (searches, lists, logs), the replaced service's 1000 per minute.
/// - `ingest`: uploads, charged per instance stored, not per request.
/// - `authenticationFailures`: answers 401, counted per client address (a tenth of `standard`, 100 a
///   minute by default); once spent, that address is
///   refused before its credentials are even checked (no unlimited guessing, no costly verification).
/// - `address`: every request of one address, checked before authentication; the ceiling that makes
///   anything, authenticated or not, stop at some rate.
public struct RateLimits: Sendable, Equatable {
    public var standard: RateLimitPolicy
    public var viewing: RateLimitPolicy
    public var ingest: RateLimitPolicy
    public var authenticationFailures: RateLimitPolicy
    public var address: RateLimitPolicy

    public init(
        standard: RateLimitPolicy,
        viewing: RateLimitPolicy? = nil,
        ingest: RateLimitPolicy,
        authenticationFailures: RateLimitPolicy? = nil,
        address: RateLimitPolicy? = nil
    ) {
        self.standard = standard
        let window = standard.window
        self.viewing = viewing ?? RateLimitPolicy(name: "viewing", limit: standard.limit * 10, window: window)
        self.ingest = ingest
        // A client with the right credentials rarely fails; a tenth of the standard budget leaves room for
        // expired tokens behind one NAT and none for guessing.
        self.authenticationFailures = authenticationFailures
            ?? RateLimitPolicy(name: "auth-failures", limit: max(1, standard.limit / 10), window: window)
        let viewingLimit = self.viewing.limit
        self.address = address ?? RateLimitPolicy(name: "address", limit: 2 * (viewingLimit + standard.limit), window: window)
    }

    /// 1000 requests per minute, 10,000 of them viewing, uploads 100 instances per minute.
    public static let `default` = RateLimits(
        standard: RateLimitPolicy(name: "default", limit: 1000, window: .seconds(60)),
        ingest: RateLimitPolicy(name: "ingest", limit: 100, window: .seconds(60))
    )

    /// The budget a request of `method` on route template `route` draws from, after authentication.
    func policy(method: HTTPRequest.Method, route: String?) -> RateLimitPolicy {
        if method == .post, let route, route.hasSuffix("/instances") || route.hasSuffix("/studies") || route.hasSuffix("/studies/:study") {
            return ingest
        }
        guard let route else { return standard }
        let viewingSuffixes = ["/frames/:frames", "/rendered", "/thumbnail", "/metadata", "/bulkdata/:tag", "/images/:image"]
        if method == .get, viewingSuffixes.contains(where: route.hasSuffix) || route.hasSuffix("/instances/:instance") {
            return viewing
        }
        return standard
    }
}

/// Paths no budget applies to: probes, scrapers and the viewer's static files.
enum RateLimitExemption {
    static let paths: Set<String> = ["/api/v1/health", "/api/v1/metrics", "/metrics"]

    static func applies(to request: Request) -> Bool {
        paths.contains(request.uri.path) || request.uri.path.hasPrefix("/viewer/") || request.method == .options
    }
}

/// The budgets checked before authentication, by client address: the address ceiling, and the
/// failed-authentication budget (peeked at before the credentials are verified, charged when the answer
/// is 401). Outside the audit log, so a flood of refusals costs a counter, not audit rows.
struct AddressRateLimitMiddleware: RouterMiddleware {
    typealias Context = DicomRequestContext
    let limiter: RateLimiter
    let limits: RateLimits

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard !RateLimitExemption.applies(to: request) else { return try await next(request, context) }
        let address = context.clientAddress
        // Answered here as responses (not thrown): the middleware outside sees them like any other answer.
        let ceiling = await limiter.check(address, policy: limits.address)
        guard ceiling.allowed else {
            return try RateLimitRefusal.error(limits.address, ceiling).response(from: request, context: context)
        }
        let failures = await limiter.check(address, policy: limits.authenticationFailures, commit: false)
        guard failures.allowed else {
            return try RateLimitRefusal.error(limits.authenticationFailures, failures).response(from: request, context: context)
        }
        do {
            let response = try await next(request, context)
            if response.status == .unauthorized { _ = await limiter.check(address, policy: limits.authenticationFailures) }
            return response
        } catch let error as any HTTPResponseError where error.status == .unauthorized {
            _ = await limiter.check(address, policy: limits.authenticationFailures)
            throw error
        }
    }
}

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
