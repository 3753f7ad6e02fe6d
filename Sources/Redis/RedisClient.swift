import NIOPosix
import ServiceLifecycle
import Synchronization

/// A pool of blocking hiredis connections whose calls run on the client's own threads (one per
/// connection), never on the caller's (NIO event loop) thread. Redis is an accelerator: when it is down, calls fail at once with
/// `.unavailable` during a backoff window (100 ms doubling to 5 s) instead of each waiting for a connect
/// timeout, and the first call after the window reconnects, so the service recovers without a restart.
/// Run as a service, it also probes Redis every second, so its status follows Redis with no traffic.
public final class RedisClient: Service, Sendable {
    public let endpoint: RedisEndpoint
    public let connectTimeout: Duration
    public let commandTimeout: Duration
    public let maximumConnections: Int
    /// How often the running service checks Redis on its own, so that the status (and health) follows
    /// Redis going away and coming back without waiting for traffic.
    public let probeInterval: Duration

    /// What the client knows of Redis now (for health and metrics).
    public enum Status: Sendable, Equatable {
        case up
        case down(reason: String)
    }

    /// Counters since creation.
    public struct Statistics: Sendable, Equatable {
        public var commands = 0
        public var errors = 0
        public var reconnects = 0
    }

    struct State {
        var idle: [RedisConnection] = []
        var status = Status.up
        var retryAt: ContinuousClock.Instant?
        var backoff = Duration.milliseconds(100)
        var statistics = Statistics()
    }

    private let state = Mutex(State())
    /// One thread per connection: a command never waits for a connection, only for a thread.
    private let threads: NIOThreadPool
    private let stopped = Atomic(false)

    public init(
        endpoint: RedisEndpoint,
        connectTimeout: Duration = .milliseconds(500),
        commandTimeout: Duration = .milliseconds(250),
        maximumConnections: Int = 8,
        probeInterval: Duration = .seconds(1)
    ) {
        self.endpoint = endpoint
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.maximumConnections = max(1, maximumConnections)
        self.probeInterval = probeInterval
        // One more thread than connections, so that the probe seldom waits behind commands.
        threads = NIOThreadPool(numberOfThreads: self.maximumConnections + 1)
        threads.start()
    }

    /// Probes Redis every `probeInterval` until the group's graceful shutdown, then closes the
    /// connections and stops the threads.
    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await self.threads.runIfActive { self.probe() }
                try? await Task.sleep(for: self.probeInterval)
            }
        }
        await shutdown()
    }

    /// Checks Redis now with a PING, past any backoff window (which exists to spare requests the
    /// connect timeout, not the probe): a failure marks the client down, a success up.
    func probe() {
        _ = try? blockingCommand([Array("PING".utf8)], ignoringBackoff: true)
    }

    /// Closes the idle connections and stops the threads once running commands are done (once).
    public func shutdown() async {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        try? await threads.shutdownGracefully()
        state.withLock { $0.idle.removeAll() }
    }

    public var status: Status { state.withLock { $0.status } }
    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// Runs one command off the calling thread.
    public func command(_ arguments: [[UInt8]]) async throws -> RedisReply {
        do {
            return try await threads.runIfActive { [self] in try self.blockingCommand(arguments) }
        } catch let error as RedisError {
            throw error
        } catch {
            throw RedisError.unavailable("the Redis client is shut down")
        }
    }

    public func command(_ arguments: String...) async throws -> RedisReply {
        try await command(arguments.map { Array($0.utf8) })
    }

    /// Checks a connection out (connecting if needed), runs the command, and returns it to the pool
    /// unless it broke.
    func blockingCommand(_ arguments: [[UInt8]], ignoringBackoff: Bool = false) throws(RedisError) -> RedisReply {
        let connection = try checkOut(ignoringBackoff: ignoringBackoff)
        do {
            let reply = try connection.command(arguments)
            state.withLock { state in
                state.statistics.commands += 1
                state.idle.append(connection)
            }
            return reply
        } catch {
            state.withLock { state in
                state.statistics.commands += 1
                state.statistics.errors += 1
                if case .server = error, !connection.isBroken {
                    state.idle.append(connection)  // an error reply leaves the connection usable
                } else {
                    markDown(&state, reason: error.description)
                }
            }
            throw error
        }
    }

    private func checkOut(ignoringBackoff: Bool) throws(RedisError) -> RedisConnection {
        let decision: Result<RedisConnection?, RedisError> = state.withLock { state in
            if let connection = state.idle.popLast() { return .success(connection) }
            if !ignoringBackoff, let retryAt = state.retryAt, ContinuousClock.now < retryAt, case .down(let reason) = state.status {
                state.statistics.errors += 1
                return .failure(.unavailable(reason))
            }
            return .success(nil)
        }
        switch decision {
        case .success(let connection?): return connection
        case .failure(let error): throw error
        case .success(nil):
            do {
                let connection = try RedisConnection(endpoint, connectTimeout: connectTimeout, commandTimeout: commandTimeout)
                state.withLock { state in
                    if case .down = state.status { state.statistics.reconnects += 1 }
                    state.status = .up
                    state.retryAt = nil
                    state.backoff = .milliseconds(100)
                }
                return connection
            } catch {
                state.withLock { state in
                    state.statistics.errors += 1
                    markDown(&state, reason: error.description)
                }
                throw error
            }
        }
    }

    private func markDown(_ state: inout State, reason: String) {
        // Idle connections were opened before the failure; they are probably dead too.
        state.idle.removeAll()
        state.status = .down(reason: reason)
        state.retryAt = ContinuousClock.now + state.backoff
        state.backoff = min(state.backoff * 2, .seconds(5))
    }
}
