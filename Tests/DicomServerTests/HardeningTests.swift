import Caching
import DicomCodec
import DicomStorage
import Foundation
import Hummingbird
import HummingbirdTesting
import Redis
import TestSupport
import Testing

@testable import DicomArchive
@testable import DicomServer

/// The hardening issue's findings at the HTTP level, through the real router over a real catalog.
extension Array {
    fileprivate var pair: (Element, Element) { (self[0], self[1]) }
}

@Suite(.timeLimit(.minutes(10)))
struct HardeningTests {
    typealias H = HostileFiles

    static func upload(_ client: some TestClientProtocol, _ bytes: [UInt8]) async throws -> TestResponse {
        try await client.execute(
            uri: "/api/v1/dicom/instances",
            method: .post,
            headers: [.contentType: "application/dicom"],
            body: ByteBuffer(bytes: bytes)
        )
    }

    /// Finding 1 end to end: the upload of the 622-byte-class file is stored or refused, and rendering it
    /// answers 422 with the JSON body instead of killing the process.
    @Test func nonFiniteRescaleAnswers422() async throws {
        let pixels = [UInt32(0), 1, 0x7FFF_FFFF, 0xFFFF_FFFF].flatMap { H.le32($0) }
        let uid = "1.2.826.0.1.3680043.8.498.99"
        let file = H.file(
            H.identity(uid: uid) + H.imagePixel(rows: 2, columns: 2, bits: 32) + H.text(0x0028, 0x1052, "DS", "0")
                + H.text(0x0028, 0x1053, "DS", "1e300") + H.pixelData(pixels),
            uid: uid
        )
        try await JSONAPITests.withRouter { router, _ in
            try await Application(router: router).test(.router) { client in
                #expect(try await Self.upload(client, file).status == .ok)
                let path = "/api/v1/dicom/images/\(uid)/rendered"
                try JSONAPITests.expectErrorBody(try await client.execute(uri: path, method: .get), status: .unprocessableContent, path: path)
                let thumbnail = try await client.execute(uri: "/api/v1/dicom/images/\(uid)/thumbnail", method: .get)
                #expect(thumbnail.status == .unprocessableContent)
            }
        }
    }

    /// Findings 2, 3, 16: hostile uploads are rejected with a reason and nothing is stored.
    @Test func hostileUploadsAreRejectedWithAReason() async throws {
        let uploads = H.refusedAtIngest()
        try await JSONAPITests.withRouter { router, catalog in
            try await Application(router: router).test(.router) { client in
                for (name, bytes) in uploads {
                    let response = try await Self.upload(client, bytes)
                    #expect(response.status == .unprocessableContent, "\(name)")
                    let body = try JSONAPITests.json(response.body)
                    #expect((body["details"] as? [String: Any])?["reason"] is String, "\(name)")
                }
            }
            #expect(try catalog.instances(inSeries: nil).count == JSONAPITests.files.count)
        }
    }

    static func ctRow(_ catalog: Catalog) throws -> InstanceRow {
        try #require(try catalog.instances(inSeries: nil).first { $0.rows == 512 })
    }

    static func framesPath(_ row: InstanceRow, _ frames: String) -> String {
        "/dicomweb/studies/\(row.studyInstanceUID)/series/\(row.seriesInstanceUID)/instances/\(row.sopInstanceUID)/frames/\(frames)"
    }

    /// Finding 7: duplicate frame numbers are refused, not answered a thousand times.
    @Test func duplicateFramesAreRefused() async throws {
        try await JSONAPITests.withRouter { router, catalog in
            let row = try Self.ctRow(catalog)
            try await Application(router: router).test(.router) { client in
                let once = try await client.execute(uri: Self.framesPath(row, "1"), method: .get)
                #expect(once.status == .ok)
                let repeated = Self.framesPath(row, Array(repeating: "1", count: 1000).joined(separator: ","))
                try JSONAPITests.expectErrorBody(try await client.execute(uri: repeated, method: .get), status: .badRequest, path: repeated)
            }
        }
    }

