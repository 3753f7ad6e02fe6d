import DicomCatalog
import DicomCodec
import DicomImaging
import DicomWeb
import Foundation
import RenderCache
import Synchronization

/// A rendered image and what it was rendered with.
public struct RenderedImageResult: Sendable {
    public var bytes: [UInt8]
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    /// The explicit window applied, when there was one (preset or caller's).
    public var window: Window?
    public var frame: Int
    /// Where the bytes came from: `X-Cache` and `cached` say it.
    public var cache: CacheOutcome = .miss
    /// The strong ETag of these bytes (from the cache key).
    public var entityTag: String = ""
    /// The cache key these bytes were rendered (or found) under.
    public var key: RenderKey?
}

/// Which layer answered a render.
public enum CacheOutcome: String, Sendable {
    /// The in-process cache of encoded renders.
    case l1
    /// Redis, shared by every replica (L2).
    case redis
    /// Rendered for this request (or for a concurrent identical one: single-flight).
    case miss
}

/// Sizes and lifetimes of the in-process caches.
public struct CacheConfiguration: Sendable {
    /// Budget of encoded renders, in bytes (0 disables).
    public var renderedBytes: Int
    /// Budget of decoded frames kept for re-windowing, in bytes (0 disables).
    public var decodedFrameBytes: Int
    public var renderedTimeToLive: Duration
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

    /// How long built metadata documents are served (DESIGN.md: 7200 s).
    public var metadataTimeToLive: Duration = .seconds(7200)
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

/// What to render: VOI, frame, size and encoding.
public struct RenderOptions: Sendable, Equatable {
    public var voi: VOIRequest
    public var frame: Int
    public var viewport: Viewport?
    public var format: ImageFormat
    public var quality: Int

    public init(voi: VOIRequest = .automatic, frame: Int = 1, viewport: Viewport? = nil, format: ImageFormat = .png, quality: Int = 90) {
        self.voi = voi
        self.frame = frame
        self.viewport = viewport
        self.format = format
        self.quality = quality
    }
}

/// Finds instances in the catalog and renders them on the render pool. No HTTP types here.
public final class RenderService: Sendable {
    public let catalog: Catalog
    public let store: ObjectStore
    public let presets: PresetLibrary
    /// Decoding, rendering and encoding: CPU-bound, sized to the cores.
    public let pool: RenderPool
    /// Blocking file reads and ingest writes, kept off both the event loops and the render threads.
    public let filePool: RenderPool
    public let thumbnailViewport: Viewport
    public let limits: DecodingLimits
    /// Where uploads are parsed: a `ParseWorkerPool` in the server, in process by default.
    public let reader: any InstanceReader
    public let retrieveLimits: RetrieveLimits
    public let cacheConfiguration: CacheConfiguration
    let encoder = ImageEncoder()
    let renderer = InstanceRenderer()
    let generation = Atomic(0)
    /// Encoded renders by key (L1).
    public let renderedCache: ByteBoundedLRU<RenderKey, Expiring<RenderedImageResult>>
    /// The base64 text of renders the JSON API sent as data URLs, beside the renders and dropped with
    /// them, so that a cached image is not encoded again on every request.
    let base64Cache: ByteBoundedLRU<RenderKey, Expiring<[UInt8]>>
    /// Decoded frames with their dataset, so a new window on the same slice skips decoding.
    public let decodedFrames: ByteBoundedLRU<FrameKey, DecodedFrame>
    /// Built series-level answers (WADO-RS series metadata), plain and gzip-compressed, keyed by what
    /// they were built from.
    public let documentCache = ByteBoundedLRU<String, Expiring<CachedDocument>>(capacity: 64 << 20)
    private let flights = SingleFlight<RenderKey, RenderedImageResult>()
    private let documentFlights = SingleFlight<String, (CachedDocument, CacheOutcome)>()
    let metrics = ServiceMetrics()
    let instanceRows = InstanceRowCache()
    private let renderCount = Atomic(0)
    /// Bumped by every replacement this replica learns of; a render or decode that sees it change while
    /// it runs does not cache what it made (it may be of the object that was replaced).
    let replacements = Atomic(0)
    /// The shared cache (L2), when configured.
    public let redis: RedisClient?
    /// When the generation was last read from Redis (milliseconds on the monotonic clock).
    let generationCheckedAt = Atomic(Int64(-1_000_000))
    /// The last replacement other replicas announced that this one has applied (a Redis stream ID).
    let lastReplacementSeen = Mutex<String?>(nil)

