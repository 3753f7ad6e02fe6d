import DicomCatalog
import DicomCodec
import Foundation
import Hummingbird
import Logging
import RenderService

/// What the server needs to run.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var dataDirectory: String
    public var presetsDirectory: String
    public var renderThreads: Int
    public var version: String

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        dataDirectory: String = "./data",
        presetsDirectory: String = "presets",
        renderThreads: Int = ProcessInfo.processInfo.activeProcessorCount,
        version: String = "dev"
    ) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.presetsDirectory = presetsDirectory
        self.renderThreads = renderThreads
        self.version = version
    }
}

/// The router with every route and middleware; tests build the same one.
public func buildRouter(service: RenderService, version: String) -> Router<BasicRequestContext> {
    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: LogRequestsMiddleware(.info))
    JSONAPIRoutes<BasicRequestContext>(service: service, version: version).register(on: router)
    QIDORoutes<BasicRequestContext>(service: service).register(on: router)
    WADORenderedRoutes<BasicRequestContext>(service: service).register(on: router)
    return router
}

/// Opens the catalog and presets and assembles the application (DESIGN.md: one `buildApplication`).
public func buildApplication(
    _ configuration: ServerConfiguration,
    logger: Logger = Logger(label: "dicomserve")
) throws
    -> (some ApplicationProtocol, RenderService)
{
    let catalog = try Catalog(path: configuration.dataDirectory + "/catalog.sqlite")
    let presets = try PresetLibrary.load(directory: configuration.presetsDirectory)
    let service = RenderService(catalog: catalog, presets: presets, pool: RenderPool(threads: configuration.renderThreads))
    let application = Application(
        router: buildRouter(service: service, version: configuration.version),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "dicomserve"),
        logger: logger
    )
    return (application, service)
}
