import DicomCodec
import DicomWeb
import Foundation

/// Imports DICOM files into the catalog: read (through an `InstanceReader`, isolated in a worker
/// process by the server and `import`), copy into the object store (or index in place), record, and
/// log every file tried. Bad files are rejected with a reason; the batch goes on.
public struct Importer: Sendable {
    public let catalog: any Catalog
    public let store: any ObjectStorage
    /// Where the untrusted parsing happens.
    public let reader: any InstanceReader
    /// Index files where they are instead of copying them into the store.
    public let inPlace: Bool

    public init(catalog: any Catalog, store: any ObjectStorage, reader: any InstanceReader = InProcessInstanceReader(), inPlace: Bool = false) {
        self.catalog = catalog
        self.store = store
        self.reader = reader
        self.inPlace = inPlace
    }

    /// Who an imported instance is: what a store response and cache invalidation need.
    public struct Identity: Sendable, Equatable, Codable {
        public var studyInstanceUID: String
        public var seriesInstanceUID: String
        public var sopInstanceUID: String
        public var sopClassUID: String
    }

    /// What happened to one file.
    public enum Outcome: Sendable, Equatable {
        case stored(Identity)
        case unchanged(Identity)
        /// Another file had this SOP Instance UID; the new one replaced it (caches must drop it).
        case replaced(Identity)
        /// `identity` is set when the file was read far enough to know it.
        case rejected(reason: String, identity: Identity?)

        /// The instance, when the file was read far enough to know it.
        public var identity: Identity? {
            switch self {
            case .stored(let identity), .unchanged(let identity), .replaced(let identity): identity
            case .rejected(_, let identity): identity
            }
        }

        public var name: String {
            switch self {
            case .stored: "stored"
            case .unchanged: "unchanged"
            case .replaced: "replaced"
            case .rejected: "rejected"
            }
        }
    }

    /// Totals of a batch.
    public struct Summary: Sendable, Equatable {
        public var stored = 0
        public var unchanged = 0
        public var replaced = 0
        public var rejected: [(path: String, reason: String)] = []

        public var total: Int { stored + unchanged + replaced + rejected.count }

        public static func == (lhs: Summary, rhs: Summary) -> Bool {
            lhs.stored == rhs.stored && lhs.unchanged == rhs.unchanged && lhs.replaced == rhs.replaced
                && lhs.rejected.map(\.path) == rhs.rejected.map(\.path) && lhs.rejected.map(\.reason) == rhs.rejected.map(\.reason)
        }

        mutating func add(_ outcome: Outcome, path: String) {
            switch outcome {
            case .stored: stored += 1
            case .unchanged: unchanged += 1
            case .replaced: replaced += 1
            case .rejected(let reason, _): rejected.append((path, reason))
            }
        }
    }

    /// Imports one file; never throws for a bad file, only reports it. With `study`, an instance of
    /// another study is rejected (STOW-RS to `/studies/{study}`).
    public func importFile(at path: String, source: String, study: String? = nil) -> Outcome {
        let outcome = importOrReject(path, study: study)
        log(outcome, source: "\(source) \(path)")
        return outcome
    }

    /// Imports an instance received in memory. The bytes are staged in the store's temporary directory,
    /// so a crash leaves only a temporary file that start-up removes.
    public func importData(_ bytes: [UInt8], source: String, study: String? = nil) -> Outcome {
        let outcome: Outcome
        do {
            let staged = try StagedFile(in: store)
            try staged.append(bytes)
            outcome = importOrReject(staged.path, study: study, staged: true)
        } catch {
            outcome = .rejected(reason: error.reason, identity: nil)
        }
        log(outcome, source: source)
        return outcome
    }

    /// Imports an upload already staged in the store's temporary directory: it is moved into place, not
    /// copied (the caller removes what is left).
    public func importStaged(at path: String, source: String, study: String? = nil) -> Outcome {
        let outcome = importOrReject(path, study: study, staged: true)
        log(outcome, source: source)
        return outcome
    }

    private func log(_ outcome: Outcome, source: String) {
        let reason: String? = if case .rejected(let reason, _) = outcome { reason } else { nil }
        try? catalog.logIngestion(source: source, outcome: outcome.name, reason: reason, sopInstanceUID: outcome.identity?.sopInstanceUID)
    }

