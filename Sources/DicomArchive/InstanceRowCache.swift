import Caching
import DicomStorage
import Synchronization

/// Instance rows by SOP Instance UID, each kept for `timeToLive`. Every request for an instance's
/// render, metadata or frames starts by finding its row, and the catalog is a thread hop and a query
/// away; a cached render should not wait for either. Replacements drop the row (`forget`), as they
/// drop the renders.
final class InstanceRowCache: Sendable {
    private let rows = Mutex<[String: Expiring<InstanceRow>]>([:])
    private let timeToLive: Duration
    private let capacity: Int

    init(timeToLive: Duration = .seconds(60), capacity: Int = 100_000) {
        self.timeToLive = timeToLive
        self.capacity = capacity
    }

    func row(_ uid: String) -> InstanceRow? {
        rows.withLock { rows in
            guard let entry = rows[uid] else { return nil }
            guard entry.isFresh() else {
                rows[uid] = nil
                return nil
            }
            return entry.value
        }
    }

    func keep(_ row: InstanceRow) {
        rows.withLock { rows in
            // Past the bound, start over: cheaper than tracking recency for rows that cost one query.
            if rows.count >= capacity { rows.removeAll(keepingCapacity: true) }
            rows[row.sopInstanceUID] = Expiring(row, timeToLive: timeToLive)
        }
    }

    func forget(_ uid: String) {
        _ = rows.withLock { $0.removeValue(forKey: uid) }
    }
}
