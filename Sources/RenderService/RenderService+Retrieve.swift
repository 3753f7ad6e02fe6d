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
        try checkFrameRequest(numbers, of: row)
        let byteLimit = retrieveLimits.maxResponseBytes
        let syntax = TransferSyntax(uid: row.transferSyntaxUID)
        if representation == .stored && !syntax.isNative {
            let limits = self.limits
            return try await filePool.run {
                do {
                    var budget = ResponseBudget(limit: byteLimit)
                    let file = try DicomFile(path: row.filePath, limits: limits)
                    return try numbers.map { number in try budget.charge(try file.encapsulatedFrame(number)) }
                } catch let error as DicomError {
                    throw RenderServiceError.unrenderable(error)
                }
            }
        }
        if let layout = NativeFrameLayout(row) {
            // Every frame has the same size, so the whole answer is priced before anything is read.
            var budget = ResponseBudget(limit: byteLimit)
            try budget.reserve(layout.frameLength, times: numbers.count)
            return try await filePool.run { try layout.read(numbers, from: row) }
        }
        let limits = self.limits
        return try await pool.run {
            do {
                var budget = ResponseBudget(limit: byteLimit)
                let file = try DicomFile(path: row.filePath, limits: limits)
                return try numbers.map { number in
                    let frame = try file.decodeFrame(number)
                    return try budget.charge(Array(frame.bytes.prefix(frame.format.frameByteCount)))
                }
            } catch let error as DicomError {
                throw RenderServiceError.unrenderable(error)
            }
        }
    }

    /// Frame numbers within the instance, each asked for once, at most `maxFramesPerRequest` of them.
    public func checkFrameRequest(_ numbers: [Int], of row: InstanceRow) throws {
        guard numbers.count <= retrieveLimits.maxFramesPerRequest else {
            throw RenderServiceError.invalidParameter(
                name: "frames",
                reason: "\(numbers.count) frames asked for, at most \(retrieveLimits.maxFramesPerRequest) per request"
            )
        }
        var seen = Set<Int>()
        for number in numbers {
            guard (1...max(1, row.numberOfFrames)).contains(number) else {
                throw RenderServiceError.invalidParameter(name: "frames", reason: "frame \(number) is not in 1…\(row.numberOfFrames)")
            }
            guard seen.insert(number).inserted else {
                throw RenderServiceError.invalidParameter(name: "frames", reason: "frame \(number) is asked for more than once")
            }
        }
    }

    /// Every frame of an instance (bulk data of Pixel Data), within the same limits as a frames request.
    public func allFrameNumbers(of row: InstanceRow) throws -> [Int] {
        guard row.numberOfFrames <= retrieveLimits.maxFramesPerRequest else {
            throw RenderServiceError.invalidParameter(
                name: "frames",
                reason: "the instance has \(row.numberOfFrames) frames, more than the \(retrieveLimits.maxFramesPerRequest) one request may return; ask for frames/1,2,… in parts"
            )
        }
        return Array(1...max(1, row.numberOfFrames))
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
        let store = store
        return try await ingest(try await filePool.run { () throws -> StagedFile in
            let staged = try StagedFile(in: store)
            try staged.append(bytes)
            return staged
        }, source: source, study: study)
    }

    /// Ingests an upload staged on disk (`StagedFile`), which stays the caller's to drop.
    public func ingest(_ staged: StagedFile, source: String, study: String? = nil) async throws -> Importer.Outcome {
        let importer = Importer(catalog: catalog, store: store, reader: reader)
        let outcome = try await filePool.run { importer.importStaged(at: staged.path, source: source, study: study) }
        metrics.ingest(outcome.name)
        if case .replaced(let identity) = outcome { await invalidate(sopInstanceUID: identity.sopInstanceUID) }
        return outcome
    }
}

/// Counts the bytes of one answer as it is assembled and refuses it once it would exceed the limit.
struct ResponseBudget {
    let limit: Int
    var used = 0

    mutating func reserve(_ bytes: Int, times count: Int) throws {
        let (total, overflow) = bytes.multipliedReportingOverflow(by: count)
        guard !overflow, used + total <= limit else { throw Self.refusal(limit) }
        used += total
    }

    mutating func charge(_ part: [UInt8]) throws -> [UInt8] {
        try reserve(part.count, times: 1)
        return part
    }

    static func refusal(_ limit: Int) -> RenderServiceError {
        .invalidParameter(name: "frames", reason: "the answer would exceed \(limit >> 20) MiB; ask for fewer frames per request")
    }
}

/// Where each frame of native little-endian pixel data lies in the file, from the catalog alone:
/// frames are read with one `pread` each, without parsing the file.
struct NativeFrameLayout {
    let offset: Int
    let frameLength: Int

    init?(_ row: InstanceRow) {
        let samples = row.samplesPerPixel ?? 1
        guard ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"].contains(row.transferSyntaxUID),
            let offset = row.pixelDataOffset, let length = row.pixelDataLength, offset >= 0,
            let rows = row.rows, let columns = row.columns, let bits = row.bitsAllocated, [8, 16, 32].contains(bits),
            (1...4).contains(samples), (1...65_535).contains(rows), (1...65_535).contains(columns)
        else { return nil }
        // Catalog values came from a file: the products are computed with overflow checks.
        let (frameLength, frameOverflow) = (rows * columns * samples).multipliedReportingOverflow(by: bits / 8)
        let (total, totalOverflow) = frameLength.multipliedReportingOverflow(by: max(1, row.numberOfFrames))
        guard !frameOverflow, !totalOverflow, frameLength > 0, total <= length else { return nil }
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
