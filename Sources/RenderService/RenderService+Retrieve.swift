import DicomCatalog
import DicomCodec
import DicomWeb
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// WADO-RS retrieval: stored objects, their metadata, frames and bulk data.
extension RenderService {
    /// The series' instances in slice order, or `.notFound` when the series is unknown or not in `study`.
    public func instances(ofSeries series: String, inStudy study: String? = nil) async throws -> [InstanceRow] {
        try await query { catalog in
            let rows = try catalog.instances(inSeries: series)
            guard let first = rows.first, study == nil || first.studyInstanceUID == study else {
                throw RenderServiceError.notFound(kind: "series", uid: series)
            }
            return rows
        }
    }

    /// The study's instances, series by series in slice order, or `.notFound`.
    public func instances(ofStudy study: String) async throws -> [InstanceRow] {
        try await query { catalog in
            let rows = try catalog.series(inStudy: study).flatMap { try catalog.instances(inSeries: $0.seriesInstanceUID) }
            guard !rows.isEmpty else { throw RenderServiceError.notFound(kind: "study", uid: study) }
            return rows
        }
    }

    /// An instance checked against the study and series named in the URL.
    public func instance(_ uid: String, study: String, series: String) async throws -> InstanceRow {
        let row = try await instance(uid)
        guard row.studyInstanceUID == study, row.seriesInstanceUID == series else {
            throw RenderServiceError.notFound(kind: "instance", uid: uid)
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
        if let series { throw RenderServiceError.notFound(kind: "image in series", uid: series) }
        throw RenderServiceError.notFound(kind: "image in study", uid: study)
    }

    /// The stored Part 10 bytes of an instance.
    public func objectBytes(_ row: InstanceRow) async throws -> [UInt8] {
        try await filePool.run {
            guard let data = FileManager.default.contents(atPath: row.filePath) else {
                throw RenderServiceError.unreadable(sopInstanceUID: row.sopInstanceUID)
            }
            return [UInt8](data)
        }
    }

    /// Each instance's DICOM JSON with `bulkdata:GGGGEEEE` placeholders, in the order given. Instances
    /// catalogued before metadata was recorded are read once and their metadata stored.
    public func metadataJSON(_ rows: [InstanceRow]) async throws -> [String] {
        let uids = rows.map(\.sopInstanceUID)
        var stored = try await query { catalog in try catalog.metadataJSON(of: uids) }
        let missing = rows.filter { stored[$0.sopInstanceUID] == nil }
        if !missing.isEmpty {
            let (catalog, limits) = (self.catalog, self.limits)
            let built = try await filePool.run {
                try missing.map { row in
                    let json: String
                    do {
                        json = DicomJSONEncoder().encode(try DicomFile(path: row.filePath, limits: limits).dataSet()).serialized()
                    } catch let error as DicomError {
                        throw RenderServiceError.unrenderable(error)
                    }
                    try catalog.setMetadataJSON(json, of: row.sopInstanceUID)
                    return (row.sopInstanceUID, json)
                }
            }
            for (uid, json) in built { stored[uid] = json }
        }
        return rows.map { stored[$0.sopInstanceUID] ?? "{}" }
    }

    /// Frames of an instance (1-based numbers, in the order asked), uncompressed or as stored.
    public func frames(
        _ row: InstanceRow,
        numbers: [Int],
        representation: RetrieveNegotiation.FrameRepresentation
    ) async throws -> [[UInt8]] {
        for number in numbers where !(1...row.numberOfFrames).contains(number) {
            throw RenderServiceError.invalidParameter(name: "frames", reason: "frame \(number) is not in 1…\(row.numberOfFrames)")
        }
        let syntax = TransferSyntax(uid: row.transferSyntaxUID)
        if representation == .stored && !syntax.isNative {
            let limits = self.limits
            return try await filePool.run {
                do {
                    let file = try DicomFile(path: row.filePath, limits: limits)
                    return try numbers.map { try file.encapsulatedFrame($0) }
                } catch let error as DicomError {
                    throw RenderServiceError.unrenderable(error)
                }
            }
        }
        if let layout = NativeFrameLayout(row) {
            return try await filePool.run { try layout.read(numbers, from: row) }
        }
        let limits = self.limits
        return try await pool.run {
            do {
                let file = try DicomFile(path: row.filePath, limits: limits)
                return try numbers.map { number in
                    let frame = try file.decodeFrame(number)
                    return Array(frame.bytes.prefix(frame.format.frameByteCount))
                }
            } catch let error as DicomError {
                throw RenderServiceError.unrenderable(error)
            }
        }
    }

    /// The value of a bulk data element other than pixel data (top level), read from the file.
    public func bulkData(_ row: InstanceRow, tag: DicomTag) async throws -> [UInt8] {
        let limits = self.limits
        return try await filePool.run {
            let dataSet: DicomDataSet
            do {
                dataSet = try DicomFile(path: row.filePath, limits: limits).dataSet(bulkThreshold: .max)
            } catch let error as DicomError {
                throw RenderServiceError.unrenderable(error)
            }
            guard let element = dataSet.elements.first(where: { $0.tag == tag }) else {
                throw RenderServiceError.notFound(kind: "bulk data \(tag.hexKey) of instance", uid: row.sopInstanceUID)
            }
            switch element.value {
            case .binary(let bytes): return bytes
            case .text(let values): return Array(values.joined(separator: "\\").utf8)
            case .sequence, .bulk:
                throw RenderServiceError.notFound(kind: "bulk data \(tag.hexKey) of instance", uid: row.sopInstanceUID)
            }
        }
    }

    /// Stores one uploaded instance (bytes of a Part 10 file). With `study`, instances of other studies fail.
    public func ingest(_ bytes: [UInt8], source: String, study: String? = nil) async throws -> Importer.Outcome {
        let importer = Importer(catalog: catalog, store: store, limits: limits)
        let outcome = try await filePool.run { importer.importData(bytes, source: source, study: study) }
        metrics.ingest(outcome.name)
        if case .replaced(let identity) = outcome { await invalidate(sopInstanceUID: identity.sopInstanceUID) }
        return outcome
    }
}

/// Where each frame of native little-endian pixel data lies in the file, from the catalog alone:
/// frames are read with one `pread` each, without parsing the file.
struct NativeFrameLayout {
    let offset: Int
    let frameLength: Int

