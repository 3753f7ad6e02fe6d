import DicomArchive
import DicomCodec
import DicomServer
import Redis

extension ServerConfiguration {
    /// The server's configuration from flags, environment and config file (`ServeSettings`), checked:
    /// a value out of its range, or one that cannot be what it names, stops start-up with exit 2 and
    /// a line naming where the value came from.
    static func reading(_ reader: SettingsReader, version: String) async throws -> ServerConfiguration {
        typealias S = ServeSettings
        var configuration = ServerConfiguration(version: version)
        configuration.host = try reader.string(S.host) ?? configuration.host
        configuration.port = try reader.value(S.port)
        configuration.dataDirectory = try reader.string(S.dataDir) ?? configuration.dataDirectory
        configuration.presetsDirectory = try reader.string(S.presets) ?? PresetLocation.defaultDirectory()
        switch try reader.string(S.webDir) {
        case "none": configuration.webDirectory = nil
        case let directory?: configuration.webDirectory = directory
        case nil: configuration.webDirectory = PresetLocation.installed("web")
        }
        configuration.renderThreads = try reader.int(S.renderThreads) ?? configuration.renderThreads
        configuration.maximumUploadSize = try reader.value(S.maxUploadMb) << 20
        configuration.maximumFramesPerRequest = try reader.value(S.maxFramesPerRequest)
        configuration.thumbnailSize = try reader.value(S.thumbnailSize)
        if let name = try reader.string(S.pngCompression) {
            guard let compression = PNGCompression(rawValue: name) else {
                throw reader.refusal(S.pngCompression, "must be fast, balanced or small")
            }
            configuration.pngCompression = compression
        }
        configuration.corsOrigins = try reader.strings(S.corsOrigins)
        configuration.cache = try cache(reader)
        configuration.rateLimits = try rateLimits(reader)
        configuration.trustedProxies = Set(try reader.strings(S.trustedProxies) ?? [])
        if let text = try reader.string(S.publicUrl) {
            guard let url = PublicURL(text) else {
                throw reader.refusal(S.publicUrl, "must be an http(s) URL of a host, optional port and plain path")
            }
            configuration.publicURL = url
        }
        configuration.idleTimeout = .seconds(try reader.value(S.idleTimeout))
        configuration.authenticator = try await AuthenticationSettings(reader).authenticator()
        if configuration.authenticator == nil, !configuration.isLoopback, !(try reader.flag(S.insecureNoAuth)) {
            throw CommandFailure.usage(
                """
                refusing to serve \(configuration.host) without authentication: configure --api-keys-file, --api-keys, \
                --jwt-secret-file or --jwt-public-key-files, or pass --insecure-no-auth
                """
            )
        }
        return configuration
    }

    private static func cache(_ reader: SettingsReader) throws -> CacheConfiguration {
        typealias S = ServeSettings
        var cache = CacheConfiguration()
        cache.renderedBytes = try reader.value(S.cacheMb) << 20
        cache.decodedFrameBytes = try reader.value(S.frameCacheMb) << 20
        if let url = try reader.string(S.redisUrl) {
            do {
                cache.redis = try RedisEndpoint(url: url)
            } catch {
                throw reader.refusal(S.redisUrl, "\(error)")
            }
        }
        cache.redisTimeout = .milliseconds(try reader.value(S.redisTimeoutMs))
        cache.metadataTimeToLive = .seconds(try reader.value(S.metadataTtl))
        cache.renderedTimeToLive = .seconds(try reader.value(S.renderedTtl))
        return cache
    }

    /// The class budgets, or nil for `off`.
    private static func rateLimits(_ reader: SettingsReader) throws -> RateLimits? {
        typealias S = ServeSettings
        let limit = try reader.string(S.rateLimit) ?? S.rateLimit.defaultText ?? ""
        guard limit.lowercased() != "off" else { return nil }
        // A burst below 1 is taken as 1 by the policy.
        let burst = try reader.int(S.rateLimitBurst)
        guard let standard = RateLimitPolicy(name: "default", parsing: limit, burst: burst) else {
            throw reader.refusal(S.rateLimit, "must be N/SECONDS (e.g. 1000/60) or off")
        }
        guard let ingest = RateLimitPolicy(name: "ingest", parsing: try reader.string(S.rateLimitIngest) ?? S.rateLimitIngest.defaultText ?? "")
        else {
            throw reader.refusal(S.rateLimitIngest, "must be N/SECONDS (e.g. 100/60)")
        }
        var viewing: RateLimitPolicy?
        if let text = try reader.string(S.rateLimitViewing) {
            guard let policy = RateLimitPolicy(name: "viewing", parsing: text) else {
                throw reader.refusal(S.rateLimitViewing, "must be N/SECONDS (e.g. 10000/60)")
            }
            viewing = policy
        }
        return RateLimits(standard: standard, viewing: viewing, ingest: ingest)
    }
}
