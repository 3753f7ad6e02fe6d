import Synchronization

/// Collapses concurrent work for one key: while a computation for a key is running, later callers
/// await its result instead of starting their own (N concurrent misses render once).
public final class SingleFlight<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Flight {
        var task: Task<Value, any Error>
        /// Callers waiting for it besides the one that started it.
        var joined = 0
    }

    private let running = Mutex<[Key: Flight]>([:])

    public init() {}

    /// The result of `work` for `key`, and whether it was shared with a computation already running.
    public func run(_ key: Key, _ work: @escaping @Sendable () async throws -> Value) async throws -> (value: Value, shared: Bool) {
        let (task, shared) = running.withLock { running -> (Task<Value, any Error>, Bool) in
            if var flight = running[key] {
                flight.joined += 1
                running[key] = flight
                return (flight.task, true)
            }
            let task = Task { try await work() }
            running[key] = Flight(task: task)
            return (task, false)
        }
        if !shared {
            // Whatever the outcome, the next miss for this key starts afresh.
            defer { _ = running.withLock { $0.removeValue(forKey: key) } }
            return (try await task.value, false)
        }
        return (try await task.value, true)
    }

    /// How many callers have joined the computation running for `key` (0 when none runs): what a test
    /// waits on before letting the computation finish.
    public func joined(_ key: Key) -> Int {
        running.withLock { $0[key]?.joined ?? 0 }
    }
}
