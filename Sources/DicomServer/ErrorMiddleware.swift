import DicomArchive
import Foundation
import Hummingbird

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
