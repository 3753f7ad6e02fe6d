import Redis

/// The archive's use of Redis, typed: the only place its commands are spelled (the rate limiter's
/// script aside). Every call is best effort: Redis is an accelerator, so a miss, a timeout or an outage
/// answers nil or does nothing, and the request goes on without it.
struct SharedCache: Sendable {
    let client: RedisClient

    /// The value at `key`, or nil.
    func value(_ key: String) async -> [UInt8]? {
        guard case .string(let bytes)? = try? await client.command([Array("GET".utf8), Array(key.utf8)]) else { return nil }
        return bytes
    }

    /// Sets `key` to expire after `timeToLive`, without the caller waiting for it.
    func store(_ value: [UInt8], at key: String, timeToLive: Duration) {
        let (client, seconds) = (client, timeToLive.components.seconds)
        Task {
            _ = try? await client.command([Array("SET".utf8), Array(key.utf8), value, Array("EX".utf8), Array("\(seconds)".utf8)])
        }
    }

    /// INCR: the new value, or nil.
    func increment(_ key: String) async -> Int? {
        guard case .integer(let value)? = try? await client.command("INCR", key) else { return nil }
        return value
    }

    /// The integer at `key`, or nil.
    func integer(_ key: String) async -> Int? {
        guard let bytes = await value(key) else { return nil }
        return Int(String(decoding: bytes, as: UTF8.self))
    }

    /// Deletes every key matching `pattern`, a SCAN batch at a time (SCAN, not KEYS: it never blocks
    /// Redis for the whole keyspace).
    func deleteAll(matching pattern: String, batch: Int = 1000) async {
        var cursor = "0"
        repeat {
            guard case .array(let reply)? = try? await client.command("SCAN", cursor, "MATCH", pattern, "COUNT", "\(batch)"),
                reply.count == 2, case .string(let next) = reply[0], case .array(let keys) = reply[1]
            else { return }
            let names = keys.compactMap { if case .string(let key) = $0 { key } else { nil } }
            if !names.isEmpty { _ = try? await client.command([Array("DEL".utf8)] + names) }
            cursor = String(decoding: next, as: UTF8.self)
        } while cursor != "0"
    }

    /// Appends `field value` to a stream keeping about `maximumLength` entries.
    func append(to stream: String, field: String, value: String, maximumLength: Int) async {
        _ = try? await client.command("XADD", stream, "MAXLEN", "~", "\(maximumLength)", "*", field, value)
    }

    /// A stream entry: its ID and its first field's value.
    struct StreamEntry: Sendable, Equatable {
        var id: String
        var value: String?
    }

    /// Entries after `id`, oldest first, at most `count`; nil when Redis did not answer.
    func entries(of stream: String, after id: String, count: Int) async -> [StreamEntry]? {
        entries(try? await client.command("XRANGE", stream, "(" + id, "+", "COUNT", "\(count)"))
    }

    /// The newest entry (none when the stream is empty); nil when Redis did not answer.
    func newestEntry(of stream: String) async -> [StreamEntry]? {
        entries(try? await client.command("XREVRANGE", stream, "+", "-", "COUNT", "1"))
    }

    private func entries(_ reply: RedisReply?) -> [StreamEntry]? {
        guard case .array(let entries)? = reply else { return nil }
        return entries.compactMap { entry in
            guard case .array(let parts) = entry, parts.count == 2, case .string(let id) = parts[0], case .array(let fields) = parts[1]
            else { return nil }
            var value: String?
            if fields.count == 2, case .string(let bytes) = fields[1] { value = String(decoding: bytes, as: UTF8.self) }
            return StreamEntry(id: String(decoding: id, as: UTF8.self), value: value)
        }
    }
}
