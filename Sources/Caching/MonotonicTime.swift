/// Milliseconds on a monotonic clock, counted from the first call in the process: for intervals and
/// rate arithmetic that must not jump with wall-clock changes.
public enum MonotonicTime {
    private static let origin = ContinuousClock.now

    public static func milliseconds() -> Int64 {
        let elapsed = origin.duration(to: .now).components
        return elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000
    }
}
