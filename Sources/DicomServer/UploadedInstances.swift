import DicomArchive
import DicomStorage
import DicomWeb
import Hummingbird

/// The DICOM objects of an upload body: one `application/dicom` body, or the parts of a
/// `multipart/related` (STOW-RS) or `multipart/form-data` (browser forms) body. The body is streamed to
/// a staged file as it arrives and split on disk into one staged file per part, so an upload costs a
/// bounded buffer in memory, not its size (the importer then reads one part at a time).
struct UploadedInstances {
    /// One uploaded object, or a part that is not one (kept so the response can say why).
    enum Item {
        case dicom(StagedFile)
        case unsupportedPart(mediaType: String)
    }

    var items: [Item]

    /// At most this many parts in one upload (400 beyond).
    static let maximumParts = 2_000
    /// Body bytes gathered in memory before each write to the spool file.
    static let spoolChunkBytes = 1 << 20

    /// Reads at most `limit` bytes (413 beyond) and splits the body. 415 for other media types; 400 for
    /// a malformed body (a broken chunked encoding included); 429 when the client's ingest budget cannot
    /// pay for every instance beyond the first.
    init(_ request: Request, limit: Int, multipartOnly: Bool, budget: UploadBudget? = nil, archive: Archive) async throws {
        let contentType = request.headers[.contentType] ?? ""
        guard let mediaType = MIMEType(parsing: contentType) else {
            throw Self.unsupported(contentType, multipartOnly: multipartOnly)
        }
        let isMultipart = mediaType.type == "multipart" && ["related", "form-data"].contains(mediaType.subtype)
        let isDicom = mediaType.essence == "application/dicom" && !multipartOnly
        guard isMultipart || isDicom else { throw Self.unsupported(contentType, multipartOnly: multipartOnly) }
        if isMultipart, let type = mediaType.parameter("type"), type.lowercased() != "application/dicom" {
            // STOW-RS of JSON/XML metadata with bulk data is a different request this server does not take.
            throw Self.unsupported(contentType, multipartOnly: multipartOnly)
        }
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw Self.tooLarge(limit)
        }
        let boundary: String?
        do {
            boundary = isMultipart ? try Multipart.boundary(of: mediaType) : nil
        } catch {
            throw APIError(.badRequest, "the multipart body cannot be read", details: ["reason": error.description])
        }
        let ingest = archive.ingest
        let spool = try await ingest.staging { store in try StagedFile(in: store) }
        try await Self.spool(request.body, into: spool, limit: limit, ingest: ingest)
        guard let boundary else {
            items = [.dicom(spool)]
            return
        }
        let parts: [MultipartPartLayout]
        do {
            parts = try await ingest.staging { _ in try Multipart.layout(of: spool, boundary: boundary, maximumParts: Self.maximumParts) }
        } catch let error as MultipartError {
            throw APIError(.badRequest, "the multipart body cannot be read", details: ["reason": error.description])
        }
        try await budget?.charge(further: parts.count - 1)
        items = try await ingest.staging { store in
            try parts.map { part in
                // Parts without a Content-Type take the multipart's `type` (application/dicom); form parts
                // are often application/octet-stream.
                let type = part.contentType?.essence ?? "application/dicom"
                guard ["application/dicom", "application/octet-stream"].contains(type) else { return .unsupportedPart(mediaType: type) }
                return .dicom(try spool.extract(part.body, in: store))
            }
        }
    }

    /// Writes the body to `spool` in chunks of `spoolChunkBytes`, off the event loops.
    static func spool(_ body: RequestBody, into spool: StagedFile, limit: Int, ingest: IngestService) async throws {
        var pending: [UInt8] = []
        pending.reserveCapacity(spoolChunkBytes)
        var total = 0
        do {
            for try await buffer in body {
                total += buffer.readableBytes
                guard total <= limit else { throw tooLarge(limit) }
                pending.append(contentsOf: buffer.readableBytesView)
                if pending.count >= spoolChunkBytes {
                    let chunk = pending
                    try await ingest.staging { _ in try spool.append(chunk) }
                    pending.removeAll(keepingCapacity: true)
                }
            }
        } catch let error as APIError {
            throw error
        } catch let error as StorageFailure {
            throw APIError(
                HTTPResponse.Status(code: 507, reasonPhrase: "Insufficient Storage"),
                "the upload could not be staged",
                details: ["reason": error.reason]
            )
        } catch {
            // Whatever else stops the body (a malformed chunked encoding, a reset) is the client's doing.
            throw APIError(.badRequest, "the request body could not be read", details: ["reason": String(describing: type(of: error))])
        }
        let rest = pending
        if !rest.isEmpty { try await ingest.staging { _ in try spool.append(rest) } }
    }

    static func tooLarge(_ limit: Int) -> APIError {
        APIError(.contentTooLarge, "the request body is larger than \(limit) bytes", details: ["limit": "\(limit)"])
    }

    static func unsupported(_ contentType: String, multipartOnly: Bool) -> APIError {
        APIError(
            .unsupportedMediaType,
            multipartOnly
                ? "STOW-RS takes multipart/related; type=\"application/dicom\""
                : "uploads are application/dicom or multipart/related; type=\"application/dicom\" (or multipart/form-data)",
            details: ["content-type": String(contentType.prefix(200))]
        )
    }
}