    public init(
        catalog: Catalog,
        store: ObjectStore,
        presets: PresetLibrary,
        pool: RenderPool,
        filePool: RenderPool = RenderPool(threads: 4, queueLimit: 1024),
        thumbnailViewport: Viewport = Viewport(width: 256, height: 256),
        limits: DecodingLimits = .default,
        reader: (any InstanceReader)? = nil,
        retrieveLimits: RetrieveLimits = RetrieveLimits(),
        cache: CacheConfiguration = CacheConfiguration()
    ) {
        self.reader = reader ?? InProcessInstanceReader(limits: limits)
        self.retrieveLimits = retrieveLimits
        self.cacheConfiguration = cache
        redis = cache.redis.map {
            RedisClient(endpoint: $0, connectTimeout: cache.redisTimeout * 2, commandTimeout: cache.redisTimeout)
        }
        renderedCache = ByteBoundedLRU(capacity: cache.renderedBytes)
        base64Cache = ByteBoundedLRU(capacity: cache.renderedBytes / 4)
        decodedFrames = ByteBoundedLRU(capacity: cache.decodedFrameBytes)
        self.catalog = catalog
        self.store = store
        self.presets = presets
        self.pool = pool
        self.filePool = filePool
        self.thumbnailViewport = thumbnailViewport
        self.limits = limits
    }

    /// The cache generation: part of every cache key, so bumping it retires every cached render at once.
    public var cacheGeneration: Int { generation.load(ordering: .relaxed) }

    /// Retires every cached render (`clear-cache`) on every replica: the generation is part of each key
    /// and lives in Redis when there is one (INCR is atomic), so old keys are never read again and age
    /// out by TTL. Returns the new generation. Decoded frames stay: they depend only on the stored
    /// object, which replacement invalidates.
    @discardableResult
    public func bumpCacheGeneration() async -> Int {
        if let redis, case .integer(let shared)? = try? await redis.command("INCR", Self.generationKey) {
            adoptGeneration(max(shared, cacheGeneration + 1))
            return cacheGeneration
        }
        let next = generation.add(1, ordering: .relaxed).newValue
        forgetRenders { $0.generation < next }
        return next
    }

    /// Stops the worker threads once their queued work is done.
    public func shutdown() async throws {
        try await pool.shutdown()
        try await filePool.shutdown()
    }

    /// Runs catalog queries (blocking SQLite calls) on the file pool, never on an event loop.
    public func query<Result: Sendable>(_ body: @escaping @Sendable (Catalog) throws -> Result) async throws -> Result {
        let catalog = self.catalog
        return try await filePool.run { try body(catalog) }
    }

    /// The catalog row of an instance, or `.notFound`.
    public func instance(_ uid: String) async throws -> InstanceRow {
        if let row = instanceRows.row(uid) { return row }
        let row = try await query { catalog in try Self.instance(uid, in: catalog) }
        instanceRows.keep(row)
        return row
    }

    static func instance(_ uid: String, in catalog: Catalog) throws -> InstanceRow {
        guard let row = try catalog.instance(uid) else { throw RenderServiceError.notFound(kind: "instance", uid: uid) }
        return row
    }

    /// Frames actually rendered (not answered from a cache or shared with a concurrent render).
    public var rendersPerformed: Int { renderCount.load(ordering: .relaxed) }

