import DicomArchive
import Foundation
import Hummingbird

/// Every error the service answers with, rendering the JSON error body itself (README, "Serving"):
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
