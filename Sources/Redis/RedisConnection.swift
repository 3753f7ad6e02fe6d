import CHiredis
import Foundation

/// One reply of a Redis command.
public enum RedisReply: Sendable, Equatable {
    case string([UInt8])
    case status(String)
    case integer(Int)
    case array([RedisReply])
    case null
}

/// Why a Redis call failed.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No connection: Redis is down, unreachable, or the client is backing off before reconnecting.
    case unavailable(String)
    /// The connection failed or timed out during the command; it is discarded.
    case connection(String)
    /// Redis answered with an error reply (e.g. WRONGTYPE, NOAUTH).
    case server(String)

    public var description: String {
        switch self {
        case .unavailable(let reason): "redis unavailable: \(reason)"
        case .connection(let reason): "redis connection failed: \(reason)"
        case .server(let message): "redis error: \(message)"
        }
    }
}

/// A blocking hiredis connection. Used by one thread at a time: `RedisClient` checks it out of its
/// pool for each command, which is what makes the `@unchecked Sendable` true.
final class RedisConnection: @unchecked Sendable {
    private let context: UnsafeMutablePointer<redisContext>

    /// Connects, sets the command timeout, authenticates and selects the database.
    init(_ endpoint: RedisEndpoint, connectTimeout: Duration, commandTimeout: Duration) throws(RedisError) {
        let connectTime = Self.timeval(connectTimeout)
        let made: UnsafeMutablePointer<redisContext>? =
            switch endpoint.address {
            case .tcp(let host, let port): redisConnectWithTimeout(host, Int32(port), connectTime)
            case .unix(let path): redisConnectUnixWithTimeout(path, connectTime)
            }
        guard let made else { throw .unavailable("cannot allocate a connection") }
        guard made.pointee.err == 0 else {
            let reason = Self.message(made)
            redisFree(made)
            throw .unavailable("\(endpoint): \(reason)")
        }
        // From here on deinit owns the context: a throwing init of a fully initialised class runs it.
        context = made
        guard redisSetTimeout(context, Self.timeval(commandTimeout)) == REDIS_OK else {
            throw .unavailable("cannot set the command timeout")
        }
        if let password = endpoint.password { _ = try command(["AUTH", password]) }
        if endpoint.database != 0 { _ = try command(["SELECT", String(endpoint.database)]) }
    }

    deinit { redisFree(context) }

    /// Whether the connection broke; a broken connection is never reused.
    var isBroken: Bool { context.pointee.err != 0 }

    func command(_ arguments: [String]) throws(RedisError) -> RedisReply {
        try command(arguments.map { Array($0.utf8) })
    }

    /// Sends one command with binary-safe arguments and waits (at most the command timeout) for its reply.
    func command(_ arguments: [[UInt8]]) throws(RedisError) -> RedisReply {
        let lengths = arguments.map(\.count)
        let reply: UnsafeMutableRawPointer? = withPointers(arguments) { pointers in
            lengths.withUnsafeBufferPointer { lengths in
                redisCommandArgv(context, Int32(pointers.count), pointers.baseAddress, lengths.baseAddress)
            }
        }
        guard let reply else { throw .connection(Self.message(context)) }
        defer { freeReplyObject(reply) }
        return try Self.convert(reply.assumingMemoryBound(to: redisReply.self))
    }

    private func withPointers<Result>(
        _ arguments: [[UInt8]],
        _ body: (UnsafeMutableBufferPointer<UnsafePointer<CChar>?>) -> Result
    ) -> Result {
        // Each argument's bytes stay alive for the call: copies into one buffer, pointers into it.
        var storage = [CChar](repeating: 0, count: max(1, arguments.reduce(0) { $0 + $1.count }))
        var offsets: [Int] = []
        var position = 0
        for argument in arguments {
            offsets.append(position)
            for byte in argument {
                storage[position] = CChar(bitPattern: byte)
                position += 1
            }
        }
        return storage.withUnsafeBufferPointer { buffer in
            var pointers = offsets.map { UnsafePointer<CChar>?(buffer.baseAddress! + $0) }
            return pointers.withUnsafeMutableBufferPointer { body($0) }
        }
    }

    static func convert(_ reply: UnsafeMutablePointer<redisReply>) throws(RedisError) -> RedisReply {
        let value = reply.pointee
        func bytes() -> [UInt8] {
            guard let text = value.str else { return [] }
            return Array(UnsafeRawBufferPointer(start: text, count: value.len))
        }
        switch value.type {
        case REDIS_REPLY_STRING: return .string(bytes())
        case REDIS_REPLY_STATUS: return .status(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_INTEGER: return .integer(Int(value.integer))
        case REDIS_REPLY_NIL: return .null
        case REDIS_REPLY_ERROR: throw .server(String(decoding: bytes(), as: UTF8.self))
        case REDIS_REPLY_ARRAY:
            var items: [RedisReply] = []
            for index in 0..<value.elements {
                guard let element = value.element[index] else { continue }
                items.append(try convert(element))
            }
            return .array(items)
        default: throw .connection("unknown reply type \(value.type)")
        }
    }

    static func message(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    static func timeval(_ duration: Duration) -> Foundation.timeval {
        let (seconds, attoseconds) = duration.components
        return Foundation.timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
    }
}
