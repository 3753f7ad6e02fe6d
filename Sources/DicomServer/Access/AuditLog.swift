import DicomCatalog
import Foundation
import Logging
import RenderService
import ServiceLifecycle
import Synchronization

/// The audit trail: each access is logged at once as a structured line (label `dicomserve.audit`) and
/// written to the catalog's audit table in batches, one transaction at most every `interval`, so that an
/// audited request never waits for a SQLite commit. Runs as a service: on shutdown it writes what is left.
/// A crash loses at most the last interval's rows from the table; the log lines are already out.
public final class AuditLog: Service, Sendable {
    private let service: RenderService
    private let pending = Mutex<[AuditRow]>([])
    private let interval: Duration
    private let logger: Logger

    public init(service: RenderService, interval: Duration = .milliseconds(250), logger: Logger = Logger(label: "dicomserve.audit")) {
        self.service = service
        self.interval = interval
        self.logger = logger
    }

    public func record(_ row: AuditRow) {
        logger.info(
            "access",
            metadata: [
                "principal": "\(row.principal ?? "-")", "client": "\(row.clientAddress ?? "-")", "method": "\(row.method)",
                "route": "\(row.route)", "study": "\(row.studyInstanceUID ?? "-")", "series": "\(row.seriesInstanceUID ?? "-")",
                "instance": "\(row.sopInstanceUID ?? "-")", "status": "\(row.status)",
            ]
        )
        pending.withLock { rows in
            // While the catalog cannot be written, keep the newest rows within a bound (the log lines have all).
            if rows.count >= Self.maximumPending { rows.removeFirst(rows.count / 10) }
            rows.append(row)
        }
    }

    static let maximumPending = 100_000

    /// Writes the rows recorded so far. The audit route calls it first, so a reader sees every access up
    /// to its own request.
    public func flush() async {
        let rows = pending.withLock { rows in
            defer { rows.removeAll(keepingCapacity: true) }
            return rows
        }
        guard !rows.isEmpty else { return }
        do {
            try await service.query { try $0.logAccess(rows) }
        } catch {
            logger.error("audit rows not written; kept for the next attempt", metadata: ["rows": "\(rows.count)", "error": "\(error)"])
            pending.withLock { $0.insert(contentsOf: rows, at: 0) }
        }
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                try? await Task.sleep(for: self.interval)
                await self.flush()
            }
        }
        await flush()
    }
}
