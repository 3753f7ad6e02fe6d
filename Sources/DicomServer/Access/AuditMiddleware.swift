import DicomStorage
import Hummingbird

/// Records every access to patient data (`AccessPolicy`'s audited routes) with who, from where, what
/// and the answer's status, refused ones included. Outside the error middleware, so the status is the
/// one the client got.
struct AuditMiddleware: RouterMiddleware {
    typealias Context = DicomRequestContext
    let log: AuditLog

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let rule = AccessPolicy.rule(method: request.method, route: context.endpointPath, path: request.uri.path)
        guard rule.audited else { return try await next(request, context) }
        do {
            let response = try await next(request, context)
            record(request, context, status: Int(response.status.code))
            return response
        } catch {
            record(request, context, status: Int(ErrorMiddleware<Context>.apiError(error, context: context).status.code))
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: Int) {
        // Path parameters as sent (possibly invalid, then refused): capped, as every audited value is.
        func parameter(_ name: String) -> String? { context.parameters.get(name).map { String($0.prefix(80)) } }
        let query = request.uri.query.map { String($0.prefix(1024)) }
        let row = AuditRow(
            principal: context.authentication.principal?.identifier,
            clientAddress: context.clientAddress,
            method: request.method.rawValue,
            route: context.endpointPath ?? String(request.uri.path.prefix(256)),
            query: query?.isEmpty == false ? query : nil,
            studyInstanceUID: parameter("study"),
            seriesInstanceUID: parameter("series"),
            sopInstanceUID: parameter("instance") ?? parameter("image"),
            status: status
        )
        if status == 401 || status == 429 { log.recordRefusal(row) } else { log.record(row) }
    }
}
