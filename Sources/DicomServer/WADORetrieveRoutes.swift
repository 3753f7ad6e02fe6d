import CompressNIO
import DicomArchive
import DicomCodec
import DicomStorage
import DicomWeb
import Foundation
import Hummingbird

/// WADO-RS retrieve under /dicomweb (PS3.18 10.4): instances as `multipart/related;
/// type="application/dicom"`, metadata as DICOM JSON, frames and bulk data.
struct WADORetrieveRoutes<Context: RequestContext> {
    let archive: Archive
    /// At most this many frames in one frames request.
    let maximumFramesPerRequest: Int
    /// Where URLs in answers point: `ServerConfiguration.dicomWebBase`, never the request's Host.
    let dicomWebBase: String

    func register(on router: Router<Context>) {
        let web = router.group("dicomweb")
        let instance = "studies/:study/series/:series/instances/:instance"
        web.get("studies/:study") { request, context in
            try await retrieve(request, rows: try await archive.queries.instances(ofStudy: try context.uid("study")))
        }
        web.get("studies/:study/series/:series") { request, context in
            let rows = try await archive.queries.instances(ofSeries: try context.uid("series"), inStudy: try context.uid("study"))
            return try await retrieve(request, rows: rows)
        }
        web.get(RouterPath(instance)) { request, context in try await retrieve(request, rows: [try await context.instance(in: archive)]) }

        web.get("studies/:study/metadata") { request, context in
            try await metadata(request, rows: try await archive.queries.instances(ofStudy: try context.uid("study")))
        }
        web.get("studies/:study/series/:series/metadata") { request, context in
            try await seriesMetadata(request, study: try context.uid("study"), series: try context.uid("series"))
        }
        web.get("\(instance)/metadata") { request, context in try await metadata(request, rows: [try await context.instance(in: archive)]) }

        web.get("\(instance)/frames/:frames") { request, context in
            let row = try await context.instance(in: archive)
            let numbers = try RequestParameters.frames(try context.parameters.require("frames"), maximum: maximumFramesPerRequest)
            return try await frames(request, row: row, numbers: numbers)
        }
        web.get("\(instance)/bulkdata/:tag") { request, context in
            let row = try await context.instance(in: archive)
            let text = try context.parameters.require("tag")
            guard let tag = DicomTag(hex: text) else {
                throw APIError(.badRequest, "bulk data is named by its tag, GGGGEEEE in hexadecimal", details: ["tag": text])
            }
            // Pixel data is bulk data made of frames: answered like a request for all of them.
            if [DicomTag(0x7FE0, 0x0010), DicomTag(0x7FE0, 0x0008), DicomTag(0x7FE0, 0x0009)].contains(tag) {
                return try await frames(request, row: row, numbers: try archive.retrieval.allFrameNumbers(of: row))
            }
            let bytes = try await archive.retrieval.bulkData(row, tag: tag)
            return Self.multipart(
                [bytes],
                partType: MIMEType(type: "application", subtype: "octet-stream"),
                location: dicomWebBase + "/" + instancePath(row) + "/bulkdata/" + tag.hexKey
            )
        }
    }

    // MARK: Instances

