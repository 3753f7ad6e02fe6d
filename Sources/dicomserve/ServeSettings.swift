/// Every setting of `serve`, each key, default and range written once (`ServeSetting`). The flags in
/// `ServeCommand` take their help from here; `ServerConfiguration.reading(_:)` reads them.
enum ServeSettings {
    static let host = ServeSetting("host", "Address to listen on", default: "127.0.0.1")
    static let port = IntegerSetting("port", "Port", default: 8080, range: 0...65_535)
    static let dataDir = ServeSetting("dataDir", "Data directory with catalog.sqlite and objects/", default: "./data")
    static let presets = ServeSetting("presets", "Presets directory", default: "the installed presets")
    static let webDir = ServeSetting("webDir", "The viewer's files, served at /viewer/; none disables it", default: "the installed web/")
    static let renderThreads = IntegerSetting(
        "renderThreads",
        "Render threads",
        default: nil,
        range: 1...256,
        defaultText: "the number of cores"
    )
    static let maxUploadMb = IntegerSetting(
        "maxUploadMb",
        "Largest upload in MiB, STOW-RS and POST /api/v1/dicom/instances",
        default: 512,
        range: 1...65_536
    )
    static let maxFramesPerRequest = IntegerSetting(
        "maxFramesPerRequest",
        "Most frames in one WADO-RS frames request",
        default: 1000,
        range: 1...100_000
    )
    static let thumbnailSize = IntegerSetting("thumbnailSize", "Thumbnails fit in this many pixels square", default: 256, range: 16...4096)
    static let pngCompression = ServeSetting(
        "pngCompression",
        "PNG compression: fast (ISA-L), balanced or small (zlib, smaller and slower); see benchmarks/README.md",
        default: "fast"
    )
    static let corsOrigins = ServeSetting(
        "corsOrigins",
        "Browser origins allowed by CORS, comma-separated, or *",
        default: "any origin when listening on loopback, none otherwise"
    )
    static let cacheMb = IntegerSetting("cacheMb", "In-process cache of rendered images, MiB; 0 disables", default: 256, range: 0...1_048_576)
    static let frameCacheMb = IntegerSetting(
        "frameCacheMb",
        "Decoded frames kept for re-windowing, MiB; 0 disables",
        default: 256,
        range: 0...1_048_576
    )
    static let renderedTtl = IntegerSetting("renderedTtl", "Seconds a cached render is served", default: 1800, range: 1...31_536_000)
    static let metadataTtl = IntegerSetting("metadataTtl", "Seconds built metadata is served", default: 7200, range: 1...31_536_000)
    static let redisUrl = ServeSetting(
        "redisUrl",
        "Redis shared by replicas, redis://[:password@]host:port/db or unix:/path?db=N",
        default: "none, the in-process caches only",
        isSecret: true
    )
    static let redisTimeoutMs = IntegerSetting("redisTimeoutMs", "Longest wait for any Redis command, ms", default: 250, range: 1...60_000)
    static let rateLimit = ServeSetting("rateLimit", "Requests per client, N/SECONDS or off", default: "1000/60")
    static let rateLimitBurst = IntegerSetting(
        "rateLimitBurst",
        "Requests a client may make at once",
        default: nil,
        range: 1...Int(Int32.max),
        defaultText: "the limit"
    )
    static let rateLimitIngest = ServeSetting("rateLimitIngest", "Uploads (instances) per client, N/SECONDS", default: "100/60")
    static let rateLimitViewing = ServeSetting(
        "rateLimitViewing",
        "Frame, render, thumbnail and metadata requests per client, N/SECONDS",
        default: "10× the rate limit"
    )
    static let trustedProxies = ServeSetting("trustedProxies", "Proxies whose X-Forwarded-For is trusted, comma-separated", default: "none")
    static let publicUrl = ServeSetting(
        "publicUrl",
        "The address clients reach the server at, for URLs in answers, e.g. https://pacs.example",
        default: "relative URLs"
    )
    static let idleTimeout = IntegerSetting("idleTimeout", "Close connections idle this many seconds", default: 60, range: 1...86_400)
    static let apiKeysFile = ServeSetting(
        "apiKeysFile",
        "API keys file: lines of `name scopes sha256-hex`, scopes read,write,admin; see `dicomserve api-key create`",
        default: nil
    )
    static let apiKeys = ServeSetting(
        "apiKeys",
        "API keys inline, comma-separated `name:scope+scope:sha256-hex`",
        default: nil,
        isSecret: true
    )
    static let jwtSecretFile = ServeSetting(
        "jwtSecretFile",
        "File holding the HS256 secret for bearer tokens, 32 bytes or more",
        default: nil
    )
    static let jwtPublicKeyFiles = ServeSetting(
        "jwtPublicKeyFiles",
        "PEM public keys for RS256/ES256 bearer tokens, comma-separated files",
        default: nil
    )
    static let jwtIssuer = ServeSetting("jwtIssuer", "The iss bearer tokens must carry", default: "not checked")
    static let jwtAudience = ServeSetting("jwtAudience", "A value bearer tokens' aud must contain", default: "not checked")
    static let insecureNoAuth = ServeSetting(
        "insecureNoAuth",
        "Serve without authentication on a non-loopback address (=true)",
        default: nil
    )
    static let logLevel = ServeSetting(
        "logLevel",
        """
        Log level: trace, debug, info (a line per request and per audited access), notice, warning, error; \
        audit rows are written to the catalog at every level
        """,
        default: "info"
    )
    static let parseIsolation = ServeSetting(
        "parseIsolation",
        "Parse uploads in worker processes under resource limits: on or off",
        default: "on"
    )
    static let parseCpuSeconds = IntegerSetting(
        "parseCpuSeconds",
        "CPU seconds a parse worker may spend on one file",
        default: 60,
        range: 1...3_600
    )
    static let parseMemoryMb = IntegerSetting("parseMemoryMb", "Address space of a parse worker, MiB", default: 4096, range: 256...1_048_576)
    static let config = ServeSetting("config", "JSON config file", default: nil)

    /// Every setting: what the config file and the `DICOMSERVE_*` variables may name.
    static let all: [ServeSetting] = [
        host, port.setting, dataDir, presets, webDir, renderThreads.setting, maxUploadMb.setting, maxFramesPerRequest.setting,
        thumbnailSize.setting, pngCompression, corsOrigins, cacheMb.setting, frameCacheMb.setting, renderedTtl.setting, metadataTtl.setting,
        redisUrl, redisTimeoutMs.setting, rateLimit, rateLimitBurst.setting, rateLimitIngest, rateLimitViewing, trustedProxies,
        publicUrl, idleTimeout.setting, apiKeysFile, apiKeys, jwtSecretFile, jwtPublicKeyFiles, jwtIssuer, jwtAudience,
        insecureNoAuth, logLevel, parseIsolation, parseCpuSeconds.setting, parseMemoryMb.setting, config,
    ]
}
