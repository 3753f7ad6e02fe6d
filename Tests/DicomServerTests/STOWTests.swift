import DicomStorage
import DicomWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@testable import DicomServer

/// STOW-RS and the JSON API upload over real files, plus the operational JSON endpoints and CORS.
@Suite(.timeLimit(.minutes(10)))
struct STOWTests {
    static func file(_ name: String) throws -> [UInt8] {
        try #require(FileManager.default.contents(atPath: JSONAPITests.corpus.appendingPathComponent(name).path).map { [UInt8]($0) })
    }

    static func multipart(_ bodies: [[UInt8]], type: String = "application/dicom") -> (ByteBuffer, String) {
        let boundary = Multipart.makeBoundary()
        let body = Multipart.write(bodies.map { MultipartPart(headers: [("Content-Type", type)], body: $0) }, boundary: boundary)
        return (ByteBuffer(bytes: body), "multipart/related; type=\"application/dicom\"; boundary=\(boundary)")
    }

    static func json(_ response: TestResponse) throws -> [String: [String: Any]] {
        try #require(try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [String: [String: Any]])
    }

    @Test func storesGoodInstancesAndReportsTheBadOne() async throws {
        try await JSONAPITests.withRouter(files: []) { router, catalog in
            let ct = try Self.file("pydicom/CT_small.dcm")
            let mr = try Self.file("pydicom/MR_small_jpeg_ls_lossless.dcm")
            let truncated = try Self.file("pydicom/MR_truncated.dcm")
            let (body, contentType) = Self.multipart([ct, truncated, mr])
            try await Application(router: router).test(.router) { client in
                try await client.execute(uri: "/dicomweb/studies", method: .post, headers: [.contentType: contentType], body: body) { response in
                    #expect(response.status == .accepted, "202: some stored, some failed")
                    #expect(response.headers[.contentType] == "application/dicom+json")
                    let result = try Self.json(response)
                    let referenced = try #require(result["00081199"]?["Value"] as? [[String: [String: Any]]])
                    #expect(referenced.count == 2)
                    let urls = referenced.compactMap { ($0["00081190"]?["Value"] as? [String])?.first }
                    #expect(urls.count == 2 && urls.allSatisfy { $0.contains("/dicomweb/studies/") && $0.contains("/instances/") })
                    let failed = try #require(result["00081198"]?["Value"] as? [[String: [String: Any]]])
                    #expect(failed.count == 1)
                    #expect((failed[0]["00081197"]?["Value"] as? [Int])?.first == 0xC000)
                }
                // Stored means retrievable at once.
                #expect(try catalog.instances(inSeries: nil).count == 2)
                let rejected = try catalog.ingestions().filter { $0.outcome == "rejected" }
                #expect(rejected.count == 1 && rejected[0].reason?.isEmpty == false)

                // The same files again: stored (unchanged), 200.
                let (again, againType) = Self.multipart([ct])
                try await client.execute(uri: "/dicomweb/studies", method: .post, headers: [.contentType: againType], body: again) { response in
                    #expect(response.status == .ok)
                }
                // Nothing stored: 409.
                let (bad, badType) = Self.multipart([truncated, Array("not dicom".utf8)])
                try await client.execute(uri: "/dicomweb/studies", method: .post, headers: [.contentType: badType], body: bad) { response in
                    #expect(response.status == .conflict)
                    let failed = try Self.json(response)["00081198"]?["Value"] as? [Any]
                    #expect(failed?.count == 2)
                }
            }
        }
    }

    @Test func storeToAStudyRefusesOtherStudies() async throws {
        try await JSONAPITests.withRouter(files: []) { router, catalog in
            let (body, contentType) = Self.multipart([try Self.file("pydicom/CT_small.dcm")])
            try await Application(router: router).test(.router) { client in
                try await client.execute(uri: "/dicomweb/studies/1.2.3.4", method: .post, headers: [.contentType: contentType], body: body) {
                    response in
                    #expect(response.status == .conflict)
                    let result = try Self.json(response)
                    #expect((result["00081190"]?["Value"] as? [String])?.first?.hasSuffix("/dicomweb/studies/1.2.3.4") == true)
                    let failed = try #require((result["00081198"]?["Value"] as? [[String: [String: Any]]])?.first)
                    #expect((failed["00081197"]?["Value"] as? [Int])?.first == 0xA900)
                    #expect((failed["00081155"]?["Value"] as? [String])?.first?.isEmpty == false, "identified, so named")
                }
            }
            #expect(try catalog.instances(inSeries: nil).isEmpty)
        }
    }

