import Caching

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

/// Built documents (series metadata) by key: from L1, else Redis, else built once for any number of
/// concurrent misses, then kept in both for the metadata TTL.
public final class MetadataDocuments: Sendable {
    private let caches: LocalCaches
    private let shared: SharedCache?
    private let timeToLive: Duration
    private let flights = SingleFlight<String, (CachedDocument, CacheOutcome)>()
    private let metrics = ServiceMetrics()

    init(caches: LocalCaches, shared: SharedCache?, timeToLive: Duration) {
        self.caches = caches
        self.shared = shared
        self.timeToLive = timeToLive
    }

    public func document(
        _ key: DocumentKey,
        build: @escaping @Sendable () async throws -> CachedDocument
    ) async throws -> (document: CachedDocument, cache: CacheOutcome) {
        let key = key.key
        if let cached = caches.documents.value(for: key), cached.isFresh() {
            metrics.cacheLookup(layer: "l1", hit: true)
            return (cached.value, .l1)
        }
        metrics.cacheLookup(layer: "l1", hit: false)
        let (result, _) = try await flights.run(key) { [self] in
            if let shared {
                if let blob = await shared.value(key), let found = CachedDocument(cacheBlob: blob) {
                    metrics.cacheLookup(layer: "redis", hit: true)
                    keep(found, key: key)
                    return (found, .redis)
                }
                metrics.cacheLookup(layer: "redis", hit: false)
            }
            let built = try await build()
            keep(built, key: key)
            shared?.store(built.cacheBlob, at: key, timeToLive: timeToLive)
            return (built, .miss)
        }
        return result
    }

    private func keep(_ document: CachedDocument, key: String) {
        caches.documents.insert(Expiring(document, timeToLive: timeToLive), for: key, cost: document.cost + key.utf8.count)
    }
}
