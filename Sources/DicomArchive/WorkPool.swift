import NIOCore
import NIOPosix
import ServiceLifecycle
import Synchronization

/// Runs blocking work on its own threads, never on NIO event loops: the archive has one sized to the
/// cores for decoding, rendering and encoding, and one for file and catalog calls. Admission is bounded:
/// when `queueLimit` jobs are already running or waiting, `run` refuses at once with
/// `ArchiveError.overloaded`, so overload becomes 503 + Retry-After instead of unbounded latency.
///
/// A `Service`: its threads start when it is made (a pool is usable by tools and tests that run no
/// `ServiceGroup`) and stop when the group shuts down, after the queued work is done.
public final class WorkPool: Service, Sendable {
    private let pool: NIOThreadPool
    private let admitted = Mutex(0)
    public let threads: Int
    public let queueLimit: Int

    public init(threads: Int = System.coreCount, queueLimit: Int? = nil) {
        self.threads = max(1, threads)
        self.queueLimit = queueLimit ?? self.threads * 16
        pool = NIOThreadPool(numberOfThreads: self.threads)
        pool.start()
    }

    /// Jobs running or waiting now.
    public var load: Int { admitted.withLock { $0 } }

    /// Runs `body` on a pool thread. Work whose task is cancelled while it waits (its request ended,
    /// the server is draining) is dropped before it starts, with `CancellationError`.
    public func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try Task.checkCancellation()
        let accepted = admitted.withLock { count in
            guard count < queueLimit else { return false }
            count += 1
            return true
        }
        guard accepted else { throw ArchiveError.overloaded(retryAfterSeconds: 1) }
        defer { admitted.withLock { $0 -= 1 } }
        let cancelled = Atomic(false)
        return try await withTaskCancellationHandler {
            try await pool.runIfActive {
                guard !cancelled.load(ordering: .relaxed) else { throw CancellationError() }
                return try body()
            }
        } onCancel: {
            cancelled.store(true, ordering: .relaxed)
        }
    }

    private let stopped = Atomic(false)

    /// Waits for the group's graceful shutdown, then stops the threads once their queued work is done.
    public func run() async throws {
        try? await gracefulShutdown()
        try await shutdown()
    }

    /// Stops the threads once their queued work is done (once; later calls do nothing).
    public func shutdown() async throws {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        try await pool.shutdownGracefully()
    }
}
