import NIOCore
import NIOPosix
import Synchronization

/// Runs blocking work (DCMTK decoding, PNG/JPEG encoding) on its own threads, sized to the cores, never
/// on NIO event loops. Admission is bounded: when `queueLimit` jobs are already running or waiting,
/// `run` refuses at once with `RenderServiceError.overloaded`, so overload becomes 503 + Retry-After
/// instead of unbounded latency.
public final class RenderPool: Sendable {
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
        guard accepted else { throw RenderServiceError.overloaded(retryAfterSeconds: 1) }
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

    public func shutdown() async throws {
        try await pool.shutdownGracefully()
    }
}
