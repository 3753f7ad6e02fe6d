import CImageCodecs
import DicomCodec
import DicomImaging
import DicomStorage
import Foundation
import Hummingbird
import HummingbirdTesting
import LocalStorage
import Testing

@testable import DicomArchive
@testable import DicomServer

/// The JSON API over a real catalog and object store, through Hummingbird's router.
@Suite(.timeLimit(.minutes(10)))
struct JSONAPITests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let corpus = repository.appendingPathComponent(".testdata/dicom")
    static let files = ["pydicom-data/693_UNCR.dcm", "pydicom/CT_small.dcm", "pydicom-data/emri_small.dcm"]

    /// A data directory with the files (corpus paths, or absolute ones) imported, a router over it,
    /// removed afterwards.
    static func withRouter(
        files: [String] = files,
        configuration: ServerConfiguration = ServerConfiguration(version: "test"),
        _ body: (Router<DicomRequestContext>, Catalog) async throws -> Void
    ) async throws {
        try await withArchive(files: files, configuration: configuration) { router, archive in try await body(router, archive.catalog) }
    }

    /// The same, handing over the archive too (its caches and counters).
    static func withArchive(
        files: [String] = files,
        configuration: ServerConfiguration = ServerConfiguration(version: "test"),
        pool: WorkPool = WorkPool(threads: 2),
        _ body: (Router<DicomRequestContext>, Archive) async throws -> Void
    ) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let catalog = try SQLiteCatalog(path: root.appendingPathComponent("catalog.sqlite").path)
        let store = try FileObjectStore(root: root.appendingPathComponent("objects").path)
        let summary = await Importer(catalog: catalog, store: store).importFiles(
            files.map { $0.hasPrefix("/") ? $0 : corpus.appendingPathComponent($0).path },  // absolute: made by the test
            source: "test"
        )
        try #require(summary.stored == files.count)
        let presets = try PresetLibrary.load(directory: repository.appendingPathComponent("presets").path)
        let archive = Archive(
            catalog: catalog,
            store: store,
            presets: presets,
            pool: pool,
            retrieveLimits: RetrieveLimits(
                maxFramesPerRequest: configuration.maximumFramesPerRequest,
                maxResponseBytes: configuration.maximumResponseBytes
            ),
            cache: configuration.cache
        )
        try await body(buildRouter(archive: archive, configuration: configuration), archive)
        try await archive.shutdown()
    }

    static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer.readableBytesView)) as? [String: Any])
    }

    /// Asserts the JSON error body: error, details, timestamp, path.
    static func expectErrorBody(_ response: TestResponse, status: HTTPResponse.Status, path: String) throws {
        #expect(response.status == status)
        #expect(response.headers[.contentType] == "application/json")
        let body = try json(response.body)
        #expect(body["error"] is String)
        #expect(body["details"] is [String: Any])
        #expect((body["timestamp"] as? String)?.contains("T") == true)
        #expect(body["path"] as? String == path)
    }

    @Test func browseStudiesSeriesAndImages() async throws {
        try await Self.withRouter { router, catalog in
            let app = Application(router: router)
            try await app.test(.router) { client in
                let studies = try await client.execute(uri: "/api/v1/dicom/studies", method: .get) { try Self.json($0.body) }
                #expect(studies["total"] as? Int == 3)
                let ct = try await client.execute(uri: "/api/v1/dicom/studies?modality=CT&limit=1", method: .get) { try Self.json($0.body) }
                #expect(ct["total"] as? Int == 2)
                let first = try #require((ct["studies"] as? [[String: Any]])?.first)
                #expect(first["modalities"] as? [String] == ["CT"])
                let study = try #require(first["study_uid"] as? String)

                let series = try await client.execute(uri: "/api/v1/dicom/studies/\(study)/series", method: .get) { try Self.json($0.body) }
                let seriesUID = try #require(((series["series"] as? [[String: Any]])?.first)?["series_uid"] as? String)
                let images = try await client.execute(uri: "/api/v1/dicom/series/\(seriesUID)/images", method: .get) { try Self.json($0.body) }
                #expect((images["images"] as? [[String: Any]])?.count == 1)

                let byName = try await client.execute(uri: "/api/v1/dicom/studies?patient_name=ct1", method: .get) { try Self.json($0.body) }
                #expect(byName["total"] as? Int == 1, "substring, case-insensitive, as the replaced service matched")
                let dated = try await client.execute(uri: "/api/v1/dicom/studies?date_from=2004-01-01&date_to=2004-12-31", method: .get) {
                    try Self.json($0.body)
                }
                // Of the three studies (no date, 2000-01-01, 2004-01-19) only CT_small's is in 2004.
                let inRange = try #require(dated["studies"] as? [[String: Any]])
                #expect(inRange.map { $0["study_date"] as? String } == ["20040119"])
                _ = catalog
            }
        }
    }

    @Test func renderedBytesEqualTheLibraryRender() async throws {
        try await Self.withRouter { router, catalog in
            let row = try #require(try catalog.instances(inSeries: nil).first { $0.rows == 512 })
            let expected = try ImageEncoder().encodePNG(
                try InstanceRenderer().render(DicomFile(path: row.filePath), request: RenderRequest(voi: .window(Window(center: -600, width: 1500))))
            )
            try await Application(router: router).test(.router) { client in
                try await client.execute(uri: "/api/v1/dicom/images/\(row.sopInstanceUID)/rendered?preset=lung", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "image/png")
                    #expect(Array(response.body.readableBytesView) == expected)
                }
                try await client.execute(uri: "/api/v1/dicom/images/\(row.sopInstanceUID)?window=1500&level=-600&size=128", method: .get) {
                    response in
                    let body = try Self.json(response.body)
                    #expect(body["window"] as? Double == 1500 && body["level"] as? Double == -600 && body["cached"] as? Bool == false)
                    let url = try #require(body["image_data_url"] as? String)
                    #expect(url.hasPrefix("data:image/png;base64,"))
                    let png = [UInt8](try #require(Data(base64Encoded: String(url.dropFirst(22)))))
                    var width: UInt32 = 0
                    var height: UInt32 = 0
                    var channels: UInt32 = 0
                    #expect(cimg_png_info(png, png.count, &width, &height, &channels) == CIMG_OK)
                    #expect((width, height) == (128, 128))
                }
                try await client.execute(uri: "/api/v1/dicom/images/\(row.sopInstanceUID)/thumbnail?format=jpeg", method: .get) { response in
                    let body = try Self.json(response.body)
                    #expect((body["image_data_url"] as? String)?.hasPrefix("data:image/jpeg;base64,") == true)
                    #expect(body["width"] as? Int == 256)
                }
            }
        }
    }

    @Test func errorsUseTheJSONBody() async throws {
        try await Self.withRouter { router, catalog in
            let image = try #require(try catalog.instances(inSeries: nil).first).sopInstanceUID
            try await Application(router: router).test(.router) { client in
                let cases: [(String, HTTPResponse.Status)] = [
                    ("/api/v1/dicom/studies/1.2.3.4", .notFound),
                    ("/api/v1/dicom/series/1.2.3.4/images", .notFound),
                    ("/api/v1/dicom/images/1.2.3.4/rendered", .notFound),
                    ("/api/v1/dicom/images/not-a-uid/rendered", .badRequest),
                    ("/api/v1/dicom/images/\(image)/rendered", .ok),
                    ("/api/v1/dicom/images/\(image)/rendered?preset=nope", .badRequest),
                    ("/api/v1/dicom/images/\(image)/rendered?window=0&level=40", .badRequest),
                    ("/api/v1/dicom/images/\(image)/rendered?window=400", .badRequest),
                    ("/api/v1/dicom/images/\(image)/rendered?frame=70000", .badRequest),
                    ("/api/v1/dicom/images/\(image)/rendered?format=gif", .badRequest),
                    ("/api/v1/dicom/images/\(image)/rendered?size=0", .badRequest),
                    ("/api/v1/dicom/studies?limit=-5", .badRequest),
                    ("/api/v1/dicom/studies?date_from=yesterday", .badRequest),
                    ("/api/v1/nothing-here", .notFound),
                ]
                for (uri, status) in cases {
                    try await client.execute(uri: uri, method: .get) { response in
                        if status == .ok {
                            #expect(response.status == .ok, "\(uri)")
                        } else {
                            #expect(response.status == status, "\(uri)")
                            try Self.expectErrorBody(response, status: status, path: String(uri.split(separator: "?")[0]))
                        }
                    }
                }
            }
        }
    }

    @Test func presetsAndHealth() async throws {
        try await Self.withRouter { router, _ in
            try await Application(router: router).test(.router) { client in
                let presets = try await client.execute(uri: "/api/v1/dicom/presets", method: .get) { try Self.json($0.body) }
                let lung = (presets["presets"] as? [[String: Any]])?.first { $0["id"] as? String == "lung" }
                #expect(lung?["window"] as? Double == 1500 && lung?["level"] as? Double == -600)
                let health = try await client.execute(uri: "/api/v1/health", method: .get) { try Self.json($0.body) }
                #expect(health["status"] as? String == "ok")
            }
        }
    }
}
