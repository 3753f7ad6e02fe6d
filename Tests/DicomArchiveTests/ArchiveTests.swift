import DicomCodec
import DicomImaging
import DicomStorage
import DicomWeb
import Foundation
import LocalStorage
import Logging
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

@testable import DicomArchive

/// The application core without HTTP: an `Archive` over the real embedded engines (a SQLite file and
/// object files in a temporary data directory), driven through the parts the routes use.
struct ArchiveTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let corpus = repository.appendingPathComponent(".testdata/dicom")
    /// A 128×128 CT, a 64×64 MR series of one, and a multi-frame MR (emri_small: 10 frames).
    static let files = ["pydicom/CT_small.dcm", "pydicom/MR_small.dcm", "pydicom-data/emri_small.dcm"]

    /// An archive over a fresh data directory holding `files`, shut down and removed afterwards.
    static func withArchive(
        files: [String] = files,
        cache: CacheConfiguration = CacheConfiguration(),
        _ body: (Archive) async throws -> Void
    ) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("archive-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let catalog = try SQLiteCatalog(path: root.appendingPathComponent("catalog.sqlite").path)
        let store = try FileObjectStore(root: root.appendingPathComponent("objects").path)
        let summary = await Importer(catalog: catalog, store: store).importFiles(files.map { corpus.appendingPathComponent($0).path }, source: "test")
        try #require(summary.stored == files.count, "\(summary.rejected)")
        let archive = Archive(
            catalog: catalog,
            store: store,
            presets: try PresetLibrary.load(directory: repository.appendingPathComponent("presets").path),
            pool: WorkPool(threads: 2),
            filePool: WorkPool(threads: 2),
            retrieveLimits: RetrieveLimits(maxFramesPerRequest: 5, maxResponseBytes: 1 << 20),
            cache: cache
        )
        try await body(archive)
        try await archive.shutdown()
    }

    static func row(_ archive: Archive, rows: Int, frames: Int = 1) async throws -> InstanceRow {
        try #require(try await archive.queries.instances(inSeries: nil).first { $0.rows == rows && $0.numberOfFrames == frames })
    }

    // MARK: Rendering

    @Test func aRenderIsMadeOnceThenAnsweredFromTheCacheUnderItsKey() async throws {
        try await Self.withArchive { archive in
            let ct = try await Self.row(archive, rows: 128)
            var options = RenderOptions(voi: .window(Window(center: 40, width: 400)))
            let first = try await archive.rendering.render(ct, options: options)
            #expect(first.cache == .miss)
            #expect(first.key == CacheKeys.render(ct, options: options, png: .fast, generation: archive.cacheGeneration))
            #expect(first.entityTag == first.key?.entityTag)
            #expect(first.key?.parameters.contains("v=\(ct.contentVersion)") == true, "the key names the stored object's version")
            let second = try await archive.rendering.render(ct, options: options)
            #expect(second.cache == .l1 && second.bytes == first.bytes && second.entityTag == first.entityTag)
            #expect(archive.rendering.rendersPerformed == 1)
            options.voi = .window(Window(center: 40, width: 401))
            #expect(try await archive.rendering.render(ct, options: options).cache == .miss, "another window is another render")
            #expect(archive.rendering.rendersPerformed == 2)
        }
    }

    @Test func concurrentIdenticalRendersShareOneRender() async throws {
        try await Self.withArchive { archive in
            let ct = try await Self.row(archive, rows: 128)
            let results = try await withThrowingTaskGroup(of: RenderedImageResult.self) { group in
                for _ in 0..<8 { group.addTask { try await archive.rendering.render(ct, options: RenderOptions()) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.count == 8)
            #expect(Set(results.map(\.bytes)).count == 1)
            #expect(archive.rendering.rendersPerformed == 1)
        }
    }

    @Test func theViewportReachesThePipelineWhichResizes() async throws {
        try await Self.withArchive { archive in
            let ct = try await Self.row(archive, rows: 128)
            let full = try await archive.rendering.render(ct, options: RenderOptions())
            #expect(full.width == 128 && full.height == 128)
            let small = try await archive.rendering.render(ct, options: RenderOptions(viewport: Viewport(width: 32, height: 64)))
            #expect(small.width == 32 && small.height == 32, "fits the box, aspect kept")
            #expect(small.bytes != full.bytes)
        }
    }

    @Test func badParametersAreTypedErrorsAndRenderNothing() async throws {
        try await Self.withArchive { archive in
            let ct = try await Self.row(archive, rows: 128)
            await #expect(throws: ArchiveError.invalidParameter(name: "quality", reason: "must be 1–100")) {
                try await archive.rendering.render(ct, options: RenderOptions(format: .jpeg, quality: 0))
            }
            await #expect(throws: ArchiveError.invalidParameter(name: "frame", reason: "must be 1…1 for this instance")) {
                try await archive.rendering.render(ct, options: RenderOptions(frame: 2))
            }
            #expect(throws: ArchiveError.self) { try archive.rendering.voi(forPreset: "no-such-preset") }
            #expect(archive.rendering.rendersPerformed == 0)
        }
    }

    @Test func clearingTheCachesMovesTheGenerationAndRetiresEveryRender() async throws {
        try await Self.withArchive { archive in
            let ct = try await Self.row(archive, rows: 128)
            let before = try await archive.rendering.render(ct, options: RenderOptions())
            let generation = await archive.clearCaches()
            #expect(generation == archive.cacheGeneration && generation == (before.key?.generation ?? -1) + 1)
            let after = try await archive.rendering.render(ct, options: RenderOptions())
            #expect(after.cache == .miss && after.entityTag != before.entityTag && after.bytes == before.bytes)
        }
    }

    // MARK: Ingest and replacement

    @Test func aReplacementGetsNewKeysAndDropsWhatWasCachedOfTheOldObject() async throws {
        try await Self.withArchive { archive in
            let ct = try await Self.row(archive, rows: 128)
            let old = try await archive.rendering.render(ct, options: RenderOptions(voi: .window(Window(center: 0, width: 2000))))
            #expect(archive.caches.decodedFrames.statistics.entries == 1)
            let replacement = try Self.replacement(of: ct)
            guard case .replaced(let identity) = try await archive.ingest.ingest(replacement, source: "test") else {
                Issue.record("the second file of the same SOP Instance UID replaces the first")
                return
            }
            #expect(identity.sopInstanceUID == ct.sopInstanceUID)
            #expect(archive.caches.decodedFrames.statistics.entries == 0, "the old object's decoded frame is gone")
            #expect(archive.caches.renders.statistics.entries == 0, "and its renders")
            let current = try await archive.queries.instance(ct.sopInstanceUID)
            #expect(current.contentVersion != ct.contentVersion, "the row cache was dropped too")
            let new = try await archive.rendering.render(current, options: RenderOptions(voi: .window(Window(center: 0, width: 2000))))
            #expect(new.cache == .miss && new.entityTag != old.entityTag && new.bytes != old.bytes)
            #expect(try await archive.retrieval.objectBytes(current) == replacement)
        }
    }

    @Test func garbageIsRejectedAndStoresNothing() async throws {
        try await Self.withArchive { archive in
            let before = try await archive.queries.instances(inSeries: nil).count
            let outcome = try await archive.ingest.ingest(Array("not a DICOM file at all".utf8), source: "test")
            guard case .rejected = outcome else {
                Issue.record("garbage was not rejected: \(outcome)")
                return
            }
            #expect(try await archive.queries.instances(inSeries: nil).count == before)
            #expect(try await archive.queries.ingestions(limit: 1, offset: 0).first?.outcome == "rejected")
        }
    }

    // MARK: Retrieval and documents

    @Test func nativeFramesAreTheDecodedFramesAndLimitsHold() async throws {
        try await Self.withArchive { archive in
            let mr = try await Self.row(archive, rows: 64, frames: 10)
            let frames = try await archive.retrieval.frames(mr, numbers: [3, 1], representation: .uncompressed)
            let file = try DicomFile(path: mr.filePath)
            #expect(frames == [try file.decodeFrame(3), try file.decodeFrame(1)].map { Array($0.bytes.prefix($0.format.frameByteCount)) })
            await #expect(throws: ArchiveError.self, "six frames, five allowed") {
                try await archive.retrieval.frames(mr, numbers: [1, 2, 3, 4, 5, 6], representation: .uncompressed)
            }
            await #expect(throws: ArchiveError.self, "a frame twice") {
                try await archive.retrieval.frames(mr, numbers: [2, 2], representation: .uncompressed)
            }
            await #expect(throws: ArchiveError.self, "frame 11 of 10") {
                try await archive.retrieval.frames(mr, numbers: [11], representation: .uncompressed)
            }
            #expect(throws: ArchiveError.self, "all ten frames exceed the limit of five") { try archive.retrieval.allFrameNumbers(of: mr) }
        }
    }

    @Test func aDocumentIsBuiltOnceForAnyNumberOfRequests() async throws {
        try await Self.withArchive { archive in
            let mr = try await Self.row(archive, rows: 64, frames: 10)
            let key = CacheKeys.seriesMetadata(
                study: mr.studyInstanceUID,
                series: mr.seriesInstanceUID,
                version: try await archive.queries.seriesVersion(mr.seriesInstanceUID),
                base: "/dicomweb",
                mediaType: "application/dicom+json",
                generation: archive.cacheGeneration
            )
            let builds = BuildCounter()
            let outcomes = try await withThrowingTaskGroup(of: CacheOutcome.self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        try await archive.documents.document(key) {
                            builds.add()
                            return CachedDocument(plain: Array("[]".utf8), gzip: [], contentType: "application/dicom+json")
                        }.cache
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(builds.count == 1)
            #expect(outcomes.count == 4)
            #expect(try await archive.documents.document(key) { throw CancellationError() }.cache == .l1)
        }
    }

    @Test func theThumbnailOfASeriesIsItsMiddleImage() async throws {
        try await Self.withArchive(files: ["pydicom/CT_small.dcm", "pydicom/MR_small.dcm"]) { archive in
            let ct = try await Self.row(archive, rows: 128)
            let chosen = try await archive.queries.representativeInstance(study: ct.studyInstanceUID, series: ct.seriesInstanceUID)
            #expect(chosen.sopInstanceUID == ct.sopInstanceUID)
            await #expect(throws: ArchiveError.notFound(kind: "series", uid: "1.2.3")) {
                try await archive.queries.representativeInstance(study: ct.studyInstanceUID, series: "1.2.3")
            }
        }
    }

    // MARK: Lifecycle

    @Test func theArchivesServicesStopWithTheGroupAndItsPoolsRefuseAfterwards() async throws {
        try await Self.withArchive { archive in
            let group = ServiceGroup(configuration: .init(services: archive.services, logger: Logger(label: "test")))
            try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let ct = try await Self.row(archive, rows: 128)
                _ = try await archive.rendering.render(ct, options: RenderOptions())
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
            }
            await #expect(throws: (any Error).self, "the file pool is stopped") {
                try await archive.queries.instances(inSeries: nil)
            }
        }
    }

    /// The same instance (same UIDs) with other pixels, every stored value plus `offset`, as Part 10 bytes.
    static func replacement(of row: InstanceRow, offset: Int16 = 100) throws -> [UInt8] {
        try ReplacementObjects.shiftingPixels(of: row.filePath, by: offset)
    }
}

/// Counts calls from concurrent tasks.
final class BuildCounter: Sendable {
    private let value = Mutex(0)
    func add() { value.withLock { $0 += 1 } }
    var count: Int { value.withLock { $0 } }
}
