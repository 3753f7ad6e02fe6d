import DicomArchive
import DicomStorage
import DicomWeb
import Hummingbird

/// QIDO-RS under /dicomweb (PS3.18 10.6): study, series and instance searches as DICOM JSON.
struct QIDORoutes<Context: RequestContext> {
    let archive: Archive
    /// Where URLs in answers point: `ServerConfiguration.dicomWebBase`, never the request's Host.
    let dicomWebBase: String

    static var jsonTypes: [MIMEType] { [.applicationDicomJSON, .applicationJSON] }

    func register(on router: Router<Context>) {
        let web = router.group("dicomweb")
        web.get("studies") { request, _ in
            let query = try Self.query(request)
            let rows = try await archive.queries.studies(matching: query).rows
            return try respond(request, rows.map { QIDOResults.study($0, baseURL: dicomWebBase) })
        }
        web.get("studies/:study/series") { request, context in
            let study = try context.uid("study")
            let query = try Self.query(request)
            let rows = try await archive.queries.series(inStudy: study, matching: query)
            return try respond(request, rows.map { QIDOResults.series($0, baseURL: dicomWebBase) })
        }
        web.get("series") { request, _ in
            let query = try Self.query(request)
            let rows = try await archive.queries.series(inStudy: nil, matching: query)
            return try respond(request, rows.map { QIDOResults.series($0, baseURL: dicomWebBase) })
        }
        web.get("studies/:study/series/:series/instances") { request, context in
            let study = try context.uid("study")
            let series = try context.uid("series")
            let query = try Self.query(request)
            let rows = try await archive.queries.instances(inSeries: series, matching: query).filter { $0.studyInstanceUID == study }
            return try respond(request, rows.map { QIDOResults.instance($0, baseURL: dicomWebBase) })
        }
        web.get("studies/:study/instances") { request, context in
            let study = try context.uid("study")
            let items = try Self.queryItems(request) + [("StudyInstanceUID", study)]
            let query = try Self.parse(items)
            let rows = try await archive.queries.instances(inSeries: nil, matching: query)
            return try respond(request, rows.map { QIDOResults.instance($0, baseURL: dicomWebBase) })
        }
        web.get("instances") { request, _ in
            let query = try Self.query(request)
            let rows = try await archive.queries.instances(inSeries: nil, matching: query)
            return try respond(request, rows.map { QIDOResults.instance($0, baseURL: dicomWebBase) })
        }
    }

    /// The results as `application/dicom+json` (or `application/json` when that is what the client asked
    /// for); 406 when the Accept header allows neither. No charset parameter: JSON is UTF-8 by definition
    /// (RFC 8259), and clients such as dicomweb-client compare the Content-Type exactly.
    func respond(_ request: Request, _ results: [DicomDataSet]) throws -> Response {
        let type = try Self.negotiateJSON(request, what: "QIDO-RS results")
        let encoder = DicomJSONEncoder()
        let body = JSONValue.array(results.map(encoder.encode)).serialized()
        return Response(
            status: .ok,
            headers: [.contentType: type.essence],
            body: .init(byteBuffer: ByteBuffer(string: body))
        )
    }

    /// `application/dicom+json` or `application/json`, from the Accept header or an `accept=` query
    /// parameter; 406 naming `what` otherwise.
    static func negotiateJSON(_ request: Request, what: String) throws -> MIMEType {
        let accept = AcceptHeader(request.headers[values: .accept])
        let queryAccept = request.uri.queryParameters.get("accept").map { AcceptHeader($0) }
        guard let type = (queryAccept ?? accept).negotiate(jsonTypes) else {
            throw APIError(
                .notAcceptable,
                "\(what) are application/dicom+json",
                details: ["accept": request.headers[values: .accept].joined(separator: ", ")]
            )
        }
        return type
    }

    static func queryItems(_ request: Request) throws -> [(name: String, value: String)] {
        request.uri.queryParameters.map { (name: String($0.key), value: String($0.value)) }
    }

    static func query(_ request: Request) throws -> QIDOQuery {
        try parse(try queryItems(request))
    }

    static func parse(_ items: [(name: String, value: String)]) throws -> QIDOQuery {
        do {
            return try QIDOQuery(items: items, maximumLimit: 1000)
        } catch {
            throw APIError(.badRequest, "invalid QIDO-RS query", details: ["parameter": error.parameter, "reason": error.reason])
        }
    }
}
