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

    public func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        let accepted = admitted.withLock { count in
            guard count < queueLimit else { return false }
            count += 1
            return true
        }
        guard accepted else { throw RenderServiceError.overloaded(retryAfterSeconds: 1) }
        defer { admitted.withLock { $0 -= 1 } }
        return try await pool.runIfActive(body)
    }

    public func shutdown() async throws {
        try await pool.shutdownGracefully()
    }
}
