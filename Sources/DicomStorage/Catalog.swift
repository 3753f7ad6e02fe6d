import DicomWeb

/// What indexing an instance did.
public enum IndexOutcome: Sendable, Equatable {
    case inserted
    /// The same SOP Instance UID was already catalogued with this location.
    case unchanged
    /// The SOP Instance UID was catalogued at another location, now replaced; caches must drop it.
    case replaced(previousLocation: String)
}

/// What changes when any instance of a series is added or replaced. Cached series-level answers are
/// keyed by it.
public struct SeriesVersion: Sendable, Equatable {
    public var instances: Int
    /// The latest storage time, in a unit of the catalog's choosing (compared only with itself).
    public var latest: Double

    public init(instances: Int, latest: Double) {
        self.instances = instances
        self.latest = latest
    }
}

/// The index of what the archive holds: patients → studies → series → instances, the ingestion log
/// and the access audit. `SQLiteCatalog` (LocalStorage) is the embedded conformer.
///
/// Methods block until the engine answers: the application core calls them on its file pool, never
/// on an event loop. Every conformer must give the same answers to the same calls (QIDO matching,
/// ordering, paging), so that the core and the HTTP layer cannot tell the engines apart.
public protocol Catalog: Sendable {
    /// Records an instance and its patient, study and series in one transaction.
    @discardableResult
    func index(_ instance: IndexedInstance) throws -> IndexOutcome

    /// Studies matching a QIDO-RS query, newest first, with the total before limit/offset. `text`, when
    /// given, must also appear in the patient's name or ID, the accession number or the description.
    func studies(matching query: QIDOQuery, text: String?) throws -> (rows: [StudyRow], total: Int)

    /// Series of a study (or of any study when nil) matching a query, by series number.
    func series(inStudy study: String?, matching query: QIDOQuery) throws -> [SeriesRow]

    /// Instances of a series (or of any series when nil) matching a query, in slice order: instance
    /// number, then slice location, then UID.
    func instances(inSeries series: String?, matching query: QIDOQuery) throws -> [InstanceRow]

    /// One instance by SOP Instance UID.
    func instance(_ sopInstanceUID: String) throws -> InstanceRow?

    /// The stored DICOM JSON of instances (`bulkdata:` placeholders for bulk data), keyed by SOP
    /// Instance UID; instances catalogued without it are missing from the result.
    func metadataJSON(of sopInstanceUIDs: [String]) throws -> [String: String]

    /// Records the DICOM JSON of an instance catalogued before metadata was stored.
    func setMetadataJSON(_ json: String, of sopInstanceUID: String) throws

    /// The instance count and latest storage time of a series.
    func seriesVersion(_ seriesInstanceUID: String) throws -> SeriesVersion

    /// Removes an instance (and its series and study when they are left empty); returns the row it had.
    @discardableResult
    func deleteInstance(_ sopInstanceUID: String) throws -> InstanceRow?

    /// Appends one line to the ingestion log.
    func logIngestion(_ row: IngestionRow) throws

    /// The newest ingestion log lines first.
    func ingestions(limit: Int, offset: Int) throws -> [IngestionRow]

    /// Appends audit rows in one transaction (the server batches them: one commit per batch, not per request).
    func logAccess(_ rows: [AuditRow]) throws

    /// The newest matching audit rows first.
    func audit(_ filter: AuditFilter) throws -> [AuditRow]
}

extension Catalog {
    public func studies(matching query: QIDOQuery) throws -> (rows: [StudyRow], total: Int) {
        try studies(matching: query, text: nil)
    }

    public func series(inStudy study: String?) throws -> [SeriesRow] { try series(inStudy: study, matching: QIDOQuery()) }

    public func instances(inSeries series: String?) throws -> [InstanceRow] { try instances(inSeries: series, matching: QIDOQuery()) }

    /// Appends one line to the ingestion log, stamped now.
    public func logIngestion(source: String, outcome: String, reason: String? = nil, sopInstanceUID: String? = nil) throws {
        try logIngestion(IngestionRow(source: source, outcome: outcome, reason: reason, sopInstanceUID: sopInstanceUID))
    }

    public func ingestions() throws -> [IngestionRow] { try ingestions(limit: 100, offset: 0) }

    public func audit() throws -> [AuditRow] { try audit(AuditFilter()) }
}
