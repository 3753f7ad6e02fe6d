import DicomArchive
import DicomCodec
import DicomImaging
import DicomStorage
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Prometheus
import ServiceLifecycle

/// What the server needs to run. `dicomserve serve` fills it from flags, environment, config file and
/// these defaults.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    public var dataDirectory: String
    public var presetsDirectory: String
    public var renderThreads: Int
    public var version: String
    /// Largest accepted upload (STOW-RS, `POST /api/v1/dicom/instances`), in bytes.
    public var maximumUploadSize: Int
    /// Most frames one WADO-RS frames request may name.
    public var maximumFramesPerRequest: Int
    /// The box thumbnails fit in, unless the request gives a viewport.
    public var thumbnailSize: Int
    /// How rendered PNGs are compressed.
    public var pngCompression: PNGCompression = .fast
    /// Browser origins allowed by CORS; nil means "any on loopback, none elsewhere".
    public var corsOrigins: [String]?
    /// The in-process caches: encoded renders (L1) and decoded frames.
    public var cache: CacheConfiguration
    /// Per-client request budgets; nil turns rate limiting off.
    public var rateLimits: RateLimits?
    /// Peers whose `X-Forwarded-For` is believed (nginx in front); anyone else's is ignored.
    public var trustedProxies: Set<String>
    /// API keys and token keys; nil turns authentication off (allowed on loopback, or when told).
    public var authenticator: Authenticator?
    /// A connection with nothing read or written for this long is closed (slow or stalled clients).
    public var idleTimeout: Duration
    /// The built-in viewer's files (`web/`), served at /viewer/; nil: no viewer.
    public var webDirectory: String?
    /// Request header limits, bytes: one field, and all of them.
    public var maximumHeaderFieldSize: Int
    public var maximumHeaderListSize: Int
    /// The server's public address (`--public-url`, e.g. https://pacs.example/dicom), validated; URLs in
    /// answers are built on it. Nil: they are relative (`/dicomweb/...`). Never the request's Host header,
    /// which anyone can set, and which would otherwise end up inside cached documents.
    public var publicURL: PublicURL?
    /// Limits of what a stored file may be (checked at ingest and whenever a file is opened).
    public var decodingLimits: DecodingLimits = .default
    /// Bytes one retrieve answer may carry.
    public var maximumResponseBytes: Int = 512 << 20
    /// Where uploads are parsed: `ParseWorkerPool` when serving (isolated), in process when nil.
    public var instanceReader: (any InstanceReader)?

    /// The DICOMweb root in answers: the public URL's, or relative.
    public var dicomWebBase: String { (publicURL?.text ?? "") + "/dicomweb" }

    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        dataDirectory: String = "./data",
        presetsDirectory: String = "presets",
        renderThreads: Int = ProcessInfo.processInfo.activeProcessorCount,
        version: String = "dev",
        maximumUploadSize: Int = 512 << 20,
        maximumFramesPerRequest: Int = 1000,
        thumbnailSize: Int = 256,
        corsOrigins: [String]? = nil,
        cache: CacheConfiguration = CacheConfiguration(),
        rateLimits: RateLimits? = .default,
        trustedProxies: Set<String> = [],
        authenticator: Authenticator? = nil,
        idleTimeout: Duration = .seconds(60),
        webDirectory: String? = nil,
        maximumHeaderFieldSize: Int = 16 << 10,
        maximumHeaderListSize: Int = 64 << 10
    ) {
        self.host = host
        self.port = port
        self.dataDirectory = dataDirectory
        self.presetsDirectory = presetsDirectory
        self.renderThreads = renderThreads
        self.version = version
        self.maximumUploadSize = maximumUploadSize
        self.maximumFramesPerRequest = maximumFramesPerRequest
        self.thumbnailSize = thumbnailSize
        self.corsOrigins = corsOrigins
        self.cache = cache
        self.rateLimits = rateLimits
        self.trustedProxies = trustedProxies
        self.authenticator = authenticator
        self.idleTimeout = idleTimeout
        self.webDirectory = webDirectory
        self.maximumHeaderFieldSize = maximumHeaderFieldSize
        self.maximumHeaderListSize = maximumHeaderListSize
    }

    /// Whether the listening address is loopback only.
    public var isLoopback: Bool { Self.isLoopback(host) }

    /// `localhost`, `::1` or a dotted-quad address in 127.0.0.0/8 (four decimal octets, nothing else:
    /// `127.evil.example` is a host name, not loopback).
    public static func isLoopback(_ host: String) -> Bool {
        if ["localhost", "::1"].contains(host.lowercased()) { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4, octets[0] == "127" else { return false }
        return octets.allSatisfy { octet in
            (1...3).contains(octet.count) && octet.allSatisfy(\.isASCII) && octet.allSatisfy(\.isNumber) && (Int(octet) ?? 256) <= 255
        }
    }

    /// The CORS policy: the configured list, else any origin on loopback (development) and none elsewhere.
    public var corsPolicy: CORSPolicy {
        if let corsOrigins { return CORSPolicy(origins: corsOrigins == ["*"] ? .any : .list(corsOrigins)) }
        return CORSPolicy(origins: isLoopback ? .any : .none)
    }
}

