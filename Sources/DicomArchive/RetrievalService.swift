import DicomCodec
import DicomStorage
import DicomWeb

/// WADO-RS retrieval: stored objects, their metadata, frames and bulk data, within the retrieve limits.
public final class RetrievalService: Sendable {
    public let retrieveLimits: RetrieveLimits
    private let catalog: any Catalog
    private let store: any ObjectStorage
    private let pool: WorkPool
    private let filePool: WorkPool
    private let limits: DecodingLimits
    private let transcodedFrames: TranscodedFrameCache

    init(
        catalog: any Catalog,
        store: any ObjectStorage,
        pool: WorkPool,
        filePool: WorkPool,
        limits: DecodingLimits,
        retrieveLimits: RetrieveLimits,
        transcodedFrames: TranscodedFrameCache
    ) {
        self.catalog = catalog
        self.store = store
        self.pool = pool
        self.filePool = filePool
        self.limits = limits
        self.retrieveLimits = retrieveLimits
        self.transcodedFrames = transcodedFrames
    }

    /// The transfer syntaxes (with their frame media types) frames of this instance can be re-encoded in.
    public func transcodableSyntaxes(of row: InstanceRow) -> [String: String] {
        let encodings = FrameEncoding.producible(
            bitsAllocated: row.bitsAllocated,
            bitsStored: row.bitsStored,
            samplesPerPixel: row.samplesPerPixel,
            photometric: row.photometricInterpretation
        )
        var syntaxes: [String: String] = [:]
        for encoding in encodings where encoding.transferSyntaxUID != row.transferSyntaxUID {
            syntaxes[encoding.transferSyntaxUID] = TransferSyntax(uid: encoding.transferSyntaxUID).frameMediaType
        }
        return syntaxes
    }

    /// The stored Part 10 bytes of an instance.
    public func objectBytes(_ row: InstanceRow) async throws -> [UInt8] {
        let store = self.store
        return try await filePool.run { try store.object(of: row) }
    }

