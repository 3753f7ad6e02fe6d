import Caching
import DicomArchive
import Hummingbird
import Synchronization

/// Request counters behind `GET /api/v1/metrics` (the replaced service's JSON shape). Failures are answers with
/// a 5xx status: a client's bad request is the server working as intended.
public final class RequestStatistics: Sendable {
    struct Totals {
        var requests = 0
        var failed = 0
        var active = 0
        var totalSeconds = 0.0
    }

    private let counters = Mutex(Totals())

    public init() {}

    /// The counters now.
    var totals: Totals { counters.withLock { $0 } }

    func started() { counters.withLock { $0.active += 1 } }

    func finished(status: Int, seconds: Double) {
        counters.withLock { totals in
            totals.active -= 1
            totals.requests += 1
            totals.totalSeconds += seconds
            if status >= 500 { totals.failed += 1 }
        }
    }

    /// The JSON API's metrics body, with the render cache's figures.
    func snapshot(cache: ByteBoundedLRU<RenderKey, Expiring<RenderedImageResult>>.Statistics, cacheEnabled: Bool) -> MetricsJSON {
        let lookups = cache.hits + cache.misses
        let figures = CacheFiguresJSON(
            enabled: cacheEnabled,
            hits: cache.hits,
            misses: cache.misses,
            hit_rate: lookups == 0 ? 0 : Double(cache.hits) / Double(lookups),
            evictions: cache.evictions,
            entries: cache.entries,
            bytes: cache.bytes
        )
        return counters.withLock { totals in
            MetricsJSON(
                requests_total: totals.requests,
                requests_failed: totals.failed,
                active_requests: totals.active,
                avg_response_time: totals.requests == 0 ? 0 : totals.totalSeconds / Double(totals.requests) * 1000,
                success_rate: totals.requests == 0 ? 1 : Double(totals.requests - totals.failed) / Double(totals.requests),
                cache: figures
            )
        }
    }
}

/// Counts every request and its duration into `RequestStatistics`.
struct RequestStatisticsMiddleware<Context: RequestContext>: RouterMiddleware {
    let statistics: RequestStatistics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let clock = ContinuousClock()
        let start = clock.now
        statistics.started()
        do {
            let response = try await next(request, context)
            statistics.finished(status: response.status.code, seconds: (clock.now - start).seconds)
            return response
        } catch let error as any HTTPResponseError {
            statistics.finished(status: error.status.code, seconds: (clock.now - start).seconds)
            throw error
        } catch {
            statistics.finished(status: 500, seconds: (clock.now - start).seconds)
            throw error
        }
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