    func retrieve(_ request: Request, rows: [InstanceRow]) async throws -> Response {
        let syntaxes = Set(rows.map(\.transferSyntaxUID))
        guard RetrieveNegotiation.instances(AcceptHeader(request.headers[values: .accept]), storedTransferSyntaxes: syntaxes) else {
            throw APIError(
                .notAcceptable,
                "instances are returned as stored: multipart/related; type=\"application/dicom\" in \(syntaxes.sorted().joined(separator: ", "))",
                details: ["accept": request.headers[values: .accept].joined(separator: ", ")]
            )
        }
        let boundary = Multipart.makeBoundary()
        let base = dicomWebBase
        let archive = self.archive
        // The first object is read before answering, so a missing file is an error status, not a cut body.
        let first = try await archive.retrieval.objectBytes(rows[0])
        let body = ResponseBody { writer in
            for (index, row) in rows.enumerated() {
                let bytes = index == 0 ? first : try await archive.retrieval.objectBytes(row)
                var buffer = ByteBuffer(
                    bytes: Multipart.head(
                        of: [
                            ("Content-Type", "application/dicom; transfer-syntax=\(row.transferSyntaxUID)"),
                            ("Content-Location", base + "/" + instancePath(row)),
                        ],
                        boundary: boundary
                    )
                )
                buffer.writeBytes(bytes)
                buffer.writeString("\r\n")
                try await writer.write(buffer)
            }
            try await writer.write(ByteBuffer(bytes: Multipart.closing(boundary: boundary)))
            try await writer.finish(nil)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "multipart/related; type=\"application/dicom\"; boundary=\(boundary)"],
            body: body
        )
    }

    // MARK: Metadata

    /// DICOM JSON of each instance, assembled from the catalog's stored text: bulk data placeholders
    /// become this server's bulkdata URLs.
    func metadata(_ request: Request, rows: [InstanceRow]) async throws -> Response {
        let type = try QIDORoutes<Context>.negotiateJSON(request, what: "metadata")
        let body = metadataBody(dicomWebBase, rows, try await archive.retrieval.metadataJSON(rows))
        return Response(status: .ok, headers: [.contentType: type.essence], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// The JSON array of the instances' stored metadata, bulk data placeholders resolved against `base`.
    func metadataBody(_ base: String, _ rows: [InstanceRow], _ texts: [String]) -> [UInt8] {
        var body: [UInt8] = [UInt8(ascii: "[")]
        body.reserveCapacity(texts.reduce(2) { $0 + $1.utf8.count + 256 })
        for (index, (row, text)) in zip(rows, texts).enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            Self.appendResolvingBulkData(text, uriPrefix: base + "/" + instancePath(row) + "/bulkdata/", to: &body)
        }
        body.append(UInt8(ascii: "]"))
        return body
    }

    /// Series metadata, what a viewer loads when it opens a series: built once from the catalog, kept
    /// plain and gzip-compressed under a key that changes when the series does, and sent compressed to
    /// clients that accept gzip.
    func seriesMetadata(_ request: Request, study: String, series: String) async throws -> Response {
        let type = try QIDORoutes<Context>.negotiateJSON(request, what: "metadata")
        let base = dicomWebBase
        let key = CacheKeys.seriesMetadata(
            study: study,
            series: series,
            version: try await archive.queries.seriesVersion(series),
            base: base,
            mediaType: type.essence,
            generation: archive.cacheGeneration
        )
        let entityTag = key.entityTag
        let (document, outcome) = try await archive.documents.document(key) { [self] in
            // Built once per version of the series, so the instance rows and stored JSON are read plainly.
            let rows = try await archive.queries.instances(ofSeries: series, inStudy: study)
            let plain = metadataBody(base, rows, try await archive.retrieval.metadataJSON(rows))
            var buffer = ByteBuffer(bytes: plain)
            let gzip = try buffer.compress(with: .gzip())
            return CachedDocument(plain: plain, gzip: Array(gzip.readableBytesView), contentType: type.essence)
        }
        var headers: HTTPFields = [.contentType: document.contentType, .eTag: entityTag, .vary: "Accept-Encoding", .xCache: outcome.rawValue]
        if let condition = request.headers[.ifNoneMatch], Response.matches(condition, entityTag: entityTag) {
            return Response(status: .notModified, headers: headers)
        }
        if Self.acceptsGzip(request) {
            headers[.contentEncoding] = "gzip"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: document.gzip)))
        }
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: document.plain)))
    }

    /// Whether Accept-Encoding allows gzip (RFC 9110 12.5.3: `gzip`, `x-gzip` or `*`, unless q=0).
    static func acceptsGzip(_ request: Request) -> Bool {
        for item in request.headers[values: .acceptEncoding].flatMap({ $0.split(separator: ",") }) {
            let parts = item.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            guard let coding = parts.first, ["gzip", "x-gzip", "*"].contains(coding) else { continue }
            let quality = parts.dropFirst().first { $0.hasPrefix("q=") }.flatMap { Double($0.dropFirst(2)) } ?? 1
            if quality > 0 { return true }
        }
        return false
    }

    /// Copies stored DICOM JSON, turning each `"BulkDataURI":"bulkdata:` placeholder into this server's
    /// bulkdata URL. A byte scan: series metadata is the hot path of viewers opening a series.
    static func appendResolvingBulkData(_ json: String, uriPrefix: String, to output: inout [UInt8]) {
        let marker = Array(#""BulkDataURI":"bulkdata:"#.utf8)
        // Escaped as JSON string content, although the prefix is made of a validated base URL and UIDs.
        let replacement = Array(#""BulkDataURI":""#.utf8) + JSONValue.escapedStringContent(uriPrefix)
        var json = json
        json.withUTF8 { bytes in
            var start = 0
            var index = 0
            let last = bytes.count - marker.count
            while index <= last {
                if bytes[index] == marker[0] && bytes[index + 1] == marker[1]
                    && (0..<marker.count).allSatisfy({ bytes[index + $0] == marker[$0] })
                {
                    output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
                    output.append(contentsOf: replacement)
                    index += marker.count
                    start = index
                } else {
                    index += 1
                }
            }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start...]))
        }
    }

    // MARK: Frames

    func frames(_ request: Request, row: InstanceRow, numbers: [Int]) async throws -> Response {
        let syntax = TransferSyntax(uid: row.transferSyntaxUID)
        guard
            let (representation, partType) = RetrieveNegotiation.frames(
                AcceptHeader(request.headers[values: .accept]),
                storedTransferSyntax: syntax.uid,
                storedMediaType: syntax.frameMediaType,
                transcodable: archive.retrieval.transcodableSyntaxes(of: row)
            )
        else {
            var offered = "multipart/related; type=\"application/octet-stream\"; transfer-syntax=\(RetrieveNegotiation.explicitLittleEndian)"
            if let stored = syntax.frameMediaType { offered += " or type=\"\(stored)\"; transfer-syntax=\(syntax.uid) (or *)" }
            for (uid, mediaType) in archive.retrieval.transcodableSyntaxes(of: row).sorted(by: { $0.key < $1.key }) {
                offered += " or type=\"\(mediaType)\"; transfer-syntax=\(uid)"
            }
            throw APIError(
                .notAcceptable,
                "frames are available as \(offered)",
                details: ["accept": request.headers[values: .accept].joined(separator: ", ")]
            )
        }
        let frames = try await archive.retrieval.frames(row, numbers: numbers, representation: representation)
        return Self.multipart(frames, partType: partType, location: nil)
    }

    // MARK: Helpers

    static func multipart(_ parts: [[UInt8]], partType: MIMEType, location: String?) -> Response {
        let boundary = Multipart.makeBoundary()
        var headers: [(name: String, value: String)] = [("Content-Type", partType.description)]
        if let location { headers.append(("Content-Location", location)) }
        let body = Multipart.write(parts.map { MultipartPart(headers: headers, body: $0) }, boundary: boundary)
        var type = MIMEType(type: "multipart", subtype: "related", parameters: [("type", partType.essence)])
        type.parameters += partType.parameters.filter { $0.name == "transfer-syntax" }
        type.parameters.append(("boundary", boundary))
        return Response(status: .ok, headers: [.contentType: type.description], body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    func instancePath(_ row: InstanceRow) -> String {
        "studies/\(row.studyInstanceUID)/series/\(row.seriesInstanceUID)/instances/\(row.sopInstanceUID)"
    }
}
