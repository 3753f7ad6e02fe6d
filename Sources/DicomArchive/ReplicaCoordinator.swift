import Caching
import Foundation
import Synchronization

/// What replicas sharing one Redis tell each other: the cache generation (`clear-cache`) and the
/// instances replaced since. Each replica reads both at most once a second, on the request path, so an
/// idle replica costs Redis nothing. Without Redis it keeps the generation for this process alone.
final class ReplicaCoordinator: Sendable {
    private let caches: LocalCaches
    private let shared: SharedCache?
    private let generationValue = Atomic(0)
    /// When the generation was last read from Redis (milliseconds on the monotonic clock).
    private let generationCheckedAt = Atomic(Int64(-1_000_000))
    /// The last replacement other replicas announced that this one has applied (a Redis stream ID).
    private let lastReplacementSeen = Mutex<String?>(nil)

    init(caches: LocalCaches, shared: SharedCache?) {
        self.caches = caches
        self.shared = shared
    }

    /// The cache generation: part of every cache key, so bumping it retires every cached render at once.
    var generation: Int { generationValue.load(ordering: .relaxed) }

    /// Retires every cached render on every replica: the generation lives in Redis when there is one
    /// (INCR is atomic), so old keys are never read again and age out by TTL. Returns the new
    /// generation. Decoded frames stay: they depend only on the stored object, which replacement
    /// invalidates.
    func bumpGeneration() async -> Int {
        if let shared, let value = await shared.increment(CacheKeys.generation) {
            adoptGeneration(max(value, generation + 1))
            return generation
        }
        let next = generationValue.add(1, ordering: .relaxed).newValue
        caches.forgetRenders { $0.generation < next }
        return next
    }

    /// Adopts the generation other replicas may have moved (clear-cache) and drops what they replaced,
    /// at most once a second.
    func refreshIfDue() async {
        guard let shared else { return }
        let milliseconds = MonotonicTime.milliseconds()
        let last = generationCheckedAt.load(ordering: .relaxed)
        guard milliseconds - last >= 1000,
            generationCheckedAt.compareExchange(expected: last, desired: milliseconds, ordering: .relaxed).exchanged
        else { return }
        if let value = await shared.integer(CacheKeys.generation) { adoptGeneration(value) }
        await applyAnnouncedReplacements(shared)
    }

    /// Forgets an instance here and tells the other replicas, whose Redis copies go too.
    func replaced(_ uid: String) async {
        caches.forget(instance: uid)
        guard let shared else { return }
        // The newest 10,000 announcements are kept: a replica further behind has restarted meanwhile.
        await shared.append(to: CacheKeys.replacements, field: "sop", value: uid, maximumLength: 10_000)
        await shared.deleteAll(matching: CacheKeys.renderPattern(sopInstanceUID: uid))
        await shared.deleteAll(matching: CacheKeys.transcodedPattern(sopInstanceUID: uid))
    }

    /// Forgets the renders of instances other replicas replaced since the last look. The first look only
    /// notes where the stream ends: this replica's caches were empty before it started.
    private func applyAnnouncedReplacements(_ shared: SharedCache) async {
        let last = lastReplacementSeen.withLock { $0 }
        let entries =
            if let last { await shared.entries(of: CacheKeys.replacements, after: last, count: 10_000) } else {
                await shared.newestEntry(of: CacheKeys.replacements)
            }
        guard let entries else { return }
        var newest = last
        for entry in entries {
            newest = entry.id
            if last != nil, let uid = entry.value { caches.forget(instance: uid) }
        }
        lastReplacementSeen.withLock { $0 = newest ?? "0-0" }
    }

    /// Moves to `value`, dropping in-process renders of any other generation.
    private func adoptGeneration(_ value: Int) {
        let previous = generationValue.exchange(value, ordering: .relaxed)
        if previous != value { caches.forgetRenders { $0.generation != value } }
    }
}
