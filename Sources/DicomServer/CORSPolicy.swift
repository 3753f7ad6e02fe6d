import Hummingbird

/// Which browser origins may call the service (CORS). On loopback (development) any origin; in
/// production an explicit list. Unlike a preflight-only setup, the headers are on every answer,
/// errors included, and `Access-Control-Expose-Headers` is on the actual responses where browsers read it.
public struct CORSPolicy: Sendable, Equatable {
    public enum Origins: Sendable, Equatable {
        case any
        case list([String])
        case none
    }

    public var origins: Origins
    public var maxAgeSeconds: Int

    public init(origins: Origins, maxAgeSeconds: Int = 600) {
        self.origins = origins
        self.maxAgeSeconds = maxAgeSeconds
    }

    static let allowedMethods = "GET, HEAD, POST, OPTIONS"
    static let exposedHeaders =
        "ETag, Retry-After, RateLimit, RateLimit-Policy, X-Request-ID, X-Cache, X-Window-Center, X-Window-Width, Content-Location, Content-Length"

    /// The Access-Control-Allow-Origin value for a request's Origin, or nil when it is not allowed.
    func allowedOrigin(_ origin: String) -> String? {
        switch origins {
        case .any: "*"
        case .list(let list): list.contains(origin) ? origin : nil
        case .none: nil
        }
    }
}

/// Applies a `CORSPolicy`: answers preflights on any path, decorates every other response.
struct CORSPolicyMiddleware<Context: RequestContext>: RouterMiddleware {
    let policy: CORSPolicy

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let origin = request.headers[.origin], let allowed = policy.allowedOrigin(origin) else {
            return try await next(request, context)
        }
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var headers: HTTPFields = [
                .accessControlAllowOrigin: allowed,
                .accessControlAllowMethods: CORSPolicy.allowedMethods,
                .accessControlMaxAge: String(policy.maxAgeSeconds),
            ]
            // Echo what the browser asks for: the API takes Accept, Authorization, Content-Type,
            // If-None-Match and X-Request-ID, and refusing a header here only breaks clients.
            headers[.accessControlAllowHeaders] =
                request.headers[.accessControlRequestHeaders] ?? "Accept, Authorization, Content-Type, If-None-Match, X-API-Key, X-Request-ID"
            if allowed != "*" { headers[.vary] = "Origin" }
            return Response(status: .noContent, headers: headers)
        }
        var response = try await next(request, context)
        response.headers[.accessControlAllowOrigin] = allowed
        response.headers[.accessControlExposeHeaders] = CORSPolicy.exposedHeaders
        if allowed != "*" { response.headers[values: .vary].append("Origin") }
        return response
    }
}