/// The router with every route and middleware; tests build the same one.
public func buildRouter(
    archive: Archive,
    configuration: ServerConfiguration,
    statistics: RequestStatistics = RequestStatistics(),
    metricsRegistry: PrometheusCollectorRegistry? = nil,
    auditLog: AuditLog? = nil
) -> Router<DicomRequestContext> {
    let auditLog = auditLog ?? AuditLog(archive: archive)
    let router = Router(context: DicomRequestContext.self)
    // Outermost first. Middleware must be added before routes: Hummingbird binds it when a route is added.
    router.add(middleware: MetricsMiddleware())  // request durations by method, route and status; active requests
    router.add(middleware: RequestStatisticsMiddleware(statistics: statistics))
    router.add(middleware: CORSPolicyMiddleware(policy: configuration.corsPolicy))
    router.add(middleware: ClientAddressMiddleware(trustedProxies: configuration.trustedProxies))
    router.add(middleware: RequestLogMiddleware())
    let limiter = archive.rateLimiter
    if let limits = configuration.rateLimits {
        // Before authentication: a refused address costs neither a credential check nor an audit row.
        router.add(middleware: AddressRateLimitMiddleware(limiter: limiter, limits: limits))
    }
    router.add(middleware: AuthenticationMiddleware(authenticator: configuration.authenticator))
    router.add(middleware: AuditMiddleware(log: auditLog))  // sees the final status of refused requests too
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: AuthorizationMiddleware())
    if let webDirectory = configuration.webDirectory {
        // Static files: no build step, so no hashed names; browsers revalidate with the ETag each time.
        router.add(
            middleware: FileMiddleware(
                webDirectory,
                urlBasePath: "/viewer",
                cacheControl: CacheControl([(MediaType(type: .any), [.noCache])]),
                searchForIndexHtml: true
            )
        )
    }
    if let limits = configuration.rateLimits {
        router.add(middleware: RateLimitMiddleware(limiter: limiter, limits: limits))
    }
    AuditRoutes(archive: archive, log: auditLog).register(on: router)
    if configuration.webDirectory != nil {
        router.get("/") { _, _ in Response.redirect(to: "/viewer/", type: .found) }
    }
    JSONAPIRoutes<DicomRequestContext>(
        archive: archive,
        version: configuration.version,
        statistics: statistics,
        maximumUploadSize: configuration.maximumUploadSize
    ).register(on: router)
    let base = configuration.dicomWebBase
    QIDORoutes<DicomRequestContext>(archive: archive, dicomWebBase: base).register(on: router)
    WADORetrieveRoutes<DicomRequestContext>(
        archive: archive,
        maximumFramesPerRequest: configuration.maximumFramesPerRequest,
        dicomWebBase: base
    ).register(on: router)
    WADORenderedRoutes<DicomRequestContext>(archive: archive).register(on: router)
    STOWRoutes<DicomRequestContext>(archive: archive, maximumBodySize: configuration.maximumUploadSize, dicomWebBase: base)
        .register(on: router)
    if let metricsRegistry {
        PrometheusRoute<DicomRequestContext>(registry: metricsRegistry, archive: archive, statistics: statistics, version: configuration.version)
            .register(on: router)
    }
    return router
}

/// Assembles the application over the archive: the router, the HTTP server and every long-lived
/// component in one `ServiceGroup`, in start order (the group stops them in reverse, so the server drains
/// first and the archive's pools stop last). `services` are the caller's (the parse workers, the systemd
/// notifier). `onServerRunning` is called once the port accepts connections (systemd readiness).
public func buildApplication(
    _ configuration: ServerConfiguration,
    archive: Archive,
    metricsRegistry: PrometheusCollectorRegistry? = nil,
    services: [any Service] = [],
    onServerRunning: @escaping @Sendable () async -> Void = {},
    logger: Logger = Logger(label: "dicomserve")
) -> some ApplicationProtocol {
    var auditLogger = Logger(label: "dicomserve.audit")
    auditLogger.logLevel = logger.logLevel
    let auditLog = AuditLog(archive: archive, logger: auditLogger)
    let http = HTTP1Channel.Configuration(
        idleTimeout: .seconds(configuration.idleTimeout.components.seconds),
        httpDecoderConfiguration: .init(
            maxHeaderFieldSize: configuration.maximumHeaderFieldSize,
            maxHeaderListSize: configuration.maximumHeaderListSize,
            maxHeaderFieldCount: 200
        )
    )
    return Application(
        router: buildRouter(archive: archive, configuration: configuration, metricsRegistry: metricsRegistry, auditLog: auditLog),
        server: .http1(configuration: http),
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "dicomserve"),
        services: archive.services + [auditLog] + services,
        onServerRunning: { _ in await onServerRunning() },
        logger: logger
    )
}
