import Hummingbird

/// Records who sent the request in `context.authentication`. It never refuses anything itself: the audit
/// log, just inside, must see refused requests too, and `AuthorizationMiddleware` answers them.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = DicomRequestContext
    /// nil: authentication is off.
    let authenticator: Authenticator?

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let authenticator else { return try await next(request, context) }
        var context = context
        context.authentication = await authenticator.authenticate(request.headers)
        return try await next(request, context)
    }
}
