import DicomCodec
import DicomImaging
import Redis

/// Sizes and lifetimes of the caches.
public struct CacheConfiguration: Sendable {
    /// Budget of encoded renders, in bytes (0 disables).
    public var renderedBytes: Int
    /// Budget of decoded frames kept for re-windowing, in bytes (0 disables).
    public var decodedFrameBytes: Int
    public var renderedTimeToLive: Duration
    /// How long built metadata documents are served.
    public var metadataTimeToLive: Duration = .seconds(7200)
    /// Redis (L2), shared by replicas; nil runs with the in-process caches only.
    public var redis: RedisEndpoint?
    /// No Redis command waits longer than this; past it the request is served without Redis.
    public var redisTimeout: Duration

    public init(
        renderedBytes: Int = 256 << 20,
        decodedFrameBytes: Int = 256 << 20,
        renderedTimeToLive: Duration = .seconds(1800),
        redis: RedisEndpoint? = nil,
        redisTimeout: Duration = .milliseconds(250)
    ) {
        self.renderedBytes = renderedBytes
        self.decodedFrameBytes = decodedFrameBytes
        self.renderedTimeToLive = renderedTimeToLive
        self.redis = redis
        self.redisTimeout = redisTimeout
    }
}

/// Bounds on what one retrieve request may return.
public struct RetrieveLimits: Sendable, Equatable {
    /// Frames one frames (or pixel bulk data) request may name.
    public var maxFramesPerRequest: Int
    /// Bytes one answer may carry: duplicates and huge frames cannot multiply a small request.
    public var maxResponseBytes: Int

    public init(maxFramesPerRequest: Int = 1000, maxResponseBytes: Int = 512 << 20) {
        self.maxFramesPerRequest = maxFramesPerRequest
        self.maxResponseBytes = maxResponseBytes
    }
}
