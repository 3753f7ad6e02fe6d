import CImageCodecs
import DicomCodec
import DicomImaging
import DicomStorage
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import DicomServer

/// WADO-RS rendered and thumbnail resources (PS3.18 9.5, 9.6).
@Suite(.timeLimit(.minutes(10)))
struct WADORenderedTests {
    static func path(_ row: InstanceRow) -> String {
        "/dicomweb/studies/\(row.studyInstanceUID)/series/\(row.seriesInstanceUID)/instances/\(row.sopInstanceUID)"
    }

    static func jpegSize(_ buffer: ByteBuffer) -> (UInt32, UInt32)? {
        let bytes = Array(buffer.readableBytesView)
        var width: UInt32 = 0
        var height: UInt32 = 0
        var channels: UInt32 = 0
        return cimg_jpeg_info(bytes, bytes.count, &width, &height, &channels) == CIMG_OK ? (width, height) : nil
    }

    @Test func negotiatesAndMatchesTheLibraryRender() async throws {
        try await JSONAPITests.withRouter { router, catalog in
            let ct = try #require(try catalog.instances(inSeries: nil).first { $0.rows == 512 })
            let cine = try #require(try catalog.instances(inSeries: nil).first { $0.numberOfFrames == 10 })
            let window = Window(center: -600, width: 1500, function: .sigmoid)
            let expected = try ImageEncoder().encodePNG(
                try InstanceRenderer().render(DicomFile(path: ct.filePath), request: RenderRequest(voi: .window(window)))
            )
            let expectedFrame = try ImageEncoder().encodePNG(try InstanceRenderer().render(DicomFile(path: cine.filePath), frame: 5))
            try await Application(router: router).test(.router) { client in
                try await client.execute(
                    uri: Self.path(ct) + "/rendered?window=-600,1500,SIGMOID",
                    method: .get,
                    headers: [.accept: "image/png"]
                ) { response in
                    #expect(response.status == .ok && response.headers[.contentType] == "image/png")
                    #expect(Array(response.body.readableBytesView) == expected)
                }
                // PS3.18's own spellings of the function (§8.3.5.1.3), lower case and with a hyphen.
                for spelled in ["sigmoid", "Sigmoid"] {
                    try await client.execute(
                        uri: Self.path(ct) + "/rendered?window=-600,1500,\(spelled)",
                        method: .get,
                        headers: [.accept: "image/png"]
                    ) {
                        #expect(Array($0.body.readableBytesView) == expected, "\(spelled)")
                    }
                }
                let exact = try ImageEncoder().encodePNG(
                    try InstanceRenderer().render(
                        DicomFile(path: ct.filePath),
                        request: RenderRequest(voi: .window(Window(center: 40, width: 400, function: .linearExact)))
                    )
                )
                for spelled in ["linear-exact", "LINEAR_EXACT"] {
                    try await client.execute(uri: Self.path(ct) + "/rendered?window=40,400,\(spelled)", method: .get, headers: [.accept: "image/png"])
                    {
                        #expect($0.status == .ok && Array($0.body.readableBytesView) == exact, "\(spelled)")
                    }
                }
                try await client.execute(uri: Self.path(cine) + "/frames/5/rendered?accept=image/png", method: .get) { response in
                    #expect(Array(response.body.readableBytesView) == expectedFrame)
                }
                try await client.execute(uri: Self.path(ct) + "/rendered", method: .get, headers: [.accept: "*/*"]) { response in
                    #expect(response.headers[.contentType] == "image/jpeg", "JPEG is the default rendered type")
                }
                try await client.execute(uri: Self.path(ct) + "/thumbnail", method: .get) { response in
                    #expect(Self.jpegSize(response.body).map { $0 == (256, 256) } == true)
                }
                try await client.execute(uri: Self.path(ct) + "/rendered?viewport=128,64&quality=50", method: .get) { response in
                    #expect(Self.jpegSize(response.body).map { $0 == (64, 64) } == true, "aspect kept inside 128×64")
                }
                try await client.execute(uri: Self.path(cine) + "/frames/10/thumbnail?viewport=32,32", method: .get) { response in
                    #expect(Self.jpegSize(response.body).map { $0 == (32, 32) } == true)
                }
            }
        }
    }

    @Test func errors() async throws {
        try await JSONAPITests.withRouter { router, catalog in
            let ct = try #require(try catalog.instances(inSeries: nil).first { $0.rows == 512 })
            let wrongSeries = "/dicomweb/studies/\(ct.studyInstanceUID)/series/1.2.3/instances/\(ct.sopInstanceUID)/rendered"
            try await Application(router: router).test(.router) { client in
                let cases: [(String, HTTPFields, HTTPResponse.Status)] = [
                    (Self.path(ct) + "/rendered", [.accept: "application/pdf"], .notAcceptable),
                    (Self.path(ct) + "/rendered?window=40", [:], .badRequest),
                    (Self.path(ct) + "/rendered?window=40,0", [:], .badRequest),
                    (Self.path(ct) + "/rendered?window=40,400,CUBIC", [:], .badRequest),
                    (Self.path(ct) + "/rendered?viewport=0,10", [:], .badRequest),
                    (Self.path(ct) + "/rendered?quality=0", [:], .badRequest),
                    (Self.path(ct) + "/frames/0/rendered", [:], .badRequest),
                    (Self.path(ct) + "/frames/2/rendered", [:], .badRequest),
                    (wrongSeries, [:], .notFound),
                ]
                for (uri, headers, status) in cases {
                    try await client.execute(uri: uri, method: .get, headers: headers) { response in
                        #expect(response.status == status, "\(uri)")
                        try JSONAPITests.expectErrorBody(response, status: status, path: String(uri.split(separator: "?")[0]))
                    }
                }
            }
        }
    }
}
