import Caching
import DicomStorage
import DicomWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import Redis
import TestSupport
import Testing

@testable import DicomArchive
@testable import DicomServer

/// The hardening findings not covered elsewhere, each on a generated file through the real router.
@Suite(.timeLimit(.minutes(10)))
struct FindingRegressionTests {
    typealias H = HostileFiles

    /// Finding 12: bulk pixel data answers all frames at once, so it is bound by the frame limit too.
    @Test func bulkPixelDataRespectsTheFrameLimit() async throws {
        var configuration = ServerConfiguration(version: "test")
        configuration.maximumFramesPerRequest = 2
        let uid = "1.2.826.0.1.3680043.8.498.120"
        let frames = H.file(
            H.identity(uid: uid) + H.imagePixel(rows: 2, columns: 2, bits: 8, frames: "3") + H.pixelData(Array(0..<12)),
            uid: uid
        )
        try await JSONAPITests.withRouter(files: [], configuration: configuration) { router, _ in
            try await Application(router: router).test(.router) { client in
                #expect(try await HardeningTests.upload(client, frames).status == .ok)
                let instance = "/dicomweb/studies/1.2.826.0.1.3680043.8.498.1/series/1.2.826.0.1.3680043.8.498.2/instances/\(uid)"
                let bulk = try await client.execute(uri: instance + "/bulkdata/7FE00010", method: .get)
                try JSONAPITests.expectErrorBody(bulk, status: .badRequest, path: instance + "/bulkdata/7FE00010")
                #expect(try await client.execute(uri: instance + "/frames/1,2", method: .get).status == .ok)
            }
        }
    }

    /// Finding 14: a STOW is charged per instance, not per request.
    @Test func aSTOWIsChargedPerInstance() async throws {
        var configuration = ServerConfiguration(version: "test")
        configuration.rateLimits = RateLimits(
            standard: RateLimitPolicy(name: "default", limit: 1000, window: .seconds(60)),
            ingest: RateLimitPolicy(name: "ingest", limit: 3, window: .seconds(60))
        )
        let parts = (0..<5).map { H.file(H.identity(uid: "1.2.3.14\($0)"), uid: "1.2.3.14\($0)") }
        try await JSONAPITests.withRouter(files: [], configuration: configuration) { router, catalog in
            try await Application(router: router).test(.router) { client in
                let (body, contentType) = STOWTests.multipart(parts)
                let response = try await client.execute(uri: "/dicomweb/studies", method: .post, headers: [.contentType: contentType], body: body)
                try JSONAPITests.expectErrorBody(response, status: .tooManyRequests, path: "/dicomweb/studies")
            }
            #expect(try catalog.instances(inSeries: nil).isEmpty, "nothing of the refused upload is stored")
        }
    }

    /// Finding 15: an instance that moves to another study leaves no copy behind at its old path.
    @Test func aMovedInstanceLosesItsOldFile() async throws {
        let uid = "1.2.826.0.1.3680043.8.498.150"
        let first = H.file(H.identity(uid: uid, study: "1.2.826.0.1.3680043.8.498.151"), uid: uid)
        let moved = H.file(H.identity(uid: uid, study: "1.2.826.0.1.3680043.8.498.152"), uid: uid)
        try await JSONAPITests.withRouter(files: []) { router, catalog in
            try await Application(router: router).test(.router) { client in
                #expect(try await HardeningTests.upload(client, first).status == .ok)
                let original = try #require(try catalog.instances(inSeries: nil).first?.filePath)
                #expect(try await HardeningTests.upload(client, moved).status == .ok)
                let now = try #require(try catalog.instances(inSeries: nil).first?.filePath)
                #expect(now != original && now.contains("1.2.826.0.1.3680043.8.498.152"))
                #expect(!FileManager.default.fileExists(atPath: original), "the old copy is removed")
                #expect(FileManager.default.fileExists(atPath: now))
            }
        }
    }
}
