import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's core storage plus who is asking: the client's
/// address (rate limits, audit) and what authentication concluded (authorisation, audit).
public struct DicomRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?
    /// The peer's address, or the client's as forwarded by a trusted proxy (`ClientAddressMiddleware`).
    public var clientAddress: String
    /// Set by `AuthenticationMiddleware`; `.disabled` until then.
    public var authentication: Authentication = .disabled
    /// Set by `RateLimitMiddleware` on uploads: charges each instance beyond the first; nil when unlimited.
    public var uploadBudget: UploadBudget?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
        clientAddress = remoteAddress?.ipAddress ?? "unknown"
    }
}
