import HTTPTypes
import Hummingbird

/// Finds the client's address: the peer's, or, when the peer is a trusted proxy (nginx in front), the
/// nearest address in `X-Forwarded-For` that is not a trusted proxy, read right to left because the left
/// part is whatever the client claims. Rate limits, logs and audit rows use it.
struct ClientAddressMiddleware: RouterMiddleware {
    typealias Context = DicomRequestContext
    let trustedProxies: Set<String>

    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard trustedProxies.contains(context.clientAddress), let forwarded = request.headers[Self.forwardedFor] else {
            return try await next(request, context)
        }
        var context = context
        context.clientAddress = Self.client(forwarded: forwarded, peer: context.clientAddress, trustedProxies: trustedProxies)
        return try await next(request, context)
    }

    static func client(forwarded: String, peer: String, trustedProxies: Set<String>) -> String {
        let hops = forwarded.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && $0.count <= 64 }
        return hops.last { !trustedProxies.contains($0) } ?? hops.first ?? peer
    }
}
