import Hummingbird
import NIOCore

/// The request context of every route: Hummingbird's core storage plus the peer's address, which rate
/// limiting (and later audit) attribute requests to.
public struct DicomRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
