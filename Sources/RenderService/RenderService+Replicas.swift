import Foundation
import RenderCache
import Synchronization

/// What replicas sharing one Redis tell each other: the cache generation (`clear-cache`) and the
/// instances replaced since. Each replica reads both at most once a second, on the request path, so an
/// idle replica costs Redis nothing.
extension RenderService {
    static let generationKey = "dicomserve:generation"
    static let replacementsKey = "dicomserve:replaced"

    /// Adopts the generation other replicas may have moved (clear-cache), at most once a second.
    func refreshGenerationIfDue() async {
        guard let redis else { return }
        let milliseconds = MonotonicTime.milliseconds()
        let last = generationCheckedAt.load(ordering: .relaxed)
        guard milliseconds - last >= 1000,
            generationCheckedAt.compareExchange(expected: last, desired: milliseconds, ordering: .relaxed).exchanged
        else { return }
        if case .string(let bytes)? = try? await redis.command("GET", Self.generationKey), let value = Int(String(decoding: bytes, as: UTF8.self)) {
            adoptGeneration(value)
        }
        await applyAnnouncedReplacements(redis)
    }

    /// Appends a replaced instance to the announcement stream (the newest 10,000 are kept).
    func announceReplacement(_ uid: String, through redis: RedisClient) async {
        _ = try? await redis.command("XADD", Self.replacementsKey, "MAXLEN", "~", "10000", "*", "sop", uid)
    }

    /// Forgets the renders of instances other replicas replaced since the last look. The first look only
    /// notes where the stream ends: this replica's caches were empty before it started.
    func applyAnnouncedReplacements(_ redis: RedisClient) async {
        let last = lastReplacementSeen.withLock { $0 }
        let reply =
            if let last { try? await redis.command("XRANGE", Self.replacementsKey, "(" + last, "+", "COUNT", "10000") } else {
                try? await redis.command("XREVRANGE", Self.replacementsKey, "+", "-", "COUNT", "1")
            }
        guard case .array(let entries)? = reply else { return }
        var newest = last
        for entry in entries {
            guard case .array(let parts) = entry, parts.count == 2, case .string(let id) = parts[0], case .array(let fields) = parts[1]
            else { continue }
            newest = String(decoding: id, as: UTF8.self)
            if last != nil, fields.count == 2, case .string(let uid) = fields[1] { forgetLocally(String(decoding: uid, as: UTF8.self)) }
        }
        lastReplacementSeen.withLock { $0 = newest ?? "0-0" }
    }

    /// Moves to `value`, dropping in-process renders of any other generation.
    func adoptGeneration(_ value: Int) {
        let previous = generation.exchange(value, ordering: .relaxed)
        if previous != value { forgetRenders { $0.generation != value } }
    }
}
