import Synchronization
import Testing

@testable import Caching
@testable import Redis

@Suite(.timeLimit(.minutes(10)))
struct ByteBoundedLRUTests {
    @Test func evictsTheLeastRecentlyUsedUntilTheBudgetFits() {
        let cache = ByteBoundedLRU<String, Int>(capacity: 100)
        cache.insert(1, for: "a", cost: 40)
        cache.insert(2, for: "b", cost: 40)
        #expect(cache.value(for: "a") == 1)  // a is now the most recent
        cache.insert(3, for: "c", cost: 40)  // 120 > 100: b, the least recent, goes
        #expect(cache.value(for: "b") == nil)
        #expect(cache.value(for: "a") == 1 && cache.value(for: "c") == 3)
        let statistics = cache.statistics
        #expect(statistics.entries == 2 && statistics.bytes == 80 && statistics.evictions == 1)
        #expect(statistics.hits == 3 && statistics.misses == 1)
    }

    @Test func replacingAKeyReplacesItsCostAndOversizedValuesAreNotKept() {
        let cache = ByteBoundedLRU<String, Int>(capacity: 100)
        cache.insert(1, for: "a", cost: 60)
        cache.insert(2, for: "a", cost: 30)
        #expect(cache.statistics.bytes == 30 && cache.value(for: "a") == 2)
        cache.insert(3, for: "huge", cost: 101)
        #expect(cache.value(for: "huge") == nil && cache.statistics.bytes == 30, "too big for the budget: not cached, nothing evicted")
        #expect(ByteBoundedLRU<String, Int>(capacity: 0).value(for: "a") == nil)
    }

    @Test func removesBySelectionAndReusesSlots() {
        let cache = ByteBoundedLRU<String, Int>(capacity: 1000)
        for index in 0..<10 { cache.insert(index, for: "k\(index)", cost: 10) }
        #expect(cache.removeAll { $0.hasSuffix("3") || $0.hasSuffix("7") } == 2)
        #expect(cache.value(for: "k3") == nil && cache.value(for: "k4") == 4)
        for index in 10..<20 { cache.insert(index, for: "k\(index)", cost: 10) }
        #expect(cache.statistics.entries == 18 && cache.statistics.bytes == 180)
        // Order survives removals in the middle: filling up evicts the oldest survivors first.
        cache.insert(99, for: "big", cost: 840)
        #expect(cache.value(for: "k0") == nil && cache.value(for: "k1") == nil && cache.value(for: "k19") == 19)
    }

    @Test func concurrentUseKeepsTheBudget() async {
        let cache = ByteBoundedLRU<Int, Int>(capacity: 5_000)
        await withTaskGroup(of: Void.self) { group in
            for worker in 0..<8 {
                group.addTask {
                    for index in 0..<2_000 {
                        cache.insert(index, for: (index * 7 + worker) % 900, cost: 10)
                        _ = cache.value(for: index % 900)
                    }
                }
            }
        }
        #expect(cache.statistics.bytes <= 5_000 && cache.statistics.bytes == cache.statistics.entries * 10)
    }
}

/// An atomic count that closures may share.
final class Counter: Sendable {
    let value = Atomic(0)
}

@Suite(.timeLimit(.minutes(10)))
struct SingleFlightTests {
    /// The computation is held until all 19 later callers have joined it (observed, not timed), so no
    /// caller can come too late and start a second one.
    @Test func concurrentCallersShareOneComputation() async throws {
        let flights = SingleFlight<String, Int>()
        let runs = Counter()
        let (gate, opener) = AsyncStream.makeStream(of: Void.self)  // one reader: the one computation
        let results = try await withThrowingTaskGroup(of: (Int, Bool).self) { group in
            for _ in 0..<20 {
                group.addTask {
                    try await flights.run("key") {
                        runs.value.add(1, ordering: .relaxed)
                        for await _ in gate {}
                        return 42
                    }
                }
            }
            let deadline = ContinuousClock.now + .seconds(30)
            while flights.joined("key") < 19, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
            #expect(flights.joined("key") == 19, "every later caller joined the running computation")
            opener.finish()
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(runs.value.load(ordering: .relaxed) == 1)
        #expect(results.count == 20 && results.allSatisfy { $0.0 == 42 } && results.filter { !$0.1 }.count == 1)
        // Finished flights are forgotten: the next call runs again.
        #expect(flights.joined("key") == 0)
        _ = try await flights.run("key") {
            runs.value.add(1, ordering: .relaxed)
            return 1
        }
        #expect(runs.value.load(ordering: .relaxed) == 2)
    }

    @Test func failuresReachEveryWaiterAndAreNotKept() async throws {
        struct Boom: Error {}
        let flights = SingleFlight<String, Int>()
        await #expect(throws: Boom.self) { try await flights.run("k") { throw Boom() } }
        #expect(try await flights.run("k") { 7 }.value == 7)
    }
}
