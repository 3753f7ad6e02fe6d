import CoreMetrics
import Foundation

/// The service's measurements through swift-metrics (the executable bootstraps the Prometheus backend):
/// render stage durations, renders performed and shared, cache lookups per layer, ingest outcomes.
/// Without a bootstrapped backend these are no-ops.
struct ServiceMetrics: Sendable {
    let renders = CoreMetrics.Counter(label: "dicomserve_renders_total")
    let sharedRenders = CoreMetrics.Counter(label: "dicomserve_renders_shared_total")
    /// One timer per stage and output format (PNG and JPEG encodes differ tenfold).
    let stages: [String: CoreMetrics.Timer] = Dictionary(
        uniqueKeysWithValues: ["decode", "present", "encode"].flatMap { stage in
            ["png", "jpeg"].map { format in
                (
                    "\(stage)/\(format)",
                    CoreMetrics.Timer(
                        label: "dicomserve_render_stage_seconds",
                        dimensions: [("stage", stage), ("format", format)],
                        preferredDisplayUnit: .seconds
                    )
                )
            }
        }
    )

    func cacheLookup(layer: String, hit: Bool) {
        CoreMetrics.Counter(label: hit ? "dicomserve_cache_hits_total" : "dicomserve_cache_misses_total", dimensions: [("layer", layer)])
            .increment()
    }

    func ingest(_ outcome: String) {
        CoreMetrics.Counter(label: "dicomserve_ingest_total", dimensions: [("outcome", outcome)]).increment()
    }

    /// Runs `body`, recording its duration as `stage` of a render to `format` (`png` or `jpeg`).
    func time<Result, Failure: Error>(_ stage: String, format: String, _ body: () throws(Failure) -> Result) throws(Failure) -> Result {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { stages["\(stage)/\(format)"]?.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - start)) }
        return try body()
    }
}