    /// The cache key of a render of the stored object `uid` in its version `version`
    /// (`InstanceRow.contentVersion`): a replaced object gets new keys, so new ETags, and an old render can
    /// never be served as the current one, by us, nginx or a browser.
    public func key(instance uid: String, version: String, options: RenderOptions) -> RenderKey {
        var parameters: [String] = []
        switch options.voi {
        case .automatic: parameters.append("voi=auto")
        case .minMax: parameters.append("voi=minmax")
        case .window(let window): parameters.append("w=\(window.center),\(window.width),\(window.function.rawValue)")
        }
        parameters.append(options.viewport.map { "vp=\($0.width)x\($0.height)\($0.allowsUpscaling ? "+" : "")" } ?? "vp=full")
        parameters.append(options.format == .png ? "png" : "jpeg,q=\(options.quality)")
        parameters.append("v=\(version)")
        return RenderKey(
            generation: cacheGeneration,
            kind: "rendered",
            sopInstanceUID: uid,
            frame: options.frame,
            parameters: parameters.joined(separator: ";")
        )
    }

    /// Renders one frame of a catalogued instance, from the cache when it can. On a miss, lookup,
    /// decoding and encoding run on the render pool, once for any number of concurrent identical requests.
    public func render(instance uid: String, options: RenderOptions) async throws -> RenderedImageResult {
        guard (1...100).contains(options.quality) else {
            throw RenderServiceError.invalidParameter(name: "quality", reason: "must be 1–100")
        }
        if case .window(let window) = options.voi, !window.isValid {
            throw RenderServiceError.invalidParameter(name: "window", reason: "width must be ≥ 1 (LINEAR) or > 0")
        }
        await refreshGenerationIfDue()
        let row = try await instance(uid)
        let key = key(instance: uid, version: row.contentVersion, options: options)
        if let cached = renderedCache.value(for: key), cached.isFresh() {
            metrics.cacheLookup(layer: "l1", hit: true)
            var result = cached.value
            result.cache = .l1
            result.key = key
            return result
        }
        metrics.cacheLookup(layer: "l1", hit: false)
        let (result, shared) = try await flights.run(key) { [self] in
            if let shared = await sharedRender(key) {
                keepInProcess(shared, key: key)
                return shared
            }
            let replacementsBefore = replacements.load(ordering: .acquiring)
            var result = try await pool.run { try self.renderNow(row, options: options) }
            result.entityTag = key.entityTag
            result.key = key
            // Replaced while it was rendering: the bytes may be of either version, so they are answered
            // (this request asked before the replacement) but never kept.
            guard replacements.load(ordering: .acquiring) == replacementsBefore else { return result }
            keepInProcess(result, key: key)
            if let redis {
                // Fire and forget: the answer does not wait for the shared cache.
                let (blob, seconds) = (result.cacheBlob, cacheConfiguration.renderedTimeToLive.components.seconds)
                Task {
                    _ = try? await redis.command([Array("SET".utf8), Array(key.description.utf8), blob, Array("EX".utf8), Array("\(seconds)".utf8)])
                }
            }
            return result
        }
        if shared { metrics.sharedRenders.increment() }
        return result
    }

    /// Drops in-process renders, and their base64 text with them, whose keys match.
    func forgetRenders(where matches: (RenderKey) -> Bool) {
        renderedCache.removeAll(where: matches)
        base64Cache.removeAll(where: matches)
    }

    /// The base64 text of a render of `uid` with `options` (as `render` returned it), from the cache when
    /// this render was encoded before.
    public func base64(of result: RenderedImageResult) -> [UInt8] {
        guard let key = result.key else { return ImageEncoder.base64Bytes(result.bytes) }
        if let cached = base64Cache.value(for: key), cached.isFresh() { return cached.value }
        let encoded = ImageEncoder.base64Bytes(result.bytes)
        base64Cache.insert(Expiring(encoded, timeToLive: cacheConfiguration.renderedTimeToLive), for: key, cost: encoded.count)
        return encoded
    }

    private func keepInProcess(_ result: RenderedImageResult, key: RenderKey) {
        renderedCache.insert(
            Expiring(result, timeToLive: cacheConfiguration.renderedTimeToLive),
            for: key,
            cost: result.bytes.count + key.description.utf8.count + 64
        )
    }