    @Test func wrongMediaTypeAndOversizedBodies() async throws {
        var configuration = ServerConfiguration(version: "test")
        configuration.maximumUploadSize = 64 * 1024
        try await JSONAPITests.withRouter(files: [], configuration: configuration) { router, _ in
            let ct = try Self.file("pydicom/CT_small.dcm")
            try await Application(router: router).test(.router) { client in
                for type in ["application/json", #"multipart/related; type="application/dicom+json"; boundary=x"#, ""] {
                    try await client.execute(uri: "/dicomweb/studies", method: .post, headers: [.contentType: type], body: ByteBuffer(bytes: ct)) {
                        response in
                        try JSONAPITests.expectErrorBody(response, status: .unsupportedMediaType, path: "/dicomweb/studies")
                    }
                }
                let big = [UInt8](repeating: 0, count: 100 * 1024)
                let (body, contentType) = Self.multipart([big])
                try await client.execute(uri: "/dicomweb/studies", method: .post, headers: [.contentType: contentType], body: body) { response in
                    try JSONAPITests.expectErrorBody(response, status: .contentTooLarge, path: "/dicomweb/studies")
                }
                try await client.execute(
                    uri: "/api/v1/dicom/instances",
                    method: .post,
                    headers: [.contentType: "application/dicom"],
                    body: ByteBuffer(bytes: big)
                ) { response in
                    try JSONAPITests.expectErrorBody(response, status: .contentTooLarge, path: "/api/v1/dicom/instances")
                }
                try await client.execute(
                    uri: "/dicomweb/studies",
                    method: .post,
                    headers: [.contentType: "multipart/related; type=\"application/dicom\"; boundary=abc"],
                    body: ByteBuffer(string: "no parts here")
                ) { response in
                    try JSONAPITests.expectErrorBody(response, status: .badRequest, path: "/dicomweb/studies")
                }
            }
        }
    }

    @Test func jsonUploadAndIngestionLog() async throws {
        try await JSONAPITests.withRouter(files: []) { router, _ in
            try await Application(router: router).test(.router) { client in
                try await client.execute(
                    uri: "/api/v1/dicom/instances",
                    method: .post,
                    headers: [.contentType: "application/dicom"],
                    body: ByteBuffer(bytes: try Self.file("pydicom/CT_small.dcm"))
                ) { response in
                    #expect(response.status == .ok)
                    let body = try JSONAPITests.json(response.body)
                    #expect(body["stored"] as? Int == 1)
                    #expect(((body["instances"] as? [[String: Any]])?.first?["outcome"]) as? String == "stored")
                }
                try await client.execute(
                    uri: "/api/v1/dicom/instances",
                    method: .post,
                    headers: [.contentType: "application/dicom"],
                    body: ByteBuffer(string: "definitely not DICOM")
                ) { response in
                    try JSONAPITests.expectErrorBody(response, status: .unprocessableContent, path: "/api/v1/dicom/instances")
                }
                try await client.execute(uri: "/api/v1/dicom/ingestions?limit=10", method: .get) { response in
                    let body = try JSONAPITests.json(response.body)
                    let entries = try #require(body["ingestions"] as? [[String: Any]])
                    #expect(entries.map { $0["outcome"] as? String } == ["rejected", "stored"], "newest first")
                    #expect(entries[0]["reason"] is String)
                }
                try await client.execute(uri: "/api/v1/dicom/ingestions?limit=0", method: .get) { response in
                    #expect(response.status == .badRequest)
                }
                try await client.execute(uri: "/api/v1/dicom/clear-cache", method: .post) { response in
                    let body = try JSONAPITests.json(response.body)
                    #expect(body["cleared"] as? Bool == true && body["generation"] as? Int == 1)
                }
                try await client.execute(uri: "/api/v1/metrics", method: .get) { response in
                    let body = try JSONAPITests.json(response.body)
                    #expect((body["requests_total"] as? Int ?? 0) >= 5)
                    #expect(body["requests_failed"] as? Int == 0, "4xx answers are not server failures")
                    #expect(body["active_requests"] as? Int == 1, "this request")
                    #expect(body["avg_response_time"] is Double && body["success_rate"] as? Double == 1)
                }
            }
        }
    }

    @Test func corsOnAnswersErrorsAndPreflights() async throws {
        var configuration = ServerConfiguration(version: "test")
        configuration.corsOrigins = ["https://viewer.example"]
        try await JSONAPITests.withRouter(configuration: configuration) { router, _ in
            try await Application(router: router).test(.router) { client in
                let origin: HTTPFields = [.origin: "https://viewer.example"]
                try await client.execute(uri: "/api/v1/dicom/presets", method: .get, headers: origin) { response in
                    #expect(response.headers[.accessControlAllowOrigin] == "https://viewer.example")
                    #expect(response.headers[.accessControlExposeHeaders]?.contains("Retry-After") == true)
                }
                try await client.execute(uri: "/dicomweb/studies/1.2.3/series/4/instances/5/frames/1", method: .get, headers: origin) { response in
                    #expect(response.status == .notFound)
                    #expect(response.headers[.accessControlAllowOrigin] == "https://viewer.example", "errors carry CORS headers")
                }
                var preflight = origin
                preflight[.accessControlRequestMethod] = "POST"
                preflight[.accessControlRequestHeaders] = "content-type"
                try await client.execute(uri: "/dicomweb/studies", method: .options, headers: preflight) { response in
                    #expect(response.status == .noContent)
                    #expect(response.headers[.accessControlAllowMethods]?.contains("POST") == true)
                    #expect(response.headers[.accessControlAllowHeaders] == "content-type")
                }
                try await client.execute(uri: "/api/v1/health", method: .get, headers: [.origin: "https://evil.example"]) { response in
                    #expect(response.headers[.accessControlAllowOrigin] == nil)
                }
            }
        }
        #expect(ServerConfiguration(host: "127.0.0.1").corsPolicy.origins == .any)
        #expect(ServerConfiguration(host: "0.0.0.0").corsPolicy.origins == .none)
    }
}
