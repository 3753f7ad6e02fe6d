import Foundation
import Hummingbird
import DicomArchive

/// Every error the service answers with, rendering DESIGN.md's JSON error body itself:
/// `{"error": "...", "details": {...}, "timestamp": "ISO-8601", "path": "/..."}`. No route builds error JSON.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var message: String
    public var details: [String: String]
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ message: String, details: [String: String] = [:], headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.details = details
        self.headers = headers
    }

    /// The JSON error body.
    struct Body: Encodable {
        var error: String
        var details: [String: String]
        var timestamp: String
        var path: String
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Body(error: message, details: details, timestamp: ISO8601DateFormatter().string(from: Date()), path: request.uri.path)
        let data = try JSONEncoder().encode(body)
        var headers = self.headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func from(_ error: ArchiveError) -> APIError {
        switch error {
        case .notFound(let kind, let uid): APIError(.notFound, "\(kind) not found", details: ["uid": uid])
        case .invalidParameter(let name, let reason):
            APIError(.badRequest, "invalid parameter \(name)", details: ["parameter": name, "reason": reason])
        case .overloaded(let seconds):
            APIError(.serviceUnavailable, "the render queue is full; retry shortly", headers: [.retryAfter: String(seconds)])
        case .unrenderable(let error):
            APIError(.unprocessableContent, "the stored object cannot be rendered", details: ["kind": error.kind.rawValue, "reason": error.message])
        case .unreadable(let uid):
            // A storage fault, not the client's: no path in the answer, the log has the details.
            APIError(.internalServerError, "the stored object cannot be read", details: ["uid": uid])
        }
    }
}

/// Turns anything a route throws into the JSON error body (an `APIError`'s response): never a stack
/// trace, never a 500 for bad input. Errors become responses here, so outer middleware (CORS, request
/// statistics) sees every answer.
struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return try Self.apiError(error, context: context).response(from: request, context: context)
        }
    }

    static func apiError(_ error: any Error, context: Context) -> APIError {
        switch error {
        case let error as APIError: return error
        case let error as ArchiveError:
            if case .unreadable = error { context.logger.error("stored object unreadable", metadata: ["error": "\(error)"]) }
            return APIError.from(error)
        case let error as HTTPError: return APIError(error.status, error.body ?? error.status.reasonPhrase, headers: error.headers)
        default:
            context.logger.error("unexpected error", metadata: ["error": "\(error)"])
            return APIError(.internalServerError, "internal error")
        }
    }
}
