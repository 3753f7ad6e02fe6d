import ArgumentParser
import Configuration
import DicomServer
import ParseWorker
import Foundation
import Logging
import Metrics
import NIOCore
import Prometheus
import DicomArchive
import Redis
import SystemPackage

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the catalogued studies over HTTP: the JSON API under /api/v1 and DICOMweb under /dicomweb.",
        discussion: """
            Settings come from, in order of precedence: flags, DICOMSERVE_* environment variables, the JSON \\
            config file (--config or DICOMSERVE_CONFIG; keys are the flag names in camelCase, e.g. \\
            {"port": 8080, "dataDir": "/var/lib/dicomserve", "corsOrigins": ["https://viewer.example"]}), \\
            then the defaults shown. Each flag's variable is named after it: --data-dir is DICOMSERVE_DATA_DIR. \\
            List values in the environment are comma-separated. SIGTERM or SIGINT drain in-flight requests, \\
            then the process exits 0.
            """
    )

    @Option(help: "Address to listen on (DICOMSERVE_HOST; default 127.0.0.1).") var host: String?
    @Option(help: "Port (DICOMSERVE_PORT; default 8080).") var port: Int?
    @Option(help: "Data directory with catalog.sqlite and objects/ (DICOMSERVE_DATA_DIR; default ./data).") var dataDir: String?
    @Option(help: "Presets directory (DICOMSERVE_PRESETS; default: the installed presets).") var presets: String?
    @Option(help: "The viewer's files, served at /viewer/; none disables it (DICOMSERVE_WEB_DIR; default: the installed web/).")
    var webDir: String?
    @Option(help: "Render threads (DICOMSERVE_RENDER_THREADS; default: the number of cores).") var renderThreads: Int?
    @Option(help: "Largest upload in MiB, STOW-RS and POST /api/v1/dicom/instances (DICOMSERVE_MAX_UPLOAD_MB; default 512).")
    var maxUploadMb: Int?
    @Option(help: "Most frames in one WADO-RS frames request (DICOMSERVE_MAX_FRAMES_PER_REQUEST; default 1000).")
    var maxFramesPerRequest: Int?
    @Option(help: "Thumbnails fit in this many pixels square (DICOMSERVE_THUMBNAIL_SIZE; default 256).") var thumbnailSize: Int?
    @Option(
        help: """
            Browser origins allowed by CORS, comma-separated, or * (DICOMSERVE_CORS_ORIGINS; default: any origin when \\
            listening on loopback, none otherwise).
            """
    )
    var corsOrigins: String?
    @Option(help: "In-process cache of rendered images, MiB; 0 disables (DICOMSERVE_CACHE_MB; default 256).") var cacheMb: Int?
    @Option(help: "Decoded frames kept for re-windowing, MiB; 0 disables (DICOMSERVE_FRAME_CACHE_MB; default 256).")
    var frameCacheMb: Int?
    @Option(help: "Seconds a cached render is served (DICOMSERVE_RENDERED_TTL; default 1800).") var renderedTtl: Int?
    @Option(help: "Seconds built metadata is served (DICOMSERVE_METADATA_TTL; default 7200).") var metadataTtl: Int?
    @Option(
        help: """
            Redis shared by replicas, redis://[:password@]host:port/db or unix:/path?db=N (DICOMSERVE_REDIS_URL; \
            default: none, the in-process caches only).
            """
    )
    var redisUrl: String?
    @Option(help: "Longest wait for any Redis command, ms (DICOMSERVE_REDIS_TIMEOUT_MS; default 250).") var redisTimeoutMs: Int?
    @Option(help: "Requests per client, N/SECONDS or off (DICOMSERVE_RATE_LIMIT; default 1000/60).") var rateLimit: String?
    @Option(help: "Requests a client may make at once (DICOMSERVE_RATE_LIMIT_BURST; default: the limit).") var rateLimitBurst: Int?
    @Option(help: "Uploads (instances) per client, N/SECONDS (DICOMSERVE_RATE_LIMIT_INGEST; default 100/60).") var rateLimitIngest: String?
    @Option(help: "Frame, render, thumbnail and metadata requests per client, N/SECONDS (DICOMSERVE_RATE_LIMIT_VIEWING; default 10× the rate limit).")
    var rateLimitViewing: String?
    @Option(help: "Proxies whose X-Forwarded-For is trusted, comma-separated (DICOMSERVE_TRUSTED_PROXIES; default none).")
    var trustedProxies: String?
    @Option(help: "The address clients reach the server at, for URLs in answers, e.g. https://pacs.example (DICOMSERVE_PUBLIC_URL; default: relative URLs).")
    var publicURL: String?
    @Option(help: "Close connections idle this many seconds (DICOMSERVE_IDLE_TIMEOUT; default 60).") var idleTimeout: Int?
    @Option(
        help: """
            API keys file: lines of `name scopes sha256-hex`, scopes read,write,admin (DICOMSERVE_API_KEYS_FILE; \
            see `dicomserve api-key create`).
            """
    )
    var apiKeysFile: String?
    @Option(help: "API keys inline, comma-separated `name:scope+scope:sha256-hex` (DICOMSERVE_API_KEYS).") var apiKeys: String?
    @Option(help: "File holding the HS256 secret for bearer tokens, 32 bytes or more (DICOMSERVE_JWT_SECRET_FILE).")
    var jwtSecretFile: String?
    @Option(help: "PEM public keys for RS256/ES256 bearer tokens, comma-separated files (DICOMSERVE_JWT_PUBLIC_KEY_FILES).")
    var jwtPublicKeyFiles: String?
    @Option(help: "The iss bearer tokens must carry (DICOMSERVE_JWT_ISSUER; default: not checked).") var jwtIssuer: String?
    @Option(help: "A value bearer tokens' aud must contain (DICOMSERVE_JWT_AUDIENCE; default: not checked).") var jwtAudience: String?
    @Flag(help: "Serve without authentication on a non-loopback address (DICOMSERVE_INSECURE_NO_AUTH=true).")
    var insecureNoAuth = false
    @Option(
        help: """
            Log level: trace, debug, info (a line per request and per audited access), notice, warning, error \
            (DICOMSERVE_LOG_LEVEL; default info). Audit rows are written to the catalog at every level.
            """
    )
    var logLevel: String?
    @Option(help: "Parse uploads in worker processes under resource limits: on or off (DICOMSERVE_PARSE_ISOLATION; default on).")
    var parseIsolation: String?
    @Option(help: "CPU seconds a parse worker may spend on one file (DICOMSERVE_PARSE_CPU_SECONDS; default 60).")
    var parseCpuSeconds: Int?
    @Option(help: "Address space of a parse worker, MiB (DICOMSERVE_PARSE_MEMORY_MB; default 4096).") var parseMemoryMb: Int?
    @Option(help: "JSON config file (DICOMSERVE_CONFIG).") var config: String?

    func run() async throws {
        let reader = try await configurationReader()
        var configuration = ServerConfiguration(version: DicomServeCommand.version)
        configuration.host = reader.string(forKey: "host", default: configuration.host)
        configuration.port = try Self.checked(reader.int(forKey: "port", default: configuration.port), "port", 0...65_535)
        configuration.dataDirectory = reader.string(forKey: "dataDir", default: configuration.dataDirectory)
        configuration.presetsDirectory = reader.string(forKey: "presets") ?? PresetLocation.defaultDirectory()
        switch reader.string(forKey: "webDir") {
        case "none": configuration.webDirectory = nil
        case let directory?: configuration.webDirectory = directory
        case nil: configuration.webDirectory = PresetLocation.installed("web")
        }
        configuration.renderThreads = try Self.checked(
            reader.int(forKey: "renderThreads", default: configuration.renderThreads),
            "render-threads",
            1...256
        )
        configuration.maximumUploadSize =
            try Self.checked(reader.int(forKey: "maxUploadMb", default: configuration.maximumUploadSize >> 20), "max-upload-mb", 1...65_536) << 20
        configuration.maximumFramesPerRequest = try Self.checked(
            reader.int(forKey: "maxFramesPerRequest", default: configuration.maximumFramesPerRequest),
            "max-frames-per-request",
            1...100_000
        )
        configuration.thumbnailSize = try Self.checked(
            reader.int(forKey: "thumbnailSize", default: configuration.thumbnailSize),
            "thumbnail-size",
            16...4096
        )
        configuration.corsOrigins = reader.stringArray(forKey: "corsOrigins")
        configuration.cache.renderedBytes = try Self.checked(reader.int(forKey: "cacheMb", default: 256), "cache-mb", 0...1_048_576) << 20
        configuration.cache.decodedFrameBytes =
            try Self.checked(reader.int(forKey: "frameCacheMb", default: 256), "frame-cache-mb", 0...1_048_576) << 20
        if let url = reader.string(forKey: "redisUrl") {
            do {
                configuration.cache.redis = try RedisEndpoint(url: url)
            } catch {
                throw CommandFailure.usage("redis-url: \(error)")
            }
        }
        configuration.cache.redisTimeout = .milliseconds(
            try Self.checked(reader.int(forKey: "redisTimeoutMs", default: 250), "redis-timeout-ms", 1...60_000)
        )
        let limit = reader.string(forKey: "rateLimit", default: "1000/60")
        if limit.lowercased() == "off" {
            configuration.rateLimits = nil
        } else {
            let burst = reader.int(forKey: "rateLimitBurst")
            guard let standard = RateLimitPolicy(name: "default", parsing: limit, burst: burst),
                let ingest = RateLimitPolicy(name: "ingest", parsing: reader.string(forKey: "rateLimitIngest", default: "100/60"))
            else {
                throw CommandFailure.usage("rate limits are N/SECONDS (e.g. 1000/60) or off")
            }
            var viewing: RateLimitPolicy?
            if let text = reader.string(forKey: "rateLimitViewing") {
                guard let policy = RateLimitPolicy(name: "viewing", parsing: text) else {
                    throw CommandFailure.usage("rate-limit-viewing is N/SECONDS (e.g. 10000/60)")
                }
                viewing = policy
            }
            configuration.rateLimits = RateLimits(standard: standard, viewing: viewing, ingest: ingest)
        }
        configuration.trustedProxies = Set(reader.stringArray(forKey: "trustedProxies") ?? [])
        if let text = reader.string(forKey: "publicUrl") {
            guard let url = PublicURL(text) else {
                throw CommandFailure.usage("public-url must be an http(s) URL of a host, optional port and plain path: \(text)")
            }
            configuration.publicURL = url
        }
        configuration.idleTimeout = .seconds(try Self.checked(reader.int(forKey: "idleTimeout", default: 60), "idle-timeout", 1...86_400))
        configuration.authenticator = try await AuthenticationSettings(reader: reader).authenticator()
        if configuration.authenticator == nil, !configuration.isLoopback, !reader.bool(forKey: "insecureNoAuth", default: false) {
            throw CommandFailure.usage(
                """
                refusing to serve \(configuration.host) without authentication: configure --api-keys-file, --api-keys, \
                --jwt-secret-file or --jwt-public-key-files, or pass --insecure-no-auth
                """
            )
        }
        configuration.cache.metadataTimeToLive = .seconds(
            try Self.checked(reader.int(forKey: "metadataTtl", default: 7200), "metadata-ttl", 1...31_536_000)
        )
        configuration.cache.renderedTimeToLive = .seconds(
            try Self.checked(reader.int(forKey: "renderedTtl", default: 1800), "rendered-ttl", 1...31_536_000)
        )

        let parseWorkers = try ParseIsolationSettings(reader: reader).pool(limits: configuration.decodingLimits)
        configuration.instanceReader = parseWorkers

        var logger = Logger(label: "dicomserve")
        let level = reader.string(forKey: "logLevel", default: "info")
        guard let parsedLevel = Logger.Level(rawValue: level.lowercased()) else {
            throw CommandFailure.usage("log-level must be trace, debug, info, notice, warning, error or critical, not \(level)")
        }
        logger.logLevel = parsedLevel
        do {
            try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw CommandFailure.other("cannot create the data directory \(configuration.dataDirectory): \(error.localizedDescription)")
        }
        // swift-metrics records; the Prometheus registry is what GET /metrics emits. Bootstrapped before
        // the service exists: metric handles made earlier would stay no-ops.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let archive = try openArchive(configuration)
        logger.info(
            "starting",
            metadata: [
                "host": "\(configuration.host)", "port": "\(configuration.port)", "data-dir": "\(configuration.dataDirectory)",
                "presets": "\(configuration.presetsDirectory)", "web": "\(configuration.webDirectory ?? "off")",
                "render-threads": "\(configuration.renderThreads)",
                "cors": "\(configuration.corsPolicy.origins)",
                "redis": "\(configuration.cache.redis?.description ?? "off")",
                "rate-limit": "\(configuration.rateLimits.map { "\($0.standard), viewing \($0.viewing), ingest \($0.ingest)" } ?? "off")",
                "auth": "\(configuration.authenticator.map(AuthenticationSettings.summary) ?? "off")",
                "cache-mb": "\(configuration.cache.renderedBytes >> 20)", "frame-cache-mb": "\(configuration.cache.decodedFrameBytes >> 20)",
                "parse-isolation": "\(parseWorkers.map { ParseIsolationSettings.summary($0.configuration) } ?? "off")",
            ]
        )
        let notifier = SystemdNotifier()
        let host = configuration.host
        let port = configuration.port
        let application = buildApplication(
            configuration,
            archive: archive,
            metricsRegistry: registry,
            services: (parseWorkers.map { [$0] } ?? [])
                + (notifier.isActive ? [SystemdNotifierService(notifier: notifier, watchdogInterval: SystemdNotifier.watchdogInterval())] : []),
            onServerRunning: {
                // The catalog is open and the port bound: only now may systemd start what depends on us.
                notifier.notify("READY=1\nSTATUS=serving on \(host):\(port)\nMAINPID=\(getpid())")
            },
            logger: logger
        )
        // The group stops every service, the pools and the parse workers included, also when it fails.
        do {
            try await application.runService()
        } catch let error as IOError where [EADDRINUSE, EACCES, EADDRNOTAVAIL].contains(error.errnoCode) {
            throw CommandFailure.environment(Self.listenFailure(host: host, port: port, errno: error.errnoCode))
        }
    }

    /// Flags first, then DICOMSERVE_* variables, then the config file.
    func configurationReader() async throws -> ConfigReader {
        var flags: [AbsoluteConfigKey: ConfigValue] = [:]
        func set(_ key: String, _ value: ConfigContent?) {
            if let value { flags[AbsoluteConfigKey([key])] = ConfigValue(value, isSecret: false) }
        }
        /// A comma-separated flag value as the list the environment and config file give.
        func list(_ text: String) -> ConfigContent {
            .stringArray(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        set("host", host.map(ConfigContent.string))
        set("port", port.map(ConfigContent.int))
        set("dataDir", dataDir.map(ConfigContent.string))
        set("presets", presets.map(ConfigContent.string))
        set("webDir", webDir.map(ConfigContent.string))
        set("logLevel", logLevel.map(ConfigContent.string))
        set("renderThreads", renderThreads.map(ConfigContent.int))
        set("maxUploadMb", maxUploadMb.map(ConfigContent.int))
        set("maxFramesPerRequest", maxFramesPerRequest.map(ConfigContent.int))
        set("thumbnailSize", thumbnailSize.map(ConfigContent.int))
        set("rateLimit", rateLimit.map(ConfigContent.string))
        set("rateLimitBurst", rateLimitBurst.map(ConfigContent.int))
        set("rateLimitIngest", rateLimitIngest.map(ConfigContent.string))
        set("rateLimitViewing", rateLimitViewing.map(ConfigContent.string))
        set("trustedProxies", trustedProxies.map(list))
        set("publicUrl", publicURL.map(ConfigContent.string))
        set("redisUrl", redisUrl.map(ConfigContent.string))
        set("redisTimeoutMs", redisTimeoutMs.map(ConfigContent.int))
        set("cacheMb", cacheMb.map(ConfigContent.int))
        set("frameCacheMb", frameCacheMb.map(ConfigContent.int))
        set("renderedTtl", renderedTtl.map(ConfigContent.int))
        set("metadataTtl", metadataTtl.map(ConfigContent.int))
        set("idleTimeout", idleTimeout.map(ConfigContent.int))
        set("apiKeysFile", apiKeysFile.map(ConfigContent.string))
        set("apiKeys", apiKeys.map(list))
        set("jwtSecretFile", jwtSecretFile.map(ConfigContent.string))
        set("jwtPublicKeyFiles", jwtPublicKeyFiles.map(list))
        set("jwtIssuer", jwtIssuer.map(ConfigContent.string))
        set("jwtAudience", jwtAudience.map(ConfigContent.string))
        if insecureNoAuth { set("insecureNoAuth", .bool(true)) }
        set("corsOrigins", corsOrigins.map(list))
        set("parseIsolation", parseIsolation.map(ConfigContent.string))
        set("parseCpuSeconds", parseCpuSeconds.map(ConfigContent.int))
        set("parseMemoryMb", parseMemoryMb.map(ConfigContent.int))

        let environment = EnvironmentVariablesProvider().prefixKeys(with: "dicomserve")
        var providers: [any ConfigProvider] = [InMemoryProvider(name: "flags", values: flags), environment]
        if let path = config ?? ProcessInfo.processInfo.environment["DICOMSERVE_CONFIG"] {
            do {
                providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(path)))
            } catch {
                throw CommandFailure.usage("cannot read the config file \(path): \(error)")
            }
        }
        return ConfigReader(providers: providers)
    }

    /// Why the port cannot be listened on, in words, with what to do about it.
    static func listenFailure(host: String, port: Int, errno code: Int32) -> String {
        switch code {
        case EADDRINUSE: "cannot listen on \(host):\(port): the port is already in use (another dicomserve?); choose another with --port"
        case EACCES: "cannot listen on \(host):\(port): permission denied (ports below 1024 need privileges); choose a port of 1024 or more"
        default: "cannot listen on \(host):\(port): the address is not one of this machine's; check --host"
        }
    }

    static func checked(_ value: Int, _ name: String, _ range: ClosedRange<Int>) throws -> Int {
        guard range.contains(value) else {
            throw CommandFailure.usage("\(name) must be \(range.lowerBound)–\(range.upperBound), not \(value)")
        }
        return value
    }
}