    /// Each instance's DICOM JSON with `bulkdata:GGGGEEEE` placeholders, in the order given. Instances
    /// catalogued before metadata was recorded are read once and their metadata stored.
    public func metadataJSON(_ rows: [InstanceRow]) async throws -> [String] {
        let uids = rows.map(\.sopInstanceUID)
        let (catalog, store, limits) = (self.catalog, self.store, self.limits)
        var stored = try await filePool.run { try catalog.metadataJSON(of: uids) }
        let missing = rows.filter { stored[$0.sopInstanceUID] == nil }
        if !missing.isEmpty {
            let built = try await filePool.run {
                try missing.map { row in
                    let json: String
                    do {
                        json = DicomJSONEncoder().encode(try store.dicomFile(row, limits: limits).dataSet()).serialized()
                    } catch let error as DicomError {
                        throw ArchiveError.unrenderable(error)
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
        if case .transcoded(let target) = representation {
            guard let encoding = FrameEncoding(transferSyntax: target), transcodableSyntaxes(of: row)[target] != nil else {
                throw ArchiveError.invalidParameter(name: "transfer-syntax", reason: "frames of this instance cannot be encoded in \(target)")
            }
            return try await transcoded(row, numbers: numbers, encoding: encoding, byteLimit: byteLimit)
        }
        if representation == .stored && !syntax.isNative {
            let (limits, store) = (self.limits, self.store)
            return try await filePool.run {
                do {
                    var budget = ResponseBudget(limit: byteLimit)
                    let file = try store.dicomFile(row, limits: limits)
                    return try numbers.map { number in try budget.charge(try file.encapsulatedFrame(number)) }
                } catch let error as DicomError {
                    throw ArchiveError.unrenderable(error)
                }
            }
        }
        if let layout = NativeFrameLayout(row) {
            // Every frame has the same size, so the whole answer is priced before anything is read.
            var budget = ResponseBudget(limit: byteLimit)
            try budget.reserve(layout.frameLength, times: numbers.count)
            let store = self.store
            return try await filePool.run { try store.ranges(layout.ranges(numbers), of: row) }
        }
        let (limits, store) = (self.limits, self.store)
        return try await pool.run {
            do {
                var budget = ResponseBudget(limit: byteLimit)
                let file = try store.dicomFile(row, limits: limits)
                return try numbers.map { number in
                    let frame = try file.decodeFrame(number)
                    return try budget.charge(Array(frame.bytes.prefix(frame.format.frameByteCount)))
                }
            } catch let error as DicomError {
                throw ArchiveError.unrenderable(error)
            }
        }
    }

    /// Frames re-encoded in another syntax: each from the in-process cache, else Redis, else decoded and
    /// encoded on the render pool (one file open for all the frames missing), then kept in both.
    private func transcoded(_ row: InstanceRow, numbers: [Int], encoding: FrameEncoding, byteLimit: Int) async throws -> [[UInt8]] {
        var parts: [Int: [UInt8]] = [:]
        for number in numbers {
            if let cached = await transcodedFrames.value(row, frame: number, encoding: encoding) { parts[number] = cached }
        }
        let missing = numbers.filter { parts[$0] == nil }
        if !missing.isEmpty {
            let (limits, store) = (self.limits, self.store)
            let mark = transcodedFrames.replacementMark
            let made = try await pool.run {
                do {
                    let file = try store.dicomFile(row, limits: limits)
                    return try missing.map { number in (number, try FrameTranscoder.encode(try file.decodeFrame(number), as: encoding)) }
                } catch let error as DicomError {
                    throw ArchiveError.unrenderable(error)
                }
            }
            for (number, bytes) in made {
                parts[number] = bytes
                transcodedFrames.keep(bytes, row, frame: number, encoding: encoding, unlessReplacedSince: mark)
            }
        }
        var budget = ResponseBudget(limit: byteLimit)
        return try numbers.map { try budget.charge(parts[$0] ?? []) }
    }

    /// Frame numbers within the instance, each asked for once, at most `maxFramesPerRequest` of them.
    public func checkFrameRequest(_ numbers: [Int], of row: InstanceRow) throws {
        guard numbers.count <= retrieveLimits.maxFramesPerRequest else {
            throw ArchiveError.invalidParameter(
                name: "frames",
                reason: "\(numbers.count) frames asked for, at most \(retrieveLimits.maxFramesPerRequest) per request"
            )
        }
        var seen = Set<Int>()
        for number in numbers {
            guard (1...max(1, row.numberOfFrames)).contains(number) else {
                throw ArchiveError.invalidParameter(name: "frames", reason: "frame \(number) is not in 1…\(row.numberOfFrames)")
            }
            guard seen.insert(number).inserted else {
                throw ArchiveError.invalidParameter(name: "frames", reason: "frame \(number) is asked for more than once")
            }
        }
    }

    /// Every frame of an instance (bulk data of Pixel Data), within the same limits as a frames request.
    public func allFrameNumbers(of row: InstanceRow) throws -> [Int] {
        guard row.numberOfFrames <= retrieveLimits.maxFramesPerRequest else {
            throw ArchiveError.invalidParameter(
                name: "frames",
                reason:
                    "the instance has \(row.numberOfFrames) frames, more than the \(retrieveLimits.maxFramesPerRequest) one request may return; ask for frames/1,2,… in parts"
            )
        }
        return Array(1...max(1, row.numberOfFrames))
    }

    /// The value of a bulk data element other than pixel data (top level), read from the file.
    public func bulkData(_ row: InstanceRow, tag: DicomTag) async throws -> [UInt8] {
        let (limits, store) = (self.limits, self.store)
        return try await filePool.run {
            let dataSet: DicomDataSet
            do {
                dataSet = try store.dicomFile(row, limits: limits).dataSet(bulkThreshold: .max)
            } catch let error as DicomError {
                throw ArchiveError.unrenderable(error)
            }
            guard let element = dataSet.elements.first(where: { $0.tag == tag }) else {
                throw ArchiveError.notFound(kind: "bulk data \(tag.hexKey) of instance", uid: row.sopInstanceUID)
            }
            switch element.value {
            case .binary(let bytes): return bytes
            case .text(let values): return Array(values.joined(separator: "\\").utf8)
            case .sequence, .bulk:
                throw ArchiveError.notFound(kind: "bulk data \(tag.hexKey) of instance", uid: row.sopInstanceUID)
            }
        }
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

    static func refusal(_ limit: Int) -> ArchiveError {
        .invalidParameter(name: "frames", reason: "the answer would exceed \(limit >> 20) MiB; ask for fewer frames per request")
    }
}

/// Where each frame of native little-endian pixel data lies in the stored object, from the catalog
/// alone: frames are read as byte ranges, without parsing the object.
struct NativeFrameLayout {
    let offset: Int
    let frameLength: Int

    init?(_ row: InstanceRow) {
        let samples = row.samplesPerPixel ?? 1
        guard [TransferSyntaxUID.implicitLittleEndian, TransferSyntaxUID.explicitLittleEndian].contains(row.transferSyntaxUID),
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

    /// Where each of the frames lies in the stored object.
    func ranges(_ numbers: [Int]) -> [Range<Int>] {
        numbers.map { number in
            let start = offset + (number - 1) * frameLength
            return start..<(start + frameLength)
        }
    }
}
