import DicomWeb
import Hummingbird

/// The DICOM objects of an upload body: one `application/dicom` body, or the parts of a
/// `multipart/related` (STOW-RS) or `multipart/form-data` (browser forms) body.
struct UploadedInstances {
    /// One uploaded object, or a part that is not one (kept so the response can say why).
    enum Item {
        case dicom([UInt8])
        case unsupportedPart(mediaType: String)
    }

    var items: [Item]

    /// At most this many parts in one upload (400 beyond).
    static let maximumParts = 2_000

    /// Reads at most `limit` bytes (413 beyond) and splits the body. 415 for other media types; 400 for
    /// a malformed body (a broken chunked encoding included); 429 when the client's ingest budget cannot
    /// pay for every instance beyond the first.
    init(_ request: Request, limit: Int, multipartOnly: Bool, budget: UploadBudget? = nil) async throws {
        let contentType = request.headers[.contentType] ?? ""
        guard let mediaType = DicomWeb.MediaType(parsing: contentType) else {
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
            throw APIError(.contentTooLarge, "the request body is larger than \(limit) bytes", details: ["limit": "\(limit)"])
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: limit)
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw APIError(.contentTooLarge, "the request body is larger than \(limit) bytes", details: ["limit": "\(limit)"])
        } catch {
            // Whatever else stops the body (a malformed chunked encoding, a reset) is the client's doing.
            throw APIError(.badRequest, "the request body could not be read", details: ["reason": String(describing: type(of: error))])
        }
        let body = Array(buffer.readableBytesView)
        guard isMultipart else {
            items = [.dicom(body)]
            return
        }
        let parts: [MultipartPart]
        do {
            parts = try Multipart.read(body, boundary: try Multipart.boundary(of: mediaType), maximumParts: Self.maximumParts)
        } catch {
            throw APIError(.badRequest, "the multipart body cannot be read", details: ["reason": error.description])
        }
        try await budget?.charge(further: parts.count - 1)
        items = parts.map { part in
            // Parts without a Content-Type take the multipart's `type` (application/dicom); form parts
            // are often application/octet-stream.
            let type = part.contentType?.essence ?? "application/dicom"
            return ["application/dicom", "application/octet-stream"].contains(type) ? .dicom(part.body) : .unsupportedPart(mediaType: type)
        }
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