    init?(_ row: InstanceRow) {
        guard ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"].contains(row.transferSyntaxUID),
            let offset = row.pixelDataOffset, let length = row.pixelDataLength,
            let rows = row.rows, let columns = row.columns, let bits = row.bitsAllocated, [8, 16, 32].contains(bits)
        else { return nil }
        let frameLength = rows * columns * (row.samplesPerPixel ?? 1) * bits / 8
        guard frameLength > 0, frameLength * row.numberOfFrames <= length else { return nil }
        self.offset = offset
        self.frameLength = frameLength
    }

    func read(_ numbers: [Int], from row: InstanceRow) throws -> [[UInt8]] {
        let descriptor = open(row.filePath, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw RenderServiceError.unreadable(sopInstanceUID: row.sopInstanceUID) }
        defer { close(descriptor) }
        return try numbers.map { number in
            var bytes = [UInt8](repeating: 0, count: frameLength)
            let start = off_t(offset + (number - 1) * frameLength)
            let complete = bytes.withUnsafeMutableBytes { buffer in
                var done = 0
                while done < frameLength {
                    let count = pread(descriptor, buffer.baseAddress! + done, frameLength - done, start + off_t(done))
                    if count < 0 && errno == EINTR { continue }
                    guard count > 0 else { return false }
                    done += count
                }
                return true
            }
            guard complete else { throw RenderServiceError.unreadable(sopInstanceUID: row.sopInstanceUID) }
            return bytes
        }
    }
}
