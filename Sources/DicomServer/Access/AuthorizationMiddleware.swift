import Hummingbird

/// Answers 401 (no or bad credentials; with `WWW-Authenticate`) or 403 (a principal without the route's
/// scope) as `AccessPolicy` says, inside the error middleware so both carry the JSON error body.
///
/// Who may see an answer also decides who may keep it: images are `Cache-Control: private` (renders set
/// it) while authentication is on, so that a shared cache (nginx's `proxy_cache`) never hands one
/// principal's answer to another; with authentication off they become `public` and nginx may cache them.
struct AuthorizationMiddleware: RouterMiddleware {
    typealias Context = DicomRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let rule = AccessPolicy.rule(method: request.method, route: context.endpointPath, path: request.uri.path)
        guard let scope = rule.scope else { return try await next(request, context) }
        switch context.authentication {
        case .disabled:
            var response = try await next(request, context)
            if let cacheControl = response.headers[.cacheControl], cacheControl.hasPrefix("private,") {
                response.headers[.cacheControl] = "public," + cacheControl.dropFirst("private,".count)
            }
            return response
        case .anonymous:
            throw APIError(.unauthorized, "authentication required", headers: [.wwwAuthenticate: "Bearer realm=\"dicomserve\""])
        case .rejected(let reason):
            throw APIError(
                .unauthorized,
                "authentication failed",
                details: ["reason": reason],
                headers: [.wwwAuthenticate: "Bearer realm=\"dicomserve\", error=\"invalid_token\""]
            )
        case .authenticated(let principal):
            guard principal.scopes.contains(scope) else {
                throw APIError(
                    .forbidden,
                    "the \(scope.rawValue) scope is required",
                    details: ["principal": principal.identifier, "required_scope": scope.rawValue]
                )
            }
        }
        return try await next(request, context)
    }
}
