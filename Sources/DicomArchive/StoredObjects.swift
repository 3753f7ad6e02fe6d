import DicomCodec
import DicomStorage

/// Reading a catalogued instance's stored object, with the store's failures reported as the archive
/// reports them: `.unreadable`, never a path.
extension ObjectStorage {
    /// The stored object opened for parsing (DCMTK's errors come out as `DicomError`).
    func dicomFile(_ row: InstanceRow, limits: DecodingLimits) throws -> DicomFile {
        try DicomFile(path: try readable(row) { () throws(StorageFailure) in try localFile(row.filePath) }, limits: limits)
    }

    /// The whole stored object.
    func object(of row: InstanceRow) throws -> [UInt8] {
        try readable(row) { () throws(StorageFailure) in try read(row.filePath) }
    }

    /// Byte ranges of the stored object.
    func ranges(_ ranges: [Range<Int>], of row: InstanceRow) throws -> [[UInt8]] {
        try readable(row) { () throws(StorageFailure) in try read(row.filePath, ranges: ranges) }
    }

    private func readable<Result>(_ row: InstanceRow, _ body: () throws(StorageFailure) -> Result) throws -> Result {
        do {
            return try body()
        } catch {
            throw ArchiveError.unreadable(sopInstanceUID: row.sopInstanceUID)
        }
    }
}
