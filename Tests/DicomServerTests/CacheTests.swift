import Caching
import CompressNIO
import DicomCodec
import DicomStorage
import DicomWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

@testable import DicomArchive
@testable import DicomServer

/// The in-process render cache as clients see it: X-Cache, cached, ETag/304, clear-cache, single-flight,
/// decoded frames kept for re-windowing, invalidation on replacement.
@Suite(.timeLimit(.minutes(10)))
struct CacheTests {
    /// The same instance (same UIDs) with other pixels, every stored value plus `offset`, as Part 10 bytes.
    static func replacement(of row: InstanceRow, offset: Int16 = 100) throws -> [UInt8] {
        try ReplacementObjects.shiftingPixels(of: row.filePath, by: offset)
    }

    /// `POST /api/v1/dicom/instances` of one Part 10 file; the JSON outcome of that file.
    static func upload(_ bytes: [UInt8], with client: any TestClientProtocol) async throws -> String? {
        try await client.execute(
            uri: "/api/v1/dicom/instances",
            method: .post,
            headers: [.contentType: "application/dicom"],
            body: ByteBuffer(bytes: bytes)
        ) { response in
            let instances = try JSONAPITests.json(response.body)["instances"] as? [[String: Any]]
            return instances?.first?["outcome"] as? String
        }
    }

    static func ctPath(_ archive: Archive) throws -> (InstanceRow, String) {
        let row = try #require(try archive.catalog.instances(inSeries: nil).first { $0.rows == 512 })
        return (row, "/api/v1/dicom/images/\(row.sopInstanceUID)/rendered?preset=lung")
    }

    @Test func hitAfterMissWithValidatorsAndClearCache() async throws {
        try await JSONAPITests.withArchive { router, archive in
            let (row, path) = try Self.ctPath(archive)
            try await Application(router: router).test(.router) { client in
                var tag = ""
                var first: [UInt8] = []
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.headers[.xCache] == "miss")
                    tag = try #require(response.headers[.eTag])
                    #expect(response.headers[.cacheControl]?.contains("max-age") == true)
                    first = Array(response.body.readableBytesView)
                }
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.headers[.xCache] == "l1")
                    #expect(response.headers[.eTag] == tag)
                    #expect(Array(response.body.readableBytesView) == first, "the cached bytes are the rendered bytes")
                }
                // The same render through another spelling of the same window shares the entry.
                try await client.execute(uri: "/api/v1/dicom/images/\(row.sopInstanceUID)/rendered?window=1500&level=-600", method: .get) {
                    response in
                    #expect(response.headers[.xCache] == "l1")
                }
                try await client.execute(uri: path, method: .get, headers: [.ifNoneMatch: "\"other\", \(tag)"]) { response in
                    #expect(response.status == .notModified)
                    #expect(response.body.readableBytes == 0 && response.headers[.eTag] == tag)
                }
                try await client.execute(uri: "/api/v1/dicom/images/\(row.sopInstanceUID)?preset=lung", method: .get) { response in
                    let body = try JSONAPITests.json(response.body)
                    #expect(body["cached"] as? Bool == true, "the JSON API's data URL is the same render: the same entry")
                }
                try await client.execute(uri: "/api/v1/dicom/clear-cache", method: .post) { _ in }
                try await client.execute(uri: path, method: .get, headers: [.ifNoneMatch: tag]) { response in
                    #expect(response.status == .ok && response.headers[.xCache] == "miss")
                    #expect(response.headers[.eTag] != tag, "a new generation, a new tag")
                }
                try await client.execute(uri: "/api/v1/metrics", method: .get) { response in
                    let cache = try #require(try JSONAPITests.json(response.body)["cache"] as? [String: Any])
                    #expect(cache["enabled"] as? Bool == true && (cache["hits"] as? Int ?? 0) >= 2)
                }
            }
        }
    }

    /// A render is kept for the configured time to live and not served after it. The clock is not
    /// waited on (a loaded machine would make that flaky): the entry's expiry is read, then the entry is
    /// put back already expired.
    @Test func aRenderExpiresAfterItsTimeToLive() async throws {
        var configuration = ServerConfiguration(version: "test")
        configuration.cache.renderedTimeToLive = .seconds(600)
        try await JSONAPITests.withArchive(configuration: configuration) { router, archive in
            let (row, path) = try Self.ctPath(archive)
            let key = CacheKeys.render(
                row,
                options: try JSONAPIRoutes<DicomRequestContext>.lungOptions(archive),
                png: .fast,
                generation: archive.cacheGeneration
            )
            try await Application(router: router).test(.router) { client in
                func cache() async throws -> String? {
                    try await client.execute(uri: path, method: .get) { $0.headers[.xCache] }
                }
                let before = ContinuousClock.now
                #expect(try await cache() == "miss")
                let entry = try #require(archive.caches.renders.value(for: key))
                #expect(entry.expires >= before + .seconds(600) && entry.expires <= .now + .seconds(600), "kept for the configured TTL")
                #expect(try await cache() == "l1")
                archive.caches.renders.insert(Expiring(entry.value, timeToLive: .seconds(-1)), for: key, cost: entry.value.bytes.count)
                #expect(try await cache() == "miss", "an expired entry is not served: rendered again")
                #expect(try await cache() == "l1", "and kept again")
            }
        }
    }

    @Test func concurrentMissesRenderOnce() async throws {
        try await JSONAPITests.withArchive { router, archive in
            let (_, path) = try Self.ctPath(archive)
            try await Application(router: router).test(.router) { client in
                try await withThrowingTaskGroup(of: String?.self) { group in
                    for _ in 0..<12 {
                        group.addTask { try await client.execute(uri: path, method: .get) { $0.headers[.eTag] } }
                    }
                    let tags = Set(try await group.reduce(into: []) { $0.append($1) })
                    #expect(tags.count == 1)
                }
            }
            #expect(archive.rendering.rendersPerformed == 1, "12 concurrent identical requests, one render")
        }
    }

    @Test func rewindowingReusesTheDecodedFrame() async throws {
        try await JSONAPITests.withArchive { router, archive in
            let (row, _) = try Self.ctPath(archive)
            try await Application(router: router).test(.router) { client in
                for window in ["-600,1500", "40,400", "300,1500"] {
                    try await client.execute(uri: WADORenderedTests.path(row) + "/rendered?window=\(window)", method: .get) { response in
                        #expect(response.status == .ok && response.headers[.xCache] == "miss")
                    }
                }
            }
            #expect(archive.rendering.rendersPerformed == 3)
            let frames = archive.caches.decodedFrames.statistics
            #expect(frames.misses == 1 && frames.hits == 2, "decoded once, windowed three times")
        }
    }

    @Test func replacingAnInstanceDropsItsCachedRenders() async throws {
        try await JSONAPITests.withArchive(files: ["pydicom/CT_small.dcm"]) { router, archive in
            let row = try #require(try archive.catalog.instances(inSeries: nil).first)
            let path = "/api/v1/dicom/images/\(row.sopInstanceUID)/rendered?window=400&level=40"
            let json = "/api/v1/dicom/images/\(row.sopInstanceUID)?window=400&level=40"
            @Sendable func dataURL(_ client: some TestClientProtocol) async throws -> String {
                try await client.execute(uri: json, method: .get) { try #require(try JSONAPITests.json($0.body)["image_data_url"] as? String) }
            }
            let replacement = try Self.replacement(of: row)
            try await Application(router: router).test(.router) { client in
                var before: [UInt8] = []
                try await client.execute(uri: path, method: .get) { before = Array($0.body.readableBytesView) }
                try await client.execute(uri: path, method: .get) { #expect($0.headers[.xCache] == "l1") }
                let urlBefore = try await dataURL(client)
                #expect(urlBefore == "data:image/png;base64," + Data(before).base64EncodedString(), "the data URL is the rendered image")
                #expect(try await dataURL(client) == urlBefore, "from the cached base64")
                #expect(try await Self.upload(replacement, with: client) == "replaced")
                var after: [UInt8] = []
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.headers[.xCache] == "miss")
                    after = Array(response.body.readableBytesView)
                    #expect(after != before, "rendered from the new pixels")
                }
                #expect(try await dataURL(client) == "data:image/png;base64," + Data(after).base64EncodedString(), "no stale base64")
            }
        }
    }
}

