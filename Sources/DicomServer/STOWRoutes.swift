import DicomArchive
import DicomStorage
import DicomWeb
import Hummingbird

/// STOW-RS under /dicomweb (PS3.18 10.5): `POST /studies` and `POST /studies/{study}` with a
/// multipart/related body of Part 10 instances, answered with the store response.
struct STOWRoutes<Context: RequestContext> {
    let archive: Archive
    let maximumBodySize: Int
    /// Where URLs in answers point: `ServerConfiguration.dicomWebBase`, never the request's Host.
    let dicomWebBase: String

    func register(on router: Router<Context>) {
        let web = router.group("dicomweb")
        web.post("studies") { request, context in try await store(request, context, study: nil) }
        web.post("studies/:study") { request, context in
            try await store(request, context, study: try context.uid("study"))
        }
    }

    func store(_ request: Request, _ context: Context, study: String?) async throws -> Response {
        let upload = try await UploadedInstances(
            request,
            limit: maximumBodySize,
            multipartOnly: true,
            budget: (context as? DicomRequestContext)?.uploadBudget,
            archive: archive
        )
        let base = dicomWebBase
        var outcomes: [StoreOutcome] = []
        for item in upload.items {
            switch item {
            case .unsupportedPart:
                outcomes.append(.failed(sopClassUID: "", sopInstanceUID: "", reason: .sopClassNotSupported))
            case .dicom(let staged):
                let outcome = try await archive.ingest.ingest(staged, source: "stow-rs", study: study)
                outcomes.append(Self.storeOutcome(outcome, requestedStudy: study, base: base))
            }
        }
        let response = STOWResponse(outcomes: outcomes, studyRetrieveURL: study.map { "\(base)/studies/\($0)" })
        return Response(
            status: HTTPResponse.Status(code: response.httpStatus),
            headers: [.contentType: "application/dicom+json"],
            body: .init(byteBuffer: ByteBuffer(string: response.json))
        )
    }

    /// The store response entry for one import outcome.
    static func storeOutcome(_ outcome: Importer.Outcome, requestedStudy: String?, base: String) -> StoreOutcome {
        switch outcome {
        case .stored(let identity), .unchanged(let identity), .replaced(let identity):
            return .stored(
                sopClassUID: identity.sopClassUID,
                sopInstanceUID: identity.sopInstanceUID,
                retrieveURL:
                    "\(base)/studies/\(identity.studyInstanceUID)/series/\(identity.seriesInstanceUID)/instances/\(identity.sopInstanceUID)"
            )
        case .rejected(_, let identity?):
            // Read far enough to be identified: a study mismatch, or a fault in the data set itself.
            let mismatch = requestedStudy != nil && requestedStudy != identity.studyInstanceUID
            return .failed(
                sopClassUID: identity.sopClassUID,
                sopInstanceUID: identity.sopInstanceUID,
                reason: mismatch ? .dataSetDoesNotMatchSOPClass : .cannotUnderstand
            )
        case .rejected(_, nil):
            return .failed(sopClassUID: "", sopInstanceUID: "", reason: .cannotUnderstand)
        }
    }
}
