import DicomArchive
import HTTPTypes
import Hummingbird

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
        self.authenticationFailures =
            authenticationFailures
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
