/// Why an object could not be stored or read, in words fit for an ingestion log or an error body
/// (never a path a client could learn the server's layout from).
public struct StorageFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }

    public init(reason: String) { self.reason = reason }
}

/// Where the stored Part 10 bytes live, by location (what the catalog records of an instance).
/// `FileObjectStore` (LocalStorage) is the embedded conformer. Writes are atomic: a reader sees the
/// old object or the new one, never a part, and a crash leaves nothing a row points at half-written.
///
/// Methods block: the application core calls them on its file pool, never on an event loop.
public protocol ObjectStorage: Sendable {
    /// A directory on this machine where uploads are staged (`StagedFile`) before `put`.
    var stagingDirectory: String { get }

    /// The location an instance is stored at; throws when a UID is not one (`DicomUID.isValid`), so no
    /// UID can name anything outside the store.
    func location(study: String, series: String, instance: String) throws(StorageFailure) -> String

    /// Puts the complete file at `source` (whose SHA-256 is `sha256`) at `location` atomically: moved
    /// when `moving` (a staged upload), else copied. Returns false, changing nothing, when the location
    /// already holds exactly these bytes.
    @discardableResult
    func put(_ source: String, sha256: String, at location: String, moving: Bool) throws(StorageFailure) -> Bool

    /// The whole object.
    func read(_ location: String) throws(StorageFailure) -> [UInt8]

    /// Byte ranges of one object, in the order given (each must lie inside it).
    func read(_ location: String, ranges: [Range<Int>]) throws(StorageFailure) -> [[UInt8]]

    /// A file on this machine with the object's bytes, for readers that need a path (DCMTK).
    func localFile(_ location: String) throws(StorageFailure) -> String

    /// Removes the object; removing one that is not there is not an error.
    func delete(_ location: String) throws(StorageFailure)

    /// The locations of every stored object.
    func list() throws(StorageFailure) -> [String]

    /// Whether the location is one of this store's own (files indexed in place are not, and are never
    /// deleted).
    func owns(_ location: String) -> Bool
}
