import DicomArchive
import Hummingbird
import Prometheus

/// `GET /metrics`: the Prometheus text format. Counters and histograms are recorded through
/// swift-metrics as things happen; figures that are states rather than events (cache sizes, Redis
/// health, build info) are set from their sources at each scrape.
struct PrometheusRoute<Context: RequestContext> {
    let registry: PrometheusCollectorRegistry
    let archive: Archive
    let statistics: RequestStatistics
    let version: String

    func register(on router: Router<Context>) {
        router.get("metrics") { _, _ in
            refreshGauges()
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer()))
            )
        }
    }

    func refreshGauges() {
        gauge("build", unit: "info", "Version of the running dicomserve", labels: [("version", version)]).set(to: 1)
        // The figures GET /api/v1/metrics reports, from the same counters.
        let totals = statistics.totals
        gauge("requests", unit: "total", "Requests answered").set(to: Double(totals.requests))
        gauge("requests_failed", unit: "total", "Requests answered with a 5xx status").set(to: Double(totals.failed))
        gauge("requests", unit: "active", "Requests being answered").set(to: Double(totals.active))
        let status = archive.status
        let (rendered, frames) = (status.renderedCache, status.decodedFrames)
        for (layer, bytes, entries, evictions) in [
            ("l1", rendered.bytes, rendered.entries, rendered.evictions), ("decoded_frames", frames.bytes, frames.entries, frames.evictions),
        ] {
            gauge("cache", unit: "bytes", "Bytes held by an in-process cache", labels: [("layer", layer)]).set(to: Double(bytes))
            gauge("cache", unit: "entries", "Entries in an in-process cache", labels: [("layer", layer)]).set(to: Double(entries))
            gauge("cache_evictions", unit: "total", "Entries evicted to stay within budget", labels: [("layer", layer)]).set(to: Double(evictions))
        }
        if let redis = status.redis {
            let statistics = redis.statistics
            gauge("redis", unit: "up", "1 while Redis answers, 0 while it is skipped").set(to: redis.state == .up ? 1 : 0)
            gauge("redis_errors", unit: "total", "Redis commands or connections that failed").set(to: Double(statistics.errors))
            gauge("redis_reconnects", unit: "total", "Connections made after Redis was down").set(to: Double(statistics.reconnects))
            gauge("redis_commands", unit: "total", "Redis commands sent").set(to: Double(statistics.commands))
        }
        gauge("render_queue", unit: "jobs", "Renders running or waiting").set(to: Double(status.renderQueue))
    }

    func gauge(_ name: String, unit: String, _ help: String, labels: [(String, String)] = []) -> Gauge {
        registry.makeGauge(
            descriptor: MetricNameDescriptor(namespace: "dicomserve", metricName: name, unitName: unit, helpText: help),
            labels: labels
        )
    }
}