/// Series metadata: built once, kept plain and gzip-compressed, rebuilt when the series changes.
@Suite(.timeLimit(.minutes(10)))
struct SeriesMetadataCacheTests {
    @Test func servedCompressedFromTheCacheUntilTheSeriesChanges() async throws {
        try await JSONAPITests.withArchive(files: ["pydicom/CT_small.dcm"]) { router, archive in
            let row = try #require(try archive.catalog.instances(inSeries: nil).first)
            let path = "/dicomweb/studies/\(row.studyInstanceUID)/series/\(row.seriesInstanceUID)/metadata"
            try await Application(router: router).test(.router) { client in
                var plain = ByteBuffer()
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.headers[.xCache] == "miss" && response.headers[.contentEncoding] == nil)
                    plain = response.body
                }
                try await client.execute(uri: path, method: .get, headers: [.acceptEncoding: "br;q=1.0, gzip;q=0.8"]) { response in
                    #expect(response.headers[.xCache] == "l1" && response.headers[.contentEncoding] == "gzip")
                    #expect(response.headers[.vary] == "Accept-Encoding")
                    var compressed = response.body
                    #expect(compressed.readableBytes < plain.readableBytes / 2)
                    let inflated = try compressed.decompress(with: .gzip())
                    #expect(inflated == plain, "the gzip form inflates to the plain body")
                }
                try await client.execute(uri: path, method: .get, headers: [.acceptEncoding: "gzip;q=0"]) { response in
                    #expect(response.headers[.contentEncoding] == nil, "q=0 refuses gzip")
                }
                // Another instance of the series arrives: the cached document no longer applies.
                var dataSet = try DicomFile(path: row.filePath).dataSet(bulkThreshold: .max)
                dataSet.insert(DicomElement(tag: DicomTag(0x0008, 0x0018), vr: "UI", value: .text(["1.2.826.0.1.3680043.10.1526.99"])))
                let frame = try DicomFile(path: row.filePath).decodeFrame(1)
                let second = try Part10Writer.write(dataSet, pixelData: frame.bytes, bitsAllocated: 16)
                #expect(try await CacheTests.upload(second, with: client) == "stored")
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.headers[.xCache] == "miss")
                    let items = try JSONSerialization.jsonObject(with: Data(response.body.readableBytesView)) as? [Any]
                    #expect(items?.count == 2)
                }
            }
        }
    }
}
