import DicomArchive
import DicomCodec
import DicomImaging
import DicomStorage
import DicomWeb
import Hummingbird

/// WADO-RS rendered and thumbnail resources for instances and frames (PS3.18 8.3.5.1.3, 9.5, 9.6).
struct WADORenderedRoutes<Context: RequestContext> {
    let archive: Archive

    /// What we can produce, in order of preference when the client accepts anything (JPEG is the
    /// standard's default rendered media type for images).
    static var offers: [MIMEType] { [.imageJPEG, .imagePNG] }

    func register(on router: Router<Context>) {
        let web = router.group("dicomweb")
        let instance = "studies/:study/series/:series/instances/:instance"
        web.get("\(instance)/rendered") { request, context in try await render(request, context, frame: nil, thumbnail: false) }
        web.get("\(instance)/thumbnail") { request, context in try await render(request, context, frame: nil, thumbnail: true) }
        web.get("\(instance)/frames/:frames/rendered") { request, context in
            try await render(request, context, frame: try Self.frame(context), thumbnail: false)
        }
        web.get("\(instance)/frames/:frames/thumbnail") { request, context in
            try await render(request, context, frame: try Self.frame(context), thumbnail: true)
        }
        // Study and series thumbnails show the middle image of the series (PS3.18 9.6.1.1).
        web.get("studies/:study/thumbnail") { request, context in
            let row = try await archive.queries.representativeInstance(study: try context.uid("study"), series: nil)
            return try await render(request, row: row, frame: nil, thumbnail: true)
        }
        web.get("studies/:study/series/:series/thumbnail") { request, context in
            let row = try await archive.queries.representativeInstance(study: try context.uid("study"), series: try context.uid("series"))
            return try await render(request, row: row, frame: nil, thumbnail: true)
        }
    }

    static func frame(_ context: Context) throws -> Int {
        try RequestParameters.frame(try context.parameters.require("frames")) ?? 1
    }

    func render(_ request: Request, _ context: Context, frame: Int?, thumbnail: Bool) async throws -> Response {
        let row = try await context.instance(in: archive)
        return try await render(request, row: row, frame: frame, thumbnail: thumbnail)
    }

    func render(_ request: Request, row: InstanceRow, frame: Int?, thumbnail: Bool) async throws -> Response {
        let parameters = request.uri.queryParameters
        let accept = parameters.get("accept").map { AcceptHeader($0) } ?? AcceptHeader(request.headers[values: .accept])
        guard let type = accept.negotiate(Self.offers) else {
            throw APIError(
                .notAcceptable,
                "rendered resources are image/jpeg or image/png",
                details: ["accept": request.headers[values: .accept].joined(separator: ", ")]
            )
        }
        var options = RenderOptions(format: type == .imagePNG ? .png : .jpeg)
        options.frame = frame ?? 1
        if let window = parameters.get("window") {
            guard let parsed = Window(parsing: window) else {
                throw APIError(.badRequest, "window must be center,width[,LINEAR|LINEAR_EXACT|SIGMOID]", details: ["window": window])
            }
            options.voi = .window(parsed)
        }
        if let viewport = parameters.get("viewport") {
            options.viewport = try RequestParameters.viewport(viewport, name: "viewport", spelled: .commaSeparated)
        } else if thumbnail {
            options.viewport = archive.rendering.thumbnailViewport
        }
        options.quality = try RequestParameters.quality(parameters.get("quality")) ?? options.quality
        return Response(image: try await archive.rendering.render(row, options: options), for: request)
    }
}
