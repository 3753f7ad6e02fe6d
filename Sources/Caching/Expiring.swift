/// A cached value with the moment it stops being served (TTL), on a monotonic clock.
public struct Expiring<Value: Sendable>: Sendable {
    public var value: Value
    public var expires: ContinuousClock.Instant

    public init(_ value: Value, timeToLive: Duration, now: ContinuousClock.Instant = .now) {
        self.value = value
        self.expires = now + timeToLive
    }

    public func isFresh(at now: ContinuousClock.Instant = .now) -> Bool { now < expires }
}
