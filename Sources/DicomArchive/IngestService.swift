import DicomStorage

/// Stores uploaded instances: every one read by the instance reader (a parse worker when serving),
/// put into the object store atomically, catalogued and logged; a replacement retires every cached
/// copy of the old object here and on the other replicas.
public final class IngestService: Sendable {
    private let catalog: any Catalog
    private let store: any ObjectStorage
    private let reader: any InstanceReader
    private let filePool: WorkPool
    private let replicas: ReplicaCoordinator
    private let metrics = ServiceMetrics()

    init(catalog: any Catalog, store: any ObjectStorage, reader: any InstanceReader, filePool: WorkPool, replicas: ReplicaCoordinator) {
        self.catalog = catalog
        self.store = store
        self.reader = reader
        self.filePool = filePool
        self.replicas = replicas
    }

    /// Runs blocking staging work (spooling an upload, splitting it into parts) on the file pool, with
    /// the store whose staging directory the parts go to.
    public func staging<Result: Sendable>(_ work: @escaping @Sendable (any ObjectStorage) throws -> Result) async throws -> Result {
        let store = self.store
        return try await filePool.run { try work(store) }
    }

    /// Stores one uploaded instance (bytes of a Part 10 file). With `study`, instances of other studies fail.
    public func ingest(_ bytes: [UInt8], source: String, study: String? = nil) async throws -> Importer.Outcome {
        let staged = try await staging { store in
            let staged = try StagedFile(in: store)
            try staged.append(bytes)
            return staged
        }
        return try await ingest(staged, source: source, study: study)
    }

    /// Ingests an upload staged on disk (`StagedFile`), which stays the caller's to drop.
    public func ingest(_ staged: StagedFile, source: String, study: String? = nil) async throws -> Importer.Outcome {
        let importer = Importer(catalog: catalog, store: store, reader: reader)
        let outcome = try await filePool.run { importer.importStaged(at: staged.path, source: source, study: study) }
        metrics.ingest(outcome.name)
        if case .replaced(let identity) = outcome { await replicas.replaced(identity.sopInstanceUID) }
        return outcome
    }
}
