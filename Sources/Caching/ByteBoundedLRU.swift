import Synchronization

/// A cache's counters since creation.
public struct CacheStatistics: Sendable, Equatable {
    public var hits = 0
    public var misses = 0
    public var evictions = 0
    public var entries = 0
    public var bytes = 0
}

/// A least-recently-used cache bounded by the total cost (bytes) of its values, safe to share between
/// threads. Lookups and insertions are O(1); inserting evicts from the cold end until the total fits.
/// A value costing more than the whole budget is not cached at all.
public final class ByteBoundedLRU<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    public typealias Statistics = CacheStatistics

    /// A doubly linked list threaded through an array of slots: no per-entry allocation.
    struct Storage {
        struct Slot {
            var key: Key
            var value: Value
            var cost: Int
            var newer: Int?
            var older: Int?
        }
        var slots: [Slot?] = []
        var free: [Int] = []
        var index: [Key: Int] = [:]
        var newest: Int?
        var oldest: Int?
        var statistics = Statistics()

        mutating func unlink(_ slot: Int) {
            let (newer, older) = (slots[slot]!.newer, slots[slot]!.older)
            if let newer { slots[newer]!.older = older } else { newest = older }
            if let older { slots[older]!.newer = newer } else { oldest = newer }
        }

        mutating func pushNewest(_ slot: Int) {
            slots[slot]!.older = newest
            slots[slot]!.newer = nil
            if let newest { slots[newest]!.newer = slot }
            newest = slot
            if oldest == nil { oldest = slot }
        }

        mutating func remove(_ slot: Int) {
            unlink(slot)
            let removed = slots[slot]!
            index[removed.key] = nil
            slots[slot] = nil
            free.append(slot)
            statistics.entries -= 1
            statistics.bytes -= removed.cost
        }
    }

    public let capacity: Int
    private let storage = Mutex(Storage())

    /// `capacity` is the budget in cost units (bytes); 0 disables the cache.
    public init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    /// The value for `key`, marking it most recently used; counts a hit or a miss.
    public func value(for key: Key) -> Value? {
        storage.withLock { storage in
            guard let slot = storage.index[key] else {
                storage.statistics.misses += 1
                return nil
            }
            storage.statistics.hits += 1
            storage.unlink(slot)
            storage.pushNewest(slot)
            return storage.slots[slot]!.value
        }
    }

    /// Stores `value`, replacing any value for `key`, then evicts least recently used entries until the
    /// total cost fits the capacity.
    public func insert(_ value: Value, for key: Key, cost: Int) {
        storage.withLock { storage in
            if let existing = storage.index[key] { storage.remove(existing) }
            guard cost <= capacity else { return }
            while storage.statistics.bytes + cost > capacity, let oldest = storage.oldest {
                storage.remove(oldest)
                storage.statistics.evictions += 1
            }
            let slot = storage.free.popLast() ?? storage.slots.count
            let entry = Storage.Slot(key: key, value: value, cost: cost, newer: nil, older: nil)
            if slot == storage.slots.count { storage.slots.append(entry) } else { storage.slots[slot] = entry }
            storage.index[key] = slot
            storage.pushNewest(slot)
            storage.statistics.entries += 1
            storage.statistics.bytes += cost
        }
    }

    /// Removes the entries whose keys satisfy `predicate` (e.g. every render of a replaced instance).
    @discardableResult
    public func removeAll(where predicate: (Key) -> Bool) -> Int {
        storage.withLock { storage in
            let doomed = storage.index.filter { predicate($0.key) }.map(\.value)
            for slot in doomed { storage.remove(slot) }
            return doomed.count
        }
    }

    public var statistics: Statistics { storage.withLock { $0.statistics } }
}