    /// The render from Redis, or nil (a miss, Redis down or slow: never an error for the request).
    private func sharedRender(_ key: RenderKey) async -> RenderedImageResult? {
        guard let redis else { return nil }
        guard case .string(let blob)? = try? await redis.command([Array("GET".utf8), Array(key.description.utf8)]),
            var result = RenderedImageResult(cacheBlob: blob)
        else {
            metrics.cacheLookup(layer: "redis", hit: false)
            return nil
        }
        metrics.cacheLookup(layer: "redis", hit: true)
        result.cache = .redis
        result.entityTag = key.entityTag
        result.key = key
        return result
    }

    /// Decodes (or takes the cached decoded frame), renders and encodes. Runs on a render thread.
    private func renderNow(_ row: InstanceRow, options: RenderOptions) throws -> RenderedImageResult {
        guard options.frame >= 1 && options.frame <= row.numberOfFrames else {
            throw RenderServiceError.invalidParameter(name: "frame", reason: "must be 1…\(row.numberOfFrames) for this instance")
        }
        let result: RenderedImageResult
        do {
            result = try renderDecoded(row, options: options)
        } catch {
            // Parameters were checked above, so anything left is about the stored object.
            throw error.kind == .invalidRenderParameters
                ? RenderServiceError.invalidParameter(name: "render", reason: error.message) : RenderServiceError.unrenderable(error)
        }
        renderCount.add(1, ordering: .relaxed)
        metrics.renders.increment()
        return result
    }

    private func renderDecoded(_ row: InstanceRow, options: RenderOptions) throws(DicomError) -> RenderedImageResult {
        let decoded = try metrics.time("decode", format: options.format.rawValue) { () throws(DicomError) in
            try decodedFrame(row, frame: options.frame)
        }
        var image = try metrics.time("voi", format: options.format.rawValue) { () throws(DicomError) in
            try renderer.render(decoded.pixels, dataSet: decoded.dataSet, frame: options.frame, request: RenderRequest(voi: options.voi))
        }
        if let viewport = options.viewport {
            image = metrics.time("resize", format: options.format.rawValue) { AreaAverageResizer.resize(image, to: viewport) }
        }
        let bytes = try metrics.time("encode", format: options.format.rawValue) { () throws(DicomError) in
            try encoder.encode(image, as: options.format, jpeg: JPEGOptions(quality: options.quality))
        }
        var window: Window? = nil
        if case .window(let applied) = options.voi { window = applied }
        return RenderedImageResult(
            bytes: bytes,
            format: options.format,
            width: image.width,
            height: image.height,
            window: window,
            frame: options.frame
        )
    }

    /// A decoded frame and its dataset, from the decoded-frame cache or the file.
    func decodedFrame(_ row: InstanceRow, frame: Int) throws(DicomError) -> DecodedFrame {
        let key = FrameKey(sopInstanceUID: row.sopInstanceUID, version: row.contentVersion, frame: frame)
        if let cached = decodedFrames.value(for: key) { return cached }
        let replacementsBefore = replacements.load(ordering: .acquiring)
        let file = try DicomFile(path: row.filePath, limits: limits)
        let decoded = DecodedFrame(pixels: try file.decodeFrame(frame), dataSet: try file.dataSet(bulkThreshold: 1 << 20))
        // The cost is what the entry holds: the frame's buffer (its capacity, not its count) and every
        // value the dataset keeps (up to 1 MiB each), not a flat guess.
        let cost = decoded.pixels.bytes.capacity + decoded.dataSet.approximateByteCount + 1024
        if replacements.load(ordering: .acquiring) == replacementsBefore { decodedFrames.insert(decoded, for: key, cost: cost) }
        return decoded
    }

