import ArgumentParser
import Configuration
import DicomServer
import Foundation
import Logging
import Metrics
import NIOCore
import ParseWorker
import Prometheus

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the catalogued studies over HTTP: the JSON API under /api/v1 and DICOMweb under /dicomweb.",
        discussion: """
            Settings come from, in order of precedence: flags, DICOMSERVE_* environment variables, the JSON \
            config file (--config or DICOMSERVE_CONFIG; keys are the flag names in camelCase, e.g. \
            {"port": 8080, "dataDir": "/var/lib/dicomserve", "corsOrigins": ["https://viewer.example"]}), \
            then the defaults shown. Each flag's variable is named after it: --data-dir is DICOMSERVE_DATA_DIR. \
            List values in the environment are comma-separated. SIGTERM or SIGINT drain in-flight requests, \
            then the process exits 0.
            """
    )

    // Each option takes its help (variable and default included) from its `ServeSettings` entry.
    @Option(help: ServeSettings.host.help) var host: String?
    @Option(help: ServeSettings.port.help) var port: Int?
    @Option(help: ServeSettings.dataDir.help) var dataDir: String?
    @Option(help: ServeSettings.presets.help) var presets: String?
    @Option(help: ServeSettings.webDir.help) var webDir: String?
    @Option(help: ServeSettings.renderThreads.help) var renderThreads: Int?
    @Option(help: ServeSettings.maxUploadMb.help) var maxUploadMb: Int?
    @Option(help: ServeSettings.maxFramesPerRequest.help) var maxFramesPerRequest: Int?
    @Option(help: ServeSettings.thumbnailSize.help) var thumbnailSize: Int?
    @Option(help: ServeSettings.pngCompression.help) var pngCompression: String?
    @Option(help: ServeSettings.corsOrigins.help) var corsOrigins: String?
    @Option(help: ServeSettings.cacheMb.help) var cacheMb: Int?
    @Option(help: ServeSettings.frameCacheMb.help) var frameCacheMb: Int?
    @Option(help: ServeSettings.renderedTtl.help) var renderedTtl: Int?
    @Option(help: ServeSettings.metadataTtl.help) var metadataTtl: Int?
    @Option(help: ServeSettings.redisUrl.help) var redisUrl: String?
    @Option(help: ServeSettings.redisTimeoutMs.help) var redisTimeoutMs: Int?
    @Option(help: ServeSettings.rateLimit.help) var rateLimit: String?
    @Option(help: ServeSettings.rateLimitBurst.help) var rateLimitBurst: Int?
    @Option(help: ServeSettings.rateLimitIngest.help) var rateLimitIngest: String?
    @Option(help: ServeSettings.rateLimitViewing.help) var rateLimitViewing: String?
    @Option(help: ServeSettings.trustedProxies.help) var trustedProxies: String?
    @Option(name: .customLong(ServeSettings.publicUrl.flag), help: ServeSettings.publicUrl.help) var publicURL: String?
    @Option(help: ServeSettings.idleTimeout.help) var idleTimeout: Int?
    @Option(help: ServeSettings.apiKeysFile.help) var apiKeysFile: String?
    @Option(help: ServeSettings.apiKeys.help) var apiKeys: String?
    @Option(help: ServeSettings.jwtSecretFile.help) var jwtSecretFile: String?
    @Option(help: ServeSettings.jwtPublicKeyFiles.help) var jwtPublicKeyFiles: String?
    @Option(help: ServeSettings.jwtIssuer.help) var jwtIssuer: String?
    @Option(help: ServeSettings.jwtAudience.help) var jwtAudience: String?
    @Flag(help: ServeSettings.insecureNoAuth.help) var insecureNoAuth = false
    @Option(help: ServeSettings.logLevel.help) var logLevel: String?
    @Option(help: ServeSettings.parseIsolation.help) var parseIsolation: String?
    @Option(help: ServeSettings.parseCpuSeconds.help) var parseCpuSeconds: Int?
    @Option(help: ServeSettings.parseMemoryMb.help) var parseMemoryMb: Int?
    @Option(help: ServeSettings.config.help) var config: String?

    func run() async throws {
        let reader = try await settingsReader()
        var configuration = try await ServerConfiguration.reading(reader, version: DicomServeCommand.version)
        let logger = try Self.logger(reader)
        let parseWorkers = try ParseIsolationSettings(reader).pool(limits: configuration.decodingLimits)
        configuration.instanceReader = parseWorkers
        try Self.prepareDataDirectory(configuration.dataDirectory, given: reader.source(of: ServeSettings.dataDir), logger: logger)
        // swift-metrics records; the Prometheus registry is what GET /metrics emits. Bootstrapped before
        // the archive exists: metric handles made earlier would stay no-ops.
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let archive = try openArchive(configuration)
        logger.info("settings given", metadata: reader.givenSettings().mapValues { .string($0) })
        logger.info("starting", metadata: Self.summary(configuration, parseWorkers: parseWorkers))
        let notifier = SystemdNotifier()
        let (host, port) = (configuration.host, configuration.port)
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

    static func logger(_ reader: SettingsReader) throws -> Logger {
        var logger = Logger(label: "dicomserve")
        let level = try reader.string(ServeSettings.logLevel) ?? "info"
        guard let parsed = Logger.Level(rawValue: level.lowercased()) else {
            throw reader.refusal(ServeSettings.logLevel, "must be trace, debug, info, notice, warning, error or critical")
        }
        logger.logLevel = parsed
        return logger
    }

    /// Creates the data directory if needed. A default `./data` that did not exist is created with a
    /// warning: it usually means `serve` was started in another directory than intended, and would
    /// otherwise serve an empty archive without a word.
    static func prepareDataDirectory(_ path: String, given source: SettingSource, logger: Logger) throws {
        guard try DataDirectory.prepare(path), source == .builtIn else { return }
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        logger.warning(
            "created an empty data directory: no --data-dir was given and \(absolute) did not exist; give --data-dir to serve an existing archive"
        )
    }

    /// The effective configuration, as the start-up line reports it.
    static func summary(_ configuration: ServerConfiguration, parseWorkers: ParseWorkerPool?) -> Logger.Metadata {
        [
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
    }

    /// Flags first, then DICOMSERVE_* variables, then the config file.
    func settingsReader() async throws -> SettingsReader {
        typealias S = ServeSettings
        /// A comma-separated flag value as the list the environment and config file give.
        func list(_ text: String) -> ConfigContent {
            .stringArray(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
        }
        let given: [(ServeSetting, ConfigContent?)] = [
            (S.host, host.map(ConfigContent.string)), (S.port.setting, port.map(ConfigContent.int)),
            (S.dataDir, dataDir.map(ConfigContent.string)), (S.presets, presets.map(ConfigContent.string)),
            (S.webDir, webDir.map(ConfigContent.string)), (S.logLevel, logLevel.map(ConfigContent.string)),
            (S.renderThreads.setting, renderThreads.map(ConfigContent.int)), (S.maxUploadMb.setting, maxUploadMb.map(ConfigContent.int)),
            (S.maxFramesPerRequest.setting, maxFramesPerRequest.map(ConfigContent.int)),
            (S.thumbnailSize.setting, thumbnailSize.map(ConfigContent.int)), (S.pngCompression, pngCompression.map(ConfigContent.string)),
            (S.rateLimit, rateLimit.map(ConfigContent.string)),
            (S.rateLimitBurst.setting, rateLimitBurst.map(ConfigContent.int)), (S.rateLimitIngest, rateLimitIngest.map(ConfigContent.string)),
            (S.rateLimitViewing, rateLimitViewing.map(ConfigContent.string)), (S.trustedProxies, trustedProxies.map(list)),
            (S.publicUrl, publicURL.map(ConfigContent.string)), (S.redisUrl, redisUrl.map(ConfigContent.string)),
            (S.redisTimeoutMs.setting, redisTimeoutMs.map(ConfigContent.int)), (S.cacheMb.setting, cacheMb.map(ConfigContent.int)),
            (S.frameCacheMb.setting, frameCacheMb.map(ConfigContent.int)), (S.renderedTtl.setting, renderedTtl.map(ConfigContent.int)),
            (S.metadataTtl.setting, metadataTtl.map(ConfigContent.int)), (S.idleTimeout.setting, idleTimeout.map(ConfigContent.int)),
            (S.apiKeysFile, apiKeysFile.map(ConfigContent.string)), (S.apiKeys, apiKeys.map(list)),
            (S.jwtSecretFile, jwtSecretFile.map(ConfigContent.string)), (S.jwtPublicKeyFiles, jwtPublicKeyFiles.map(list)),
            (S.jwtIssuer, jwtIssuer.map(ConfigContent.string)), (S.jwtAudience, jwtAudience.map(ConfigContent.string)),
            (S.insecureNoAuth, insecureNoAuth ? .bool(true) : nil), (S.corsOrigins, corsOrigins.map(list)),
            (S.parseIsolation, parseIsolation.map(ConfigContent.string)),
            (S.parseCpuSeconds.setting, parseCpuSeconds.map(ConfigContent.int)),
            (S.parseMemoryMb.setting, parseMemoryMb.map(ConfigContent.int)),
        ]
        let environment = ProcessInfo.processInfo.environment
        return try await SettingsReader(
            flags: given.compactMap { setting, value in value.map { (setting, $0) } },
            environment: environment,
            configFile: config ?? environment[S.config.variable].flatMap { $0.isEmpty ? nil : $0 }
        )
    }

    /// Why the port cannot be listened on, in words, with what to do about it.
    static func listenFailure(host: String, port: Int, errno code: Int32) -> String {
        switch code {
        case EADDRINUSE: "cannot listen on \(host):\(port): the port is already in use (another dicomserve?); choose another with --port"
        case EACCES: "cannot listen on \(host):\(port): permission denied (ports below 1024 need privileges); choose a port of 1024 or more"
        default: "cannot listen on \(host):\(port): the address is not one of this machine's; check --host"
        }
    }
}
