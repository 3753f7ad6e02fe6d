import DicomCodec
import DicomImaging
import DicomStorage
import DicomWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

@testable import DicomServer

/// WADO-RS retrieve, metadata, frames and bulk data (PS3.18 10.4) over real imported files.
@Suite(.timeLimit(.minutes(10)))
struct WADORetrieveTests {
    static let files = ["pydicom/CT_small.dcm", "pydicom-data/emri_small.dcm", "pydicom/MR_small_jpeg_ls_lossless.dcm"]

    /// The parts of a multipart response, checked to be what the Content-Type says.
    static func parts(_ response: TestResponse) throws -> [MultipartPart] {
        let parsed = MIMEType(parsing: response.headers[.contentType] ?? "")
        let type = try #require(parsed)
        #expect(type.essence == "multipart/related")
        return try Multipart.read(Array(response.body.readableBytesView), boundary: try Multipart.boundary(of: type))
    }

    /// Stored values pydicom read for the reference corpus (`scripts/testdata/make_references.py`).
    static func referenceStoredValues(_ name: String) throws -> [Int32] {
        let path = JSONAPITests.repository.appendingPathComponent(".testdata/reference/\(name).stored").path
        let raw = try #require(FileManager.default.contents(atPath: path).map { [UInt8]($0) })
        return stride(from: 0, to: raw.count - 3, by: 4).map {
            Int32(bitPattern: UInt32(raw[$0]) | UInt32(raw[$0 + 1]) << 8 | UInt32(raw[$0 + 2]) << 16 | UInt32(raw[$0 + 3]) << 24)
        }
    }

    static func int16s(_ bytes: [UInt8], signed: Bool) -> [Int32] {
        stride(from: 0, to: bytes.count - 1, by: 2).map {
            let word = UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8
            return signed ? Int32(Int16(bitPattern: word)) : Int32(word)
        }
    }

    static func rows(_ catalog: Catalog) throws -> (ct: InstanceRow, cine: InstanceRow, jpegLS: InstanceRow) {
        let all = try catalog.instances(inSeries: nil)
        return (
            try #require(all.first { $0.transferSyntaxUID == "1.2.840.10008.1.2.1" && $0.rows == 128 && $0.numberOfFrames == 1 }),
            try #require(all.first { $0.numberOfFrames == 10 }),
            try #require(all.first { $0.transferSyntaxUID == "1.2.840.10008.1.2.4.80" })
        )
    }

    @Test func instancesAreReturnedAsStored() async throws {
        try await JSONAPITests.withRouter(files: Self.files) { router, catalog in
            let (ct, _, _) = try Self.rows(catalog)
            try await Application(router: router).test(.router) { client in
                for accept in [
                    #"multipart/related; type="application/dicom""#, "multipart/related; type=application/dicom; transfer-syntax=*", "*/*",
                ] {
                    try await client.execute(uri: WADORenderedTests.path(ct), method: .get, headers: [.accept: accept]) { response in
                        #expect(response.status == .ok, "\(accept)")
                        let parts = try Self.parts(response)
                        #expect(parts.count == 1)
                        #expect(parts.first?.contentType?.essence == "application/dicom")
                        #expect(parts.first?.body == FileManager.default.contents(atPath: ct.filePath).map { [UInt8]($0) })
                    }
                }
                let series = "/dicomweb/studies/\(ct.studyInstanceUID)/series/\(ct.seriesInstanceUID)"
                try await client.execute(uri: series, method: .get) { response in
                    let parts = try Self.parts(response)
                    #expect(parts.count == 1)
                }
                try await client.execute(uri: "/dicomweb/studies/\(ct.studyInstanceUID)", method: .get) { response in
                    #expect(response.status == .ok)
                    let parts = try Self.parts(response)
                    #expect(parts.count == 1, "the study's one instance")
                    #expect(parts.allSatisfy { $0.header("Content-Location")?.contains(ct.studyInstanceUID) == true })
                }
                // Only stored bytes are served: another transfer syntax or media type is a 406.
                try await client.execute(
                    uri: WADORenderedTests.path(ct),
                    method: .get,
                    headers: [.accept: "multipart/related; type=application/dicom; transfer-syntax=1.2.840.10008.1.2.4.50"]
                ) { response in try JSONAPITests.expectErrorBody(response, status: .notAcceptable, path: WADORenderedTests.path(ct)) }
                try await client.execute(uri: WADORenderedTests.path(ct), method: .get, headers: [.accept: "application/pdf"]) { response in
                    #expect(response.status == .notAcceptable)
                }
                try await client.execute(uri: "/dicomweb/studies/1.2.3/series/4.5.6", method: .get) { response in
                    try JSONAPITests.expectErrorBody(response, status: .notFound, path: "/dicomweb/studies/1.2.3/series/4.5.6")
                }
            }
        }
    }

