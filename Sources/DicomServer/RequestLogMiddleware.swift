import HTTPTypes
import Hummingbird
import Logging

/// One log line per request when it is answered: request id, method, route template, path, status and
/// duration. The id is the client's `X-Request-ID` when it sends a sane one (so a trace spans nginx and
/// the service), else Hummingbird's; either way it is echoed in the response's `X-Request-ID`.
struct RequestLogMiddleware<Context: RequestContext>: RouterMiddleware {
    static var requestID: HTTPField.Name { HTTPField.Name("X-Request-ID")! }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let clock = ContinuousClock()
        let start = clock.now
        let id = request.headers[Self.requestID].flatMap(Self.sanitized) ?? context.id
        var response = try await next(request, context)
        response.headers[Self.requestID] = id
        let milliseconds = (clock.now - start).seconds * 1000
        context.logger.log(
            level: response.status.code >= 500 ? .error : .info,
            "request",
            metadata: [
                "request_id": "\(id)",
                "method": "\(request.method)",
                "route": "\(context.endpointPath ?? "unmatched")",
                "path": "\(request.uri.path)",
                "status": "\(response.status.code)",
                "duration_ms": "\((milliseconds * 100).rounded() / 100)",
            ]
        )
        return response
    }

    /// Client ids are logged and echoed, so only short token-like values are taken.
    static func sanitized(_ value: String) -> String? {
        guard (1...128).contains(value.count), value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.:".contains($0)) }) else {
            return nil
        }
        return value
    }
}
