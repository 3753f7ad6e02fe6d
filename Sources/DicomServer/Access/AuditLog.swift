import DicomArchive
import DicomStorage
import Foundation
import Logging
import ServiceLifecycle
import Synchronization

/// The audit trail: each access is logged at once as a structured line (label `dicomserve.audit`) and
/// written to the catalog's audit table in batches, one transaction at most every `interval`, so that an
/// audited request never waits for a SQLite commit. Runs as a service: on shutdown it writes what is left.
/// A crash loses at most the last interval's rows from the table; the log lines are already out.
public final class AuditLog: Service, Sendable {
    private let archive: Archive
    private let pending = Mutex<[AuditRow]>([])
    private let interval: Duration
    private let logger: Logger

    public init(archive: Archive, interval: Duration = .milliseconds(250), logger: Logger = Logger(label: "dicomserve.audit")) {
        self.archive = archive
        self.interval = interval
        self.logger = logger
    }

    public func record(_ row: AuditRow) { record(row, queue: true) }

    private func record(_ row: AuditRow, queue: Bool) {
        logger.info(
            "access",
            metadata: [
                "principal": "\(row.principal ?? "-")", "client": "\(row.clientAddress ?? "-")", "method": "\(row.method)",
                "route": "\(row.route)", "study": "\(row.studyInstanceUID ?? "-")", "series": "\(row.seriesInstanceUID ?? "-")",
                "instance": "\(row.sopInstanceUID ?? "-")", "status": "\(row.status)",
            ]
        )
        guard queue else { return }
        pending.withLock { rows in
            // While the catalog cannot be written, keep the newest rows within a bound (the log lines have all).
            if rows.count >= Self.maximumPending { rows.removeFirst(rows.count / 10) }
            rows.append(row)
        }
    }

    static let maximumPending = 100_000

    /// Refusals (401, 429) since the last flush, one aggregate per client, principal, route and status:
    /// a guessing or flooding client costs one row and one log line per interval, not one per attempt.
    private let refusals = Mutex<[String: AuditRow]>([:])

    public func recordRefusal(_ row: AuditRow) {
        let key = [row.clientAddress ?? "", row.principal ?? "", row.method, row.route, String(row.status)].joined(separator: "\u{1F}")
        let first = refusals.withLock { refusals in
            if refusals[key] != nil {
                refusals[key]!.count += 1
                return false
            }
            guard refusals.count < Self.maximumPending else { return false }
            refusals[key] = row
            return true
        }
        if first { record(row, queue: false) }
    }

    /// Writes the rows recorded so far. The audit route calls it first, so a reader sees every access up
    /// to its own request.
    public func flush() async {
        let aggregated = refusals.withLock { refusals in
            defer { refusals.removeAll(keepingCapacity: true) }
            return Array(refusals.values)
        }
        let rows =
            pending.withLock { rows in
                defer { rows.removeAll(keepingCapacity: true) }
                return rows
            } + aggregated
        guard !rows.isEmpty else { return }
        do {
            try await archive.queries.recordAccess(rows)
        } catch {
            logger.error("audit rows not written; kept for the next attempt", metadata: ["rows": "\(rows.count)", "error": "\(error)"])
            pending.withLock { $0.insert(contentsOf: rows, at: 0) }
        }
    }

    /// Flushes every `interval` until graceful shutdown, then once more. Only the wait is cut short by
    /// the shutdown, never a flush under way: a write cancelled after the catalog took it would be
    /// reported as failed and queued again, writing the rows twice.
    public func run() async throws {
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            await cancelWhenGracefulShutdown { try? await Task.sleep(for: self.interval) }
            await flush()
        }
        await flush()
    }
}