    @Test func metadataAtEveryLevel() async throws {
        try await JSONAPITests.withRouter(files: Self.files) { router, catalog in
            let (ct, cine, _) = try Self.rows(catalog)
            try await Application(router: router).test(.router) { client in
                try await client.execute(uri: WADORenderedTests.path(ct) + "/metadata", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType] == "application/dicom+json")
                    let items = try #require(
                        try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: [String: Any]]]
                    )
                    let item = try #require(items.first)
                    #expect((item["00080018"]?["Value"] as? [String])?.first == ct.sopInstanceUID)
                    #expect((item["00280010"]?["Value"] as? [Int])?.first == 128)
                    // Pixel data by reference, resolvable on this server.
                    let uri = try #require(item["7FE00010"]?["BulkDataURI"] as? String)
                    #expect(uri.hasSuffix(WADORenderedTests.path(ct) + "/bulkdata/7FE00010"))
                    #expect(item["7FE00010"]?["InlineBinary"] == nil)
                }
                let series = "/dicomweb/studies/\(cine.studyInstanceUID)/series/\(cine.seriesInstanceUID)/metadata"
                try await client.execute(uri: series, method: .get) { response in
                    let items = try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [[String: Any]])
                    #expect(items.count == 1)
                }
                try await client.execute(
                    uri: "/dicomweb/studies/\(ct.studyInstanceUID)/metadata",
                    method: .get,
                    headers: [.accept: "application/json"]
                ) {
                    response in
                    #expect(response.headers[.contentType] == "application/json")
                }
                try await client.execute(uri: WADORenderedTests.path(ct) + "/metadata", method: .get, headers: [.accept: "image/png"]) { response in
                    #expect(response.status == .notAcceptable)
                }
            }
        }
    }

    @Test func metadataIsBuiltForInstancesCataloguedWithoutIt() async throws {
        try await JSONAPITests.withRouter(files: Self.files) { router, catalog in
            let (ct, _, _) = try Self.rows(catalog)
            var legacy = try IndexedInstance(
                dataSet: try DicomFile(path: ct.filePath).dataSet(),
                transferSyntaxUID: ct.transferSyntaxUID,
                filePath: ct.filePath,
                fileSize: ct.fileSize
            )
            legacy.metadataJSON = nil
            try catalog.index(legacy)  // replaces the row, and with it the stored metadata
            #expect(try catalog.metadataJSON(of: [ct.sopInstanceUID]).isEmpty)
            try await Application(router: router).test(.router) { client in
                try await client.execute(uri: WADORenderedTests.path(ct) + "/metadata", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains(ct.sopInstanceUID))
                }
            }
            #expect(try catalog.metadataJSON(of: [ct.sopInstanceUID]).count == 1, "built once, then kept")
        }
    }

    @Test func framesUncompressedAndAsStored() async throws {
        try await JSONAPITests.withRouter(files: Self.files) { router, catalog in
            let (ct, cine, jpegLS) = try Self.rows(catalog)
            try await Application(router: router).test(.router) { client in
                // Native CT: read by offset from the catalog; values as pydicom reads them.
                try await client.execute(uri: WADORenderedTests.path(ct) + "/frames/1", method: .get) { response in
                    #expect(response.status == .ok)
                    let type = MIMEType(parsing: response.headers[.contentType] ?? "")
                    #expect(type?.parameter("type") == "application/octet-stream")
                    let part = try #require(try Self.parts(response).first)
                    #expect(part.contentType?.parameter("transfer-syntax") == "1.2.840.10008.1.2.1")
                    #expect(Self.int16s(part.body, signed: true) == (try Self.referenceStoredValues("pydicom/CT_small.f1")))
                }
                // Several frames, in the order asked.
                let cineFile = try DicomFile(path: cine.filePath)
                let (third, first) = (try cineFile.decodeFrame(3).bytes, try cineFile.decodeFrame(1).bytes)
                try #require(third != first, "frames 3 and 1 differ, so their order shows")
                try await client.execute(uri: WADORenderedTests.path(cine) + "/frames/3,1", method: .get) { response in
                    let parts = try Self.parts(response)
                    #expect(parts.count == 2)
                    #expect(parts.map { Array($0.body) } == [third, first], "frame 3 first, then frame 1")
                }
                // JPEG-LS: decoded by default…
                try await client.execute(
                    uri: WADORenderedTests.path(jpegLS) + "/frames/1",
                    method: .get,
                    headers: [.accept: #"multipart/related; type="application/octet-stream""#]
                ) { response in
                    let part = try #require(try Self.parts(response).first)
                    #expect(Self.int16s(part.body, signed: true) == (try Self.referenceStoredValues("pydicom/MR_small_jpeg_ls_lossless.f1")))
                }
                // …and untouched with transfer-syntax=*, as OHIF asks.
                let stored = try DicomFile(path: jpegLS.filePath).encapsulatedFrame(1)
                try await client.execute(
                    uri: WADORenderedTests.path(jpegLS) + "/frames/1",
                    method: .get,
                    headers: [.accept: "multipart/related; type=application/octet-stream; transfer-syntax=*"]
                ) { response in
                    let part = try #require(try Self.parts(response).first)
                    #expect(part.body == stored)
                    #expect(Array(part.body.prefix(4)) == [0xFF, 0xD8, 0xFF, 0xF7], "a JPEG-LS bitstream")
                    #expect(part.contentType?.parameter("transfer-syntax") == "1.2.840.10008.1.2.4.80")
                }
                try await client.execute(
                    uri: WADORenderedTests.path(jpegLS) + "/frames/1",
                    method: .get,
                    headers: [.accept: "multipart/related; type=image/jls, multipart/related; type=application/octet-stream; q=0.5"]
                ) { response in
                    let parts = try Self.parts(response)
                    #expect(parts.first?.contentType?.essence == "image/jls")
                }
                // Pixel data bulk data is the frames.
                try await client.execute(uri: WADORenderedTests.path(cine) + "/bulkdata/7FE00010", method: .get) { response in
                    let parts = try Self.parts(response)
                    #expect(parts.count == 10)
                }
                // Errors.
                for (uri, status) in [
                    (WADORenderedTests.path(ct) + "/frames/2", HTTPResponse.Status.badRequest),
                    (WADORenderedTests.path(ct) + "/frames/0", .badRequest),
                    (WADORenderedTests.path(ct) + "/frames/1,x", .badRequest),
                    (WADORenderedTests.path(ct) + "/bulkdata/zz", .badRequest),
                    (WADORenderedTests.path(ct) + "/bulkdata/00431099", .notFound),
                ] {
                    try await client.execute(uri: uri, method: .get) { response in
                        try JSONAPITests.expectErrorBody(response, status: status, path: uri)
                    }
                }
                try await client.execute(
                    uri: WADORenderedTests.path(ct) + "/frames/1",
                    method: .get,
                    headers: [.accept: "multipart/related; type=image/jpeg"]
                ) { response in #expect(response.status == .notAcceptable, "a native CT has no stored JPEG") }
            }
        }
    }

    @Test func seriesAndStudyThumbnailsShowTheMiddleImage() async throws {
        // Three slices that render differently: the middle one in slice order is the second.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("series-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let slices = try SyntheticSeries.write(
            from: JSONAPITests.corpus.appendingPathComponent("pydicom/CT_small.dcm").path,
            count: 3,
            into: directory
        )
        let renders = try slices.map { slice in
            try ImageEncoder().encodePNG(
                try InstanceRenderer().render(
                    DicomFile(path: slice.path),
                    request: RenderRequest(voi: .window(Window(center: 40, width: 400)), viewport: Viewport(width: 64, height: 64))
                )
            )
        }
        try #require(Set(renders).count == 3, "the slices render differently")
        // Imported in reverse, so that import order is not slice order.
        try await JSONAPITests.withRouter(files: slices.reversed().map(\.path)) { router, _ in
            let middle = slices[1]
            try await Application(router: router).test(.router) { client in
                let series = "/dicomweb/studies/\(middle.studyInstanceUID)/series/\(middle.seriesInstanceUID)/thumbnail?viewport=64,64&window=40,400"
                try await client.execute(uri: series, method: .get, headers: [.accept: "image/png"]) { response in
                    let shown = renders.firstIndex(of: Array(response.body.readableBytesView))  // not in #expect: large arrays
                    #expect(shown == 1, "the series thumbnail is the middle slice, not slice \(shown.map { "\($0 + 1)" } ?? "none")")
                }
                let study = "/dicomweb/studies/\(middle.studyInstanceUID)/thumbnail?viewport=64,64&window=40,400"
                try await client.execute(uri: study, method: .get, headers: [.accept: "image/png"]) { response in
                    let shown = renders.firstIndex(of: Array(response.body.readableBytesView))
                    #expect(shown == 1, "the study thumbnail is its first series' middle slice, not \(shown.map { "\($0 + 1)" } ?? "none")")
                }
                try await client.execute(uri: "/dicomweb/studies/\(middle.studyInstanceUID)/thumbnail", method: .get) { response in
                    #expect(WADORenderedTests.jpegSize(response.body).map { $0 == (128, 128) } == true, "fits 256², never upscaled")
                }
            }
        }
    }
}