    /// Reads, checks and stores one file. Staged files are moved into the store; others are copied. The
    /// bytes are hashed and copied a chunk at a time, so no file is ever held in memory whole.
    private func importOrReject(_ path: String, study: String?, staged: Bool = false) -> Outcome {
        var instance: IndexedInstance
        switch reader.read(path: path) {
        case .rejected(let reason, let identity): return .rejected(reason: reason, identity: identity)
        case .instance(let read): instance = read
        }
        let known = instance.identity
        do {
            // The bytes the reader saw are the bytes stored: uploads are staged once, and a file being
            // imported in place that changed since it was read is caught by its size.
            let content = try FileDigest.of(path)
            guard content.size == instance.fileSize else {
                return .rejected(reason: "the file changed while it was read", identity: known)
            }
            instance.contentHash = content.sha256
            if let study, study != instance.studyInstanceUID {
                return .rejected(reason: "the instance belongs to study \(instance.studyInstanceUID), not \(study)", identity: known)
            }
            // Copies live at a path made of the UIDs, so "same path" says nothing about the bytes: whether
            // the store had to write them does. Files indexed in place are compared by path.
            var bytesChanged = true
            if !inPlace {
                let target = try store.location(
                    study: instance.studyInstanceUID,
                    series: instance.seriesInstanceUID,
                    instance: instance.sopInstanceUID
                )
                bytesChanged = try store.put(path, sha256: content.sha256, at: target, moving: staged)
                instance.filePath = target
            } else {
                instance.filePath = URL(fileURLWithPath: path).standardizedFileURL.path
            }
            // The file is in place before its row exists: a crash never leaves a row without its file.
            switch try catalog.index(instance) {
            case .inserted: return .stored(known)
            case .replaced(let previousLocation):
                // The instance moved (another study or series): its old copy is garbage once the row points away.
                if !inPlace, previousLocation != instance.filePath { try? store.delete(previousLocation) }
                return .replaced(known)
            case .unchanged where !inPlace && bytesChanged: return .replaced(known)
            case .unchanged: return .unchanged(known)
            }
        } catch let error as StorageFailure {
            return .rejected(reason: error.reason, identity: known)
        } catch {
            return .rejected(reason: "\(error)", identity: known)
        }
    }

    /// Every regular file under the given files and directories (recursively), hidden ones skipped, sorted.
    public static func files(under paths: [String]) -> [String] {
        var files: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                files.append(path)  // reported as unreadable by the import
                continue
            }
            guard isDirectory.boolValue else {
                files.append(path)
                continue
            }
            // The directory named may be a symbolic link (`~/dicom -> /mnt/…`): the enumerator walks
            // a link's target only when given the target. Links inside are not followed.
            let enumerator = FileManager.default.enumerator(
                at: URL(fileURLWithPath: path).resolvingSymlinksInPath(),
                includingPropertiesForKeys: [.isRegularFileKey],
                options: [.skipsHiddenFiles]
            )
            while let url = enumerator?.nextObject() as? URL {
                if (try? url.resourceValues(forKeys: [.isRegularFileKey]).isRegularFile) == true { files.append(url.path) }
            }
        }
        return files.sorted()
    }

    /// Imports files concurrently (at most `parallelism` at once), calling `progress` after each.
    public func importFiles(
        _ files: [String],
        source: String,
        parallelism: Int = ProcessInfo.processInfo.activeProcessorCount,
        progress: @Sendable (Int, Summary) -> Void = { _, _ in }
    ) async -> Summary {
        var summary = Summary()
        await withTaskGroup(of: (String, Outcome).self) { group in
            var next = 0
            func startNext() {
                guard next < files.count else { return }
                let path = files[next]
                next += 1
                group.addTask { (path, importFile(at: path, source: source)) }
            }
            for _ in 0..<max(1, parallelism) { startNext() }
            var done = 0
            while let (path, outcome) = await group.next() {
                summary.add(outcome, path: path)
                done += 1
                progress(done, summary)
                startNext()
            }
        }
        return summary
    }
}
