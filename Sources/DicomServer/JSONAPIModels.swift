import DicomImaging
import DicomStorage
import Foundation
import Hummingbird

/// Response bodies of the JSON API (README, "JSON API"), in the replaced service's snake_case.
struct StudyJSON: ResponseEncodable {
    var study_uid: String
    var patient_id: String
    var patient_name: String
    var study_date: String?
    var study_time: String?
    var accession_number: String?
    var description: String?
    var modalities: [String]
    var series_count: Int
    var instance_count: Int

    init(_ row: StudyRow) {
        study_uid = row.studyInstanceUID
        patient_id = row.patientID
        patient_name = row.patientName
        study_date = row.studyDate
        study_time = row.studyTime
        accession_number = row.accessionNumber
        description = row.studyDescription
        modalities = row.modalitiesInStudy.map { $0.split(separator: "\\").map(String.init) } ?? []
        series_count = row.numberOfSeries
        instance_count = row.numberOfInstances
    }
}

struct StudiesJSON: ResponseEncodable {
    var studies: [StudyJSON]
    var total: Int
}

struct SeriesJSON: ResponseEncodable {
    var series_uid: String
    var study_uid: String
    var modality: String?
    var series_number: Int?
    var description: String?
    var image_count: Int

    init(_ row: SeriesRow) {
        series_uid = row.seriesInstanceUID
        study_uid = row.studyInstanceUID
        modality = row.modality
        series_number = row.seriesNumber
        description = row.seriesDescription
        image_count = row.numberOfInstances
    }
}

struct SeriesListJSON: ResponseEncodable {
    var series: [SeriesJSON]
}

struct ImageJSON: ResponseEncodable {
    var image_uid: String
    var series_uid: String
    var study_uid: String
    var instance_number: Int?
    var rows: Int?
    var columns: Int?
    var frames: Int
    var photometric: String?
    var transfer_syntax: String
    var slice_location: Double?
    var image_position: String?

    init(_ row: InstanceRow) {
        image_uid = row.sopInstanceUID
        series_uid = row.seriesInstanceUID
        study_uid = row.studyInstanceUID
        instance_number = row.instanceNumber
        rows = row.rows
        columns = row.columns
        frames = row.numberOfFrames
        photometric = row.photometricInterpretation
        transfer_syntax = row.transferSyntaxUID
        slice_location = row.sliceLocation
        image_position = row.imagePositionPatient
    }
}

struct ImagesJSON: ResponseEncodable {
    var images: [ImageJSON]
}

/// `{"image_data_url": "data:image/png;base64,…", "metadata": …, "window": …, …}`, the replaced service's
/// shape. The data URL is written straight into the body rather than through JSONEncoder, which would
/// scan 70 KB of base64 for characters to escape (there are none) and cost more than the whole cached
/// request otherwise does.
struct RenderedImageJSON: ResponseGenerator {
    struct Fields: Encodable {
        var metadata: ImageJSON
        var window: Double?
        var level: Double?
        var preset: String?
        var frame: Int
        var width: Int
        var height: Int
        /// True when the image came from the render cache.
        var cached: Bool
    }

    /// The image, base64-encoded.
    var base64: [UInt8]
    var mediaType: String
    var fields: Fields
    var headers: HTTPFields

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let rest = try JSONEncoder().encode(fields)  // {"metadata":…}: spliced in after the data URL
        var body = ByteBuffer()
        body.reserveCapacity(base64.count + rest.count + 64)
        body.writeString("{\"image_data_url\":\"data:\(mediaType);base64,")
        body.writeBytes(base64)
        body.writeString("\",")
        body.writeBytes(rest.dropFirst())
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
    }
}

struct PresetJSON: ResponseEncodable {
    var id: String
    var name: String
    var window: Double?
    var level: Double?
    var function: String?
    var modalities: [String]
    var description: String
    var aliases: [String]

    init(_ preset: Preset) {
        id = preset.id
        name = preset.name
        window = preset.width
        level = preset.center
        function = preset.function?.rawValue
        modalities = preset.modalities
        description = preset.description
        aliases = preset.aliases
    }
}

struct PresetsJSON: ResponseEncodable {
    var presets: [PresetJSON]
}

struct HealthJSON: ResponseEncodable {
    /// `ok`, or `degraded` while Redis is configured but unreachable.
    var status: String
    var version: String
    var render_queue: Int
    var render_threads: Int
    /// `up`, `down` or `off` (not configured).
    var redis: String
    /// Why Redis is down.
    var reason: String?
}

/// `GET /api/v1/metrics`: the request figures and the cache's.
struct MetricsJSON: ResponseEncodable {
    var requests_total: Int
    var requests_failed: Int
    var active_requests: Int
    /// Milliseconds.
    var avg_response_time: Double
    var success_rate: Double
    var cache: CacheFiguresJSON
}

/// Figures of the in-process render cache (L1).
struct CacheFiguresJSON: ResponseEncodable {
    var enabled: Bool
    var hits: Int
    var misses: Int
    var hit_rate: Double
    var evictions: Int
    var entries: Int
    var bytes: Int
}

struct ClearCacheJSON: ResponseEncodable {
    var cleared: Bool
    /// The cache generation now in use; keys of older generations are never read again.
    var generation: Int
}

/// One file of an upload and what became of it.
struct UploadedInstanceJSON: ResponseEncodable {
    var outcome: String
    var sop_instance_uid: String?
    var series_uid: String?
    var study_uid: String?
    var reason: String?
}

struct UploadJSON: ResponseEncodable {
    var stored: Int
    var failed: Int
    var instances: [UploadedInstanceJSON]
}

struct IngestionJSON: ResponseEncodable {
    var id: Int64?
    var time: String
    var source: String
    var outcome: String
    var reason: String?
    var sop_instance_uid: String?
}

struct IngestionsJSON: ResponseEncodable {
    var ingestions: [IngestionJSON]
    var limit: Int
    var offset: Int
}