    /// Finding 8: after a replacement with different pixels, the old ETag no longer matches.
    @Test func replacementChangesTheETag() async throws {
        let uid = "1.2.826.0.1.3680043.8.498.100"
        let (dark, bright) =
            ([UInt8(10), 200].map { value in
                H.file(
                    H.identity(uid: uid) + H.imagePixel(rows: 2, columns: 2, bits: 8) + H.element(0x7FE0, 0x0010, "OB", [0, value, 255, value]),
                    uid: uid
                )
            }).pair
        try await JSONAPITests.withRouter { router, _ in
            try await Application(router: router).test(.router) { client in
                let path = "/api/v1/dicom/images/\(uid)/rendered?window=128&level=128"
                #expect(try await Self.upload(client, dark).status == .ok)
                let first = try await client.execute(uri: path, method: .get)
                let tag = try #require(first.headers[.eTag])
                #expect(try await client.execute(uri: path, method: .get, headers: [.ifNoneMatch: tag]).status == .notModified)
                #expect(try await Self.upload(client, bright).status == .ok)
                let second = try await client.execute(uri: path, method: .get, headers: [.ifNoneMatch: tag])
                #expect(second.status == .ok, "the replaced image must not be revalidated as current")
                #expect(second.headers[.eTag] != tag)
                #expect(Array(second.body.readableBytesView) != Array(first.body.readableBytesView))
            }
        }
    }

    /// Finding 11: the request's Host is never consulted: without --public-url every URL in an answer
    /// is relative, so no request-derived text can enter a (cached) document.
    @Test func answerURLsAreRelativeWithoutAPublicURL() async throws {
        try await JSONAPITests.withRouter { router, catalog in
            let row = try Self.ctRow(catalog)
            try await Application(router: router).test(.router) { client in
                let metadata = "/dicomweb/studies/\(row.studyInstanceUID)/series/\(row.seriesInstanceUID)/instances/\(row.sopInstanceUID)/metadata"
                for path in [metadata, "/dicomweb/studies"] {
                    let response = try await client.execute(uri: path, method: .get)
                    #expect(response.status == .ok)
                    let text = String(buffer: response.body)
                    #expect(!text.contains("http://"), "\(path)")
                    #expect(text.contains("\"/dicomweb/studies/"), "\(path)")
                }
            }
        }
    }

    /// Finding 18: a QIDO query repeating one key 1,100 times is a 400 naming the limit, not a 500.
    @Test func repeatedQueryKeysAre400() async throws {
        try await JSONAPITests.withRouter { router, _ in
            try await Application(router: router).test(.router) { client in
                let query = Array(repeating: "PatientName=A*", count: 1100).joined(separator: "&")
                let response = try await client.execute(uri: "/dicomweb/studies?\(query)", method: .get)
                try JSONAPITests.expectErrorBody(response, status: .badRequest, path: "/dicomweb/studies")
                let twice = try await client.execute(uri: "/dicomweb/studies?PatientID=1&PatientID=2", method: .get)
                #expect(twice.status == .badRequest)
            }
        }
    }

    /// Finding 15: only real 127.0.0.0/8 addresses are loopback.
    @Test func loopbackIsAnAddressNotAPrefix() {
        for host in ["127.0.0.1", "127.1.2.3", "localhost", "::1"] { #expect(ServerConfiguration.isLoopback(host), "\(host)") }
        for host in ["127.evil.example", "127.0.0.1.nip.io", "127.0.0", "0.0.0.0", "1270.0.0.1", "127.0.0.256"] {
            #expect(!ServerConfiguration.isLoopback(host), "\(host)")
        }
    }

    /// --public-url is validated: only plain absolute http(s) URLs.
    @Test func publicURLIsValidated() {
        #expect(PublicURL("https://pacs.example/dicom/")?.text == "https://pacs.example/dicom")
        #expect(PublicURL("http://127.0.0.1:8080")?.text == "http://127.0.0.1:8080")
        for text in ["pacs.example", "ftp://x", "https://", "https://a\"b", "https://a/b?c", "https://a/\u{0}"] {
            #expect(PublicURL(text) == nil, "\(text)")
        }
    }
}
