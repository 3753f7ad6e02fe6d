import Caching
import Redis

/// Redis as the archive last saw it.
public struct RedisStatus: Sendable, Equatable {
    public var state: RedisClient.Status
    public var statistics: RedisClient.Statistics
}

/// A snapshot of the archive's load and caches, for the health route and /metrics.
public struct ArchiveStatus: Sendable {
    /// Renders running or waiting.
    public var renderQueue: Int
    public var renderThreads: Int
    /// Frames actually rendered since start.
    public var rendersPerformed: Int
    /// The in-process cache of encoded renders (L1).
    public var renderedCache: CacheStatistics
    public var renderedCacheEnabled: Bool
    public var decodedFrames: CacheStatistics
    /// Nil when no Redis is configured.
    public var redis: RedisStatus?
}