    /// A built document (e.g. series metadata) by key: from L1, else Redis, else `build` (once for any
    /// number of concurrent misses), then kept in both for the metadata TTL.
    public func document(
        key: String,
        build: @escaping @Sendable () async throws -> CachedDocument
    ) async throws -> (document: CachedDocument, cache: CacheOutcome) {
        if let cached = documentCache.value(for: key), cached.isFresh() {
            metrics.cacheLookup(layer: "l1", hit: true)
            return (cached.value, .l1)
        }
        metrics.cacheLookup(layer: "l1", hit: false)
        let (result, _) = try await documentFlights.run(key) { [self] in
            let ttl = cacheConfiguration.metadataTimeToLive
            if let redis {
                if case .string(let blob)? = try? await redis.command([Array("GET".utf8), Array(key.utf8)]),
                    let shared = CachedDocument(cacheBlob: blob)
                {
                    metrics.cacheLookup(layer: "redis", hit: true)
                    documentCache.insert(Expiring(shared, timeToLive: ttl), for: key, cost: shared.cost + key.utf8.count)
                    return (shared, .redis)
                }
                metrics.cacheLookup(layer: "redis", hit: false)
            }
            let built = try await build()
            documentCache.insert(Expiring(built, timeToLive: ttl), for: key, cost: built.cost + key.utf8.count)
            if let redis {
                let (blob, seconds) = (built.cacheBlob, ttl.components.seconds)
                Task { _ = try? await redis.command([Array("SET".utf8), Array(key.utf8), blob, Array("EX".utf8), Array("\(seconds)".utf8)]) }
            }
            return (built, .miss)
        }
        return result
    }

    /// Forgets every cached render and decoded frame of an instance (it was replaced): here, in Redis,
    /// and (through the announcement replicas read each second) in every other replica.
    public func invalidate(sopInstanceUID uid: String) async {
        forgetLocally(uid)
        guard let redis else { return }
        await announceReplacement(uid, through: redis)
        // SCAN, not KEYS: replacement is rare, and SCAN never blocks Redis for the whole keyspace.
        var cursor = "0"
        repeat {
            guard case .array(let reply)? = try? await redis.command("SCAN", cursor, "MATCH", "dicomserve:*:rendered:\(uid):*", "COUNT", "1000"),
                reply.count == 2, case .string(let next) = reply[0], case .array(let keys) = reply[1]
            else { return }
            let names = keys.compactMap { if case .string(let key) = $0 { key } else { nil } }
            if !names.isEmpty { _ = try? await redis.command([Array("DEL".utf8)] + names) }
            cursor = String(decoding: next, as: UTF8.self)
        } while cursor != "0"
    }

    func forgetLocally(_ uid: String) {
        replacements.add(1, ordering: .releasing)
        instanceRows.forget(uid)
        forgetRenders { $0.sopInstanceUID == uid }
        decodedFrames.removeAll { $0.sopInstanceUID == uid }
    }

    /// Resolves a preset name to its VOI, or `.invalidParameter` naming the known ones.
    public func voi(forPreset name: String) throws -> (Preset, VOIRequest) {
        guard let preset = presets.preset(named: name) else {
            throw RenderServiceError.invalidParameter(
                name: "preset",
                reason: "unknown preset \"\(name)\"; known: \(presets.presets.map(\.id).joined(separator: ", "))"
            )
        }
        return (preset, preset.voiRequest)
    }
}

/// A decoded frame's cache key.
public struct FrameKey: Hashable, Sendable {
    public var sopInstanceUID: String
    /// `InstanceRow.contentVersion` of the object decoded.
    public var version: String
    public var frame: Int
}

/// A decoded frame with the dataset its rendering needs.
public struct DecodedFrame: Sendable {
    public var pixels: PixelFrame
    public var dataSet: DicomDataSet
}

/// A built response body kept with its gzip form (what most clients accept).
public struct CachedDocument: Sendable {
    public var plain: [UInt8]
    public var gzip: [UInt8]
    public var contentType: String

    public init(plain: [UInt8], gzip: [UInt8], contentType: String) {
        self.plain = plain
        self.gzip = gzip
        self.contentType = contentType
    }

    var cost: Int { plain.count + gzip.count + 64 }
}
