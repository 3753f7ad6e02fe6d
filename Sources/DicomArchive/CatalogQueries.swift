import DicomStorage
import DicomWeb

/// What the catalog holds, as the routes ask for it: searches, the instances of a series or study in
/// slice order, single instances (from a short-lived row cache), the ingestion log and the audit. Every
/// catalog call runs on the file pool, never on an event loop.
public final class CatalogQueries: Sendable {
    private let catalog: any Catalog
    private let filePool: WorkPool
    private let caches: LocalCaches
    private let replicas: ReplicaCoordinator

    init(catalog: any Catalog, filePool: WorkPool, caches: LocalCaches, replicas: ReplicaCoordinator) {
        self.catalog = catalog
        self.filePool = filePool
        self.caches = caches
        self.replicas = replicas
    }

    private func query<Result: Sendable>(_ body: @escaping @Sendable (any Catalog) throws -> Result) async throws -> Result {
        let catalog = self.catalog
        return try await filePool.run { try body(catalog) }
    }

    // MARK: Searches

    /// Studies matching a QIDO-RS query, newest first, with the total before paging; `text` also
    /// matches name, patient ID, accession number or description.
    public func studies(matching query: QIDOQuery, text: String? = nil) async throws -> (rows: [StudyRow], total: Int) {
        try await self.query { try $0.studies(matching: query, text: text) }
    }

    /// One study, or nil.
    public func study(_ uid: String) async throws -> StudyRow? {
        try await studies(matching: try QIDOQuery(items: [("StudyInstanceUID", uid)])).rows.first
    }

    /// Series of a study (or of any) matching a query.
    public func series(inStudy study: String?, matching query: QIDOQuery = QIDOQuery()) async throws -> [SeriesRow] {
        try await self.query { try $0.series(inStudy: study, matching: query) }
    }

    /// Instances of a series (or of any) matching a query, in slice order.
    public func instances(inSeries series: String?, matching query: QIDOQuery = QIDOQuery()) async throws -> [InstanceRow] {
        try await self.query { try $0.instances(inSeries: series, matching: query) }
    }

    // MARK: Instances

    /// The series' instances in slice order, or `.notFound` when the series is unknown or not in `study`.
    public func instances(ofSeries series: String, inStudy study: String? = nil) async throws -> [InstanceRow] {
        try await query { catalog in
            let rows = try catalog.instances(inSeries: series)
            guard let first = rows.first, study == nil || first.studyInstanceUID == study else {
                throw ArchiveError.notFound(kind: "series", uid: series)
            }
            return rows
        }
    }

    /// The study's instances, series by series in slice order, or `.notFound`.
    public func instances(ofStudy study: String) async throws -> [InstanceRow] {
        try await query { catalog in
            let rows = try catalog.series(inStudy: study).flatMap { try catalog.instances(inSeries: $0.seriesInstanceUID) }
            guard !rows.isEmpty else { throw ArchiveError.notFound(kind: "study", uid: study) }
            return rows
        }
    }

    /// The catalog row of an instance, or `.notFound`.
    public func instance(_ uid: String) async throws -> InstanceRow {
        // What other replicas replaced is applied before the row cache is read, not after (as when only
        // the render path refreshed): a row kept from before a replacement describes other bytes.
        await replicas.refreshIfDue()
        if let row = caches.instanceRows.row(uid) { return row }
        let row = try await query { catalog in
            guard let row = try catalog.instance(uid) else { throw ArchiveError.notFound(kind: "instance", uid: uid) }
            return row
        }
        caches.instanceRows.keep(row)
        return row
    }

    /// An instance checked against the study and series named in the URL.
    public func instance(_ uid: String, study: String, series: String) async throws -> InstanceRow {
        let row = try await instance(uid)
        guard row.studyInstanceUID == study, row.seriesInstanceUID == series else {
            throw ArchiveError.notFound(kind: "instance", uid: uid)
        }
        return row
    }

    /// The instance a series or study thumbnail shows: the middle image of the series (of the study's
    /// first series with images).
    public func representativeInstance(study: String, series: String?) async throws -> InstanceRow {
        let candidates: [[InstanceRow]] =
            if let series { [try await instances(ofSeries: series, inStudy: study)] } else {
                try await query { catalog in try catalog.series(inStudy: study).map { try catalog.instances(inSeries: $0.seriesInstanceUID) } }
            }
        for rows in candidates {
            let images = rows.filter { ($0.rows ?? 0) > 0 && ($0.columns ?? 0) > 0 }
            if !images.isEmpty { return images[images.count / 2] }
        }
        if let series { throw ArchiveError.notFound(kind: "image in series", uid: series) }
        throw ArchiveError.notFound(kind: "image in study", uid: study)
    }

    /// The version of a series that cached series-level answers are keyed by; `.notFound` when empty.
    public func seriesVersion(_ series: String) async throws -> SeriesVersion {
        let version = try await query { try $0.seriesVersion(series) }
        guard version.instances > 0 else { throw ArchiveError.notFound(kind: "series", uid: series) }
        return version
    }

    // MARK: Logs

    /// The newest ingestion log lines first.
    public func ingestions(limit: Int, offset: Int) async throws -> [IngestionRow] {
        try await query { try $0.ingestions(limit: limit, offset: offset) }
    }

    /// Appends audit rows in one transaction.
    public func recordAccess(_ rows: [AuditRow]) async throws {
        try await query { try $0.logAccess(rows) }
    }

    /// The newest matching audit rows first.
    public func audit(_ filter: AuditFilter) async throws -> [AuditRow] {
        try await query { try $0.audit(filter) }
    }
}
