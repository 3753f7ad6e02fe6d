import Foundation

/// Times a closure: warm-up, then repeated runs until both a minimum count and a minimum duration
/// are reached. Reports the median and the 90th percentile: medians resist the noise of a shared machine.
struct Measurement {
    var name: String
    var samples: [Duration]
    var bytes: Int?
    var pixels: Int?

    var median: Duration { samples.sorted()[samples.count / 2] }
    var p90: Duration { samples.sorted()[min(samples.count - 1, samples.count * 9 / 10)] }

    static func microseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e6 + Double(duration.components.attoseconds) / 1e12
    }

    var medianMicroseconds: Double { Self.microseconds(median) }

    static func run(
        _ name: String,
        minimumRuns: Int = 20,
        minimumTime: Duration = .milliseconds(400),
        bytes: Int? = nil,
        pixels: Int? = nil,
        _ body: () throws -> Void
    ) rethrows -> Measurement {
        let clock = ContinuousClock()
        for _ in 0..<3 { try body() }
        var samples: [Duration] = []
        let start = clock.now
        while samples.count < minimumRuns || clock.now - start < minimumTime {
            let began = clock.now
            try body()
            samples.append(clock.now - began)
            if samples.count >= 5000 { break }
        }
        return Measurement(name: name, samples: samples, bytes: bytes, pixels: pixels)
    }
}

/// Keeps the optimiser from discarding results.
@inline(never)
func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }
