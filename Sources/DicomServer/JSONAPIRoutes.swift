import DicomArchive
import DicomCodec
import DicomImaging
import DicomStorage
import DicomWeb
import Foundation
import Hummingbird

/// The JSON API under /api/v1 (README, "JSON API"), compatible with the service this one replaces.
struct JSONAPIRoutes<Context: RequestContext> {
    let archive: Archive
    let version: String
    let statistics: RequestStatistics
    let maximumUploadSize: Int

    func register(on router: Router<Context>) {
        let api = router.group("api/v1")
        api.get("health") { _, _ in
            // Redis is an accelerator: without it the service still answers, so "degraded", not down.
            let status = archive.status
            var redis = "off"
            var reason: String?
            if let client = status.redis {
                switch client.state {
                case .up: redis = "up"
                case .down(let why):
                    redis = "down"
                    reason = why
                }
            }
            return HealthJSON(
                status: redis == "down" ? "degraded" : "ok",
                version: version,
                render_queue: status.renderQueue,
                render_threads: status.renderThreads,
                redis: redis,
                reason: reason
            )
        }
        api.get("metrics") { _, _ in
            let status = archive.status
            return statistics.snapshot(cache: status.renderedCache, cacheEnabled: status.renderedCacheEnabled)
        }
        let dicom = api.group("dicom")
        dicom.post("instances") { request, context in try await upload(request, context) }
        dicom.post("clear-cache") { _, _ in ClearCacheJSON(cleared: true, generation: await archive.clearCaches()) }
        dicom.get("ingestions") { request, _ in try await ingestions(request) }
        dicom.get("presets") { _, _ in PresetsJSON(presets: archive.rendering.presets.presets.map(PresetJSON.init)) }
        dicom.get("studies") { request, _ in try await studies(request) }
        dicom.get("studies/:study") { _, context in
            let uid = try context.uid("study")
            guard let study = try await archive.queries.study(uid) else {
                throw APIError(.notFound, "study not found", details: ["uid": uid])
            }
            return StudyJSON(study)
        }
        dicom.get("studies/:study/series") { _, context in
            let uid = try context.uid("study")
            let series = try await archive.queries.series(inStudy: uid)
            guard !series.isEmpty else { throw APIError(.notFound, "study not found", details: ["uid": uid]) }
            return SeriesListJSON(series: series.map(SeriesJSON.init))
        }
        dicom.get("series/:series/images") { _, context in
            let uid = try context.uid("series")
            let images = try await archive.queries.instances(inSeries: uid)
            guard !images.isEmpty else { throw APIError(.notFound, "series not found", details: ["uid": uid]) }
            return ImagesJSON(images: images.map(ImageJSON.init))
        }
        dicom.get("images/:image") { request, context in try await renderedJSON(request, context, thumbnail: false) }
        dicom.get("images/:image/thumbnail") { request, context in try await renderedJSON(request, context, thumbnail: true) }
        dicom.get("images/:image/rendered") { request, context in
            let row = try await archive.queries.instance(try context.uid("image"))
            let (options, _) = try renderOptions(request, thumbnail: false)
            return Response(image: try await archive.rendering.render(row, options: options), for: request)
        }
    }

    func studies(_ request: Request) async throws -> StudiesJSON {
        let parameters = request.uri.queryParameters
        var items: [(name: String, value: String)] = []
        if let value = parameters.get("patient_id") { items.append(("PatientID", value)) }
        if let value = parameters.get("patient_name") {
            // The replaced service matched names by substring; wildcards given explicitly are kept.
            items.append(("PatientName", value.contains("*") || value.contains("?") ? value : "*\(value)*"))
            items.append(("fuzzymatching", "true"))
        }
        if let value = parameters.get("modality") { items.append(("ModalitiesInStudy", value)) }
        if let value = parameters.get("accession") { items.append(("AccessionNumber", value)) }
        let from = try parameters.get("date_from").map { try Self.compactDate($0, name: "date_from") }
        let to = try parameters.get("date_to").map { try Self.compactDate($0, name: "date_to") }
        if from != nil || to != nil { items.append(("StudyDate", "\(from ?? "")-\(to ?? "")")) }
        if let value = parameters.get("limit") { items.append(("limit", value)) }
        if let value = parameters.get("offset") { items.append(("offset", value)) }
        let query: QIDOQuery
        do {
            query = try QIDOQuery(items: items, maximumLimit: 1000)
        } catch {
            // The error names the QIDO attribute; the caller wrote this API's parameter.
            let parameter = Self.parameterNames[error.parameter] ?? error.parameter
            throw APIError(.badRequest, "invalid \(parameter): \(error.reason)", details: ["parameter": parameter, "reason": error.reason])
        }
        let text = parameters.get("q").map { String($0.prefix(128)) }
        let (rows, total) = try await archive.queries.studies(matching: query, text: text)
        return StudiesJSON(studies: rows.map(StudyJSON.init), total: total)
    }

    /// `POST /api/v1/dicom/instances`: one application/dicom body or a multipart of them. 200 when
    /// anything was stored (each file's outcome listed), 422 when nothing was.
    func upload(_ request: Request, _ context: Context) async throws -> UploadJSON {
        let upload = try await UploadedInstances(
            request,
            limit: maximumUploadSize,
            multipartOnly: false,
            budget: (context as? DicomRequestContext)?.uploadBudget,
            archive: archive
        )
        var results: [UploadedInstanceJSON] = []
        for item in upload.items {
            switch item {
            case .unsupportedPart(let type):
                results.append(UploadedInstanceJSON(outcome: "rejected", reason: "a part of type \(type) is not a DICOM file"))
            case .dicom(let staged):
                let outcome = try await archive.ingest.ingest(staged, source: "upload", study: nil)
                let reason: String? = if case .rejected(let reason, _) = outcome { reason } else { nil }
                results.append(
                    UploadedInstanceJSON(
                        outcome: outcome.name,
                        sop_instance_uid: outcome.identity?.sopInstanceUID,
                        series_uid: outcome.identity?.seriesInstanceUID,
                        study_uid: outcome.identity?.studyInstanceUID,
                        reason: reason
                    )
                )
            }
        }
        let failed = results.filter { $0.outcome == "rejected" }
        guard failed.count < results.count else {
            throw APIError(
                .unprocessableContent,
                results.count == 1 ? "the upload is not a usable DICOM file" : "none of the uploaded files is a usable DICOM file",
                details: ["reason": failed.first?.reason ?? "empty upload", "files": "\(results.count)"]
            )
        }
        return UploadJSON(stored: results.count - failed.count, failed: failed.count, instances: results)
    }

    func ingestions(_ request: Request) async throws -> IngestionsJSON {
        let parameters = request.uri.queryParameters
        let limit = try RequestParameters.integer(parameters.get("limit"), name: "limit", range: 1...1000) ?? 100
        let offset = try RequestParameters.integer(parameters.get("offset"), name: "offset", range: 0...Int(Int32.max)) ?? 0
        let formatter = ISO8601DateFormatter()
        let rows = try await archive.queries.ingestions(limit: limit, offset: offset)
        return IngestionsJSON(
            ingestions: rows.map {
                IngestionJSON(
                    id: $0.id,
                    time: formatter.string(from: $0.time),
                    source: $0.source,
                    outcome: $0.outcome,
                    reason: $0.reason,
                    sop_instance_uid: $0.sopInstanceUID
                )
            },
            limit: limit,
            offset: offset
        )
    }

    /// `2024-03-01` or `20240301` as DICOM's `20240301`; anything else is refused naming the parameter.
    static func compactDate(_ text: String, name: String) throws -> String {
        let compact = text.filter { $0 != "-" }
        let shaped = text.wholeMatch(of: /[0-9]{8}|[0-9]{4}-[0-9]{2}-[0-9]{2}/) != nil
        let (month, day) = (Int(compact.dropFirst(4).prefix(2)) ?? 0, Int(compact.suffix(2)) ?? 0)
        guard shaped, (1...12).contains(month), (1...31).contains(day) else {
            throw APIError(.badRequest, "\(name) must be a date, YYYY-MM-DD or YYYYMMDD, not \"\(text)\"", details: [name: text])
        }
        return compact
    }

    /// The QIDO attribute each of this API's study parameters becomes, the other way round.
    static var parameterNames: [String: String] {
        [
            "PatientID": "patient_id", "PatientName": "patient_name", "ModalitiesInStudy": "modality",
            "AccessionNumber": "accession", "StudyDate": "date_from/date_to",
        ]
    }

    /// Reads `preset` or `window`+`level`, `frame`, `format`, `size`, `quality`.
    func renderOptions(_ request: Request, thumbnail: Bool) throws -> (RenderOptions, Preset?) {
        let parameters = request.uri.queryParameters
        var options = RenderOptions()
        var preset: Preset?
        if let name = parameters.get("preset") {
            let (found, voi) = try archive.rendering.voi(forPreset: name)
            preset = found
            options.voi = voi
        }
        // Each value checked on its own first, so `window=abc` is told it is not a number.
        let numbers = try ["window", "level"].map { name in
            try parameters.get(name).map { text in
                guard let value = Double(text), value.isFinite else {
                    throw APIError(.badRequest, "\(name) must be a number, not \"\(text)\"", details: [name: text])
                }
                return value
            }
        }
        switch (numbers[0], numbers[1]) {
        case (let width?, let center?):
            guard preset == nil else { throw APIError(.badRequest, "give preset or window/level, not both") }
            options.voi = .window(Window(center: center, width: width))
        case (nil, nil): break
        case (nil, _?): throw APIError(.badRequest, "level needs a window as well, e.g. window=400&level=40")
        case (_?, nil): throw APIError(.badRequest, "window needs a level as well, e.g. window=400&level=40")
        }
        options.frame = try RequestParameters.frame(parameters.get("frame")) ?? options.frame
        if let format = parameters.get("format") {
            guard let parsed = ImageFormat(name: format) else {
                throw APIError(.badRequest, "format must be png or jpeg", details: ["format": format])
            }
            options.format = parsed
        }
        options.quality = try RequestParameters.quality(parameters.get("quality")) ?? options.quality
        if let size = parameters.get("size") {
            options.viewport = try RequestParameters.viewport(size, name: "size", spelled: .sizeOrSquare)
        } else if thumbnail {
            options.viewport = archive.rendering.thumbnailViewport
        }
        return (options, preset)
    }

    func renderedJSON(_ request: Request, _ context: some RequestContext, thumbnail: Bool) async throws -> RenderedImageJSON {
        let uid = try context.uid("image")
        let row = try await archive.queries.instance(uid)
        let (options, preset) = try renderOptions(request, thumbnail: thumbnail)
        let result = try await archive.rendering.render(row, options: options)
        return RenderedImageJSON(
            base64: archive.rendering.base64(of: result),
            mediaType: result.format.mediaType,
            fields: .init(
                metadata: ImageJSON(row),
                window: result.window?.width,
                level: result.window?.center,
                preset: preset?.id,
                frame: result.frame,
                width: result.width,
                height: result.height,
                cached: result.cache == .l1
            ),
            headers: [.xCache: result.cache.rawValue]
        )
    }
}
