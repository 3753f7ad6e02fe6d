import DicomCodec
import DicomImaging
import DicomStorage
import Redis
import ServiceLifecycle

/// The application core: what the HTTP layer (and later DIMSE) talks to, and nothing else. It is built
/// over a catalog and an object store (any conformers) and owns the work pools, the caches and the
/// Redis client. Each concern is its own part, named for what it does; this type only assembles them.
public final class Archive: Sendable {
    /// Searches, instance lookups, the ingestion log and the audit.
    public let queries: CatalogQueries
    /// Rendered frames and thumbnails, with their caches.
    public let rendering: RenderingService
    /// Stored objects, frames, bulk data and per-instance metadata.
    public let retrieval: RetrievalService
    /// Built series-level documents (WADO-RS series metadata).
    public let documents: MetadataDocuments
    /// Uploads: staged, read, stored, catalogued.
    public let ingest: IngestService
    /// Request budgets, shared by replicas through Redis when there is one.
    public let rateLimiter: RateLimiter
    /// Decoding, rendering and encoding: CPU-bound, sized to the cores.
    let pool: WorkPool
    /// Blocking file reads, catalog calls and ingest writes, kept off both the event loops and the
    /// render threads.
    let filePool: WorkPool
    let caches: LocalCaches
    /// The engines the parts are built over; only the parts use them (tests build replicas with them).
    let catalog: any Catalog
    let store: any ObjectStorage
    private let redis: RedisClient?
    private let replicas: ReplicaCoordinator

    public init(
        catalog: any Catalog,
        store: any ObjectStorage,
        presets: PresetLibrary,
        pool: WorkPool,
        filePool: WorkPool = WorkPool(threads: 4, queueLimit: 1024),
        thumbnailViewport: Viewport = Viewport(width: 256, height: 256),
        limits: DecodingLimits = .default,
        reader: (any InstanceReader)? = nil,
        retrieveLimits: RetrieveLimits = RetrieveLimits(),
        cache: CacheConfiguration = CacheConfiguration(),
        pngCompression: PNGCompression = .fast
    ) {
        self.pool = pool
        self.filePool = filePool
        self.catalog = catalog
        self.store = store
        redis = cache.redis.map {
            RedisClient(endpoint: $0, connectTimeout: cache.redisTimeout * 2, commandTimeout: cache.redisTimeout)
        }
        let shared = redis.map(SharedCache.init)
        let caches = LocalCaches(configuration: cache)
        let replicas = ReplicaCoordinator(caches: caches, shared: shared)
        self.caches = caches
        self.replicas = replicas
        queries = CatalogQueries(catalog: catalog, filePool: filePool, caches: caches, replicas: replicas)
        rendering = RenderingService(
            presets: presets,
            thumbnailViewport: thumbnailViewport,
            store: store,
            pool: pool,
            caches: caches,
            shared: shared,
            replicas: replicas,
            limits: limits,
            timeToLive: cache.renderedTimeToLive,
            pngCompression: pngCompression
        )
        retrieval = RetrievalService(
            catalog: catalog,
            store: store,
            pool: pool,
            filePool: filePool,
            limits: limits,
            retrieveLimits: retrieveLimits,
            transcodedFrames: TranscodedFrameCache(caches: caches, shared: shared, replicas: replicas, timeToLive: cache.renderedTimeToLive)
        )
        documents = MetadataDocuments(caches: caches, shared: shared, timeToLive: cache.metadataTimeToLive)
        ingest = IngestService(
            catalog: catalog,
            store: store,
            reader: reader ?? InProcessInstanceReader(limits: limits),
            filePool: filePool,
            replicas: replicas
        )
        rateLimiter = RateLimiter(redis: redis)
    }

    /// The long-lived parts, in start order (a `ServiceGroup` stops them in reverse): the pools first,
    /// so that everything stopping after them (the audit log's last flush, the HTTP server's drain)
    /// still has them.
    public var services: [any Service] { [pool, filePool] + (redis.map { [$0] } ?? []) }

    /// The cache generation: part of every cache key.
    public var cacheGeneration: Int { replicas.generation }

    /// Retires every cached render (`clear-cache`) on every replica; returns the new generation.
    @discardableResult
    public func clearCaches() async -> Int { await replicas.bumpGeneration() }

    /// Forgets every cached render and decoded frame of an instance (it was replaced), here, in Redis
    /// and on every other replica.
    public func invalidate(sopInstanceUID uid: String) async { await replicas.replaced(uid) }

    /// Stops the work pools and the Redis client now (for tools and tests that run no `ServiceGroup`).
    public func shutdown() async throws {
        await redis?.shutdown()
        try await pool.shutdown()
        try await filePool.shutdown()
    }

    /// What health checks and /metrics report.
    public var status: ArchiveStatus {
        ArchiveStatus(
            renderQueue: pool.load,
            renderThreads: pool.threads,
            rendersPerformed: rendering.rendersPerformed,
            renderedCache: caches.renders.statistics,
            renderedCacheEnabled: caches.renders.capacity > 0,
            decodedFrames: caches.decodedFrames.statistics,
            redis: redis.map { RedisStatus(state: $0.status, statistics: $0.statistics) }
        )
    }
}
