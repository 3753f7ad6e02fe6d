import Configuration
import DicomArchive
import DicomServer
import Redis

extension ServerConfiguration {
    /// The server's configuration from flags, environment and config file (`ServeSettings`), checked:
    /// a value out of its range, or one that cannot be what it names, stops start-up with exit 2.
    static func reading(_ reader: ConfigReader, version: String) async throws -> ServerConfiguration {
        typealias S = ServeSettings
        var configuration = ServerConfiguration(version: version)
        configuration.host = reader.string(S.host) ?? configuration.host
        configuration.port = try S.port.value(reader)
        configuration.dataDirectory = reader.string(S.dataDir) ?? configuration.dataDirectory
        configuration.presetsDirectory = reader.string(S.presets) ?? PresetLocation.defaultDirectory()
        switch reader.string(S.webDir) {
        case "none": configuration.webDirectory = nil
        case let directory?: configuration.webDirectory = directory
        case nil: configuration.webDirectory = PresetLocation.installed("web")
        }
        configuration.renderThreads = try S.renderThreads.read(reader) ?? configuration.renderThreads
        configuration.maximumUploadSize = try S.maxUploadMb.value(reader) << 20
        configuration.maximumFramesPerRequest = try S.maxFramesPerRequest.value(reader)
        configuration.thumbnailSize = try S.thumbnailSize.value(reader)
        configuration.corsOrigins = reader.strings(S.corsOrigins)
        configuration.cache = try cache(reader)
        configuration.rateLimits = try rateLimits(reader)
        configuration.trustedProxies = Set(reader.strings(S.trustedProxies) ?? [])
        if let text = reader.string(S.publicUrl) {
            guard let url = PublicURL(text) else {
                throw CommandFailure.usage("public-url must be an http(s) URL of a host, optional port and plain path: \(text)")
            }
            configuration.publicURL = url
        }
        configuration.idleTimeout = .seconds(try S.idleTimeout.value(reader))
        configuration.authenticator = try await AuthenticationSettings(reader: reader).authenticator()
        if configuration.authenticator == nil, !configuration.isLoopback, !reader.flag(S.insecureNoAuth) {
            throw CommandFailure.usage(
                """
                refusing to serve \(configuration.host) without authentication: configure --api-keys-file, --api-keys, \
                --jwt-secret-file or --jwt-public-key-files, or pass --insecure-no-auth
                """
            )
        }
        return configuration
    }

    private static func cache(_ reader: ConfigReader) throws -> CacheConfiguration {
        typealias S = ServeSettings
        var cache = CacheConfiguration()
        cache.renderedBytes = try S.cacheMb.value(reader) << 20
        cache.decodedFrameBytes = try S.frameCacheMb.value(reader) << 20
        if let url = reader.string(S.redisUrl) {
            do {
                cache.redis = try RedisEndpoint(url: url)
            } catch {
                throw CommandFailure.usage("redis-url: \(error)")
            }
        }
        cache.redisTimeout = .milliseconds(try S.redisTimeoutMs.value(reader))
        cache.metadataTimeToLive = .seconds(try S.metadataTtl.value(reader))
        cache.renderedTimeToLive = .seconds(try S.renderedTtl.value(reader))
        return cache
    }

    /// The class budgets, or nil for `off`.
    private static func rateLimits(_ reader: ConfigReader) throws -> RateLimits? {
        typealias S = ServeSettings
        let limit = reader.string(S.rateLimit) ?? S.rateLimit.defaultText ?? ""
        guard limit.lowercased() != "off" else { return nil }
        // A burst below 1 is taken as 1 by the policy.
        let burst = reader.int(forKey: S.rateLimitBurst.setting.configKey)
        guard let standard = RateLimitPolicy(name: "default", parsing: limit, burst: burst),
            let ingest = RateLimitPolicy(name: "ingest", parsing: reader.string(S.rateLimitIngest) ?? S.rateLimitIngest.defaultText ?? "")
        else {
            throw CommandFailure.usage("rate limits are N/SECONDS (e.g. 1000/60) or off")
        }
        var viewing: RateLimitPolicy?
        if let text = reader.string(S.rateLimitViewing) {
            guard let policy = RateLimitPolicy(name: "viewing", parsing: text) else {
                throw CommandFailure.usage("rate-limit-viewing is N/SECONDS (e.g. 10000/60)")
            }
            viewing = policy
        }
        return RateLimits(standard: standard, viewing: viewing, ingest: ingest)
    }
}
