import DicomCodec
import DicomStorage
import Foundation
import Testing

@testable import LocalStorage

/// Importing real files into a real data directory: copies, catalog rows, the ingestion log.
struct ImporterTests {
    static let good = ["pydicom-data/693_UNCR.dcm", "pydicom/CT_small.dcm", "pydicom-data/emri_small.dcm"]

    struct DataDirectory {
        let root: URL
        let catalog: SQLiteCatalog
        let store: FileObjectStore
        let inbox: URL

        init() throws {
            root = FileManager.default.temporaryDirectory.appendingPathComponent("import-\(UUID().uuidString)")
            inbox = root.appendingPathComponent("inbox")
            try FileManager.default.createDirectory(at: inbox.appendingPathComponent("nested"), withIntermediateDirectories: true)
            catalog = try SQLiteCatalog(path: root.appendingPathComponent("catalog.sqlite").path)
            store = try FileObjectStore(root: root.appendingPathComponent("objects").path)
        }

        func add(_ bytes: [UInt8], as name: String) {
            _ = FileManager.default.createFile(atPath: inbox.appendingPathComponent(name).path, contents: Data(bytes))
        }

        func remove() { try? FileManager.default.removeItem(at: root) }
    }

    static func corpus(_ relative: String) -> [UInt8] {
        [UInt8](FileManager.default.contents(atPath: CatalogTests.corpus.appendingPathComponent(relative).path) ?? Data())
    }

    @Test func importsGoodFilesRejectsBadOnesAndLogsEverything() async throws {
        let directory = try DataDirectory()
        defer { directory.remove() }
        for (index, file) in Self.good.enumerated() { directory.add(Self.corpus(file), as: index == 0 ? "nested/ct.dcm" : "file\(index).dcm") }
        directory.add(Array("definitely not dicom".utf8), as: "junk.dcm")
        directory.add(Array(Self.corpus("pydicom/CT_small.dcm").prefix(700)), as: "truncated.dcm")
        directory.add([], as: ".hidden.dcm")

        let importer = Importer(catalog: directory.catalog, store: directory.store)
        let files = Importer.files(under: [directory.inbox.path])
        #expect(files.count == 5, "hidden files are skipped")
        let summary = await importer.importFiles(files, source: "test")
        #expect(summary.stored == 3)
        #expect(summary.rejected.count == 2)
        #expect(summary.rejected.contains { $0.path.hasSuffix("junk.dcm") && $0.reason.contains("DICM") })

        // Each stored copy is byte-identical to its source and lives under the store, named by its UIDs.
        for instance in try directory.catalog.instances(inSeries: nil) {
            #expect(instance.filePath.hasPrefix(directory.store.root + "/" + instance.studyInstanceUID + "/"))
            #expect(instance.filePath.hasSuffix("/" + instance.sopInstanceUID + ".dcm"))
            let copy = [UInt8](FileManager.default.contents(atPath: instance.filePath) ?? Data())
            #expect(Self.good.map(Self.corpus).contains(copy))
        }
        let log = try directory.catalog.ingestions()
        #expect(log.count == 5)
        #expect(log.filter { $0.outcome == "rejected" }.allSatisfy { $0.reason?.isEmpty == false })
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.store.root + "/.incoming").isEmpty)

        // Again: nothing changes.
        let again = await importer.importFiles(files, source: "test")
        #expect(again.unchanged == 3 && again.stored == 0 && again.replaced == 0)
    }

    @Test func differentBytesForTheSameInstanceReplaceIt() async throws {
        let directory = try DataDirectory()
        defer { directory.remove() }
        let importer = Importer(catalog: directory.catalog, store: directory.store)
        var bytes = Self.corpus("pydicom/CT_small.dcm")
        directory.add(bytes, as: "a.dcm")
        #expect(importer.importFile(at: directory.inbox.appendingPathComponent("a.dcm").path, source: "test").name == "stored")
        bytes[bytes.count - 10] ^= 0xFF  // a pixel changes
        directory.add(bytes, as: "b.dcm")
        let outcome = importer.importFile(at: directory.inbox.appendingPathComponent("b.dcm").path, source: "test")
        #expect(outcome.name == "replaced")
        let row = try #require(try directory.catalog.instances(inSeries: nil).first)
        #expect([UInt8](FileManager.default.contents(atPath: row.filePath) ?? Data()) == bytes)
    }

    @Test func inPlaceIndexesWithoutCopying() async throws {
        let directory = try DataDirectory()
        defer { directory.remove() }
        directory.add(Self.corpus("pydicom/MR_small.dcm"), as: "mr.dcm")
        let importer = Importer(catalog: directory.catalog, store: directory.store, inPlace: true)
        let summary = await importer.importFiles(Importer.files(under: [directory.inbox.path]), source: "test")
        #expect(summary.stored == 1)
        #expect(try directory.catalog.instances(inSeries: nil).first?.filePath == directory.inbox.appendingPathComponent("mr.dcm").path)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.store.root).filter { !$0.hasPrefix(".") }.isEmpty)
    }

    @Test func uidsCannotEscapeTheStore() throws {
        let store = try FileObjectStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID())").path)
        defer { try? FileManager.default.removeItem(atPath: store.root) }
        for bad in ["..", "../../etc", "1.2/3", "1.2..3", ".1.2", "", String(repeating: "1", count: 65), "1.2.3\u{0}"] {
            #expect(throws: StorageFailure.self, "\(bad)") { try store.location(study: "1.2", series: "1.3", instance: bad) }
        }
        #expect(try store.location(study: "1.2", series: "1.3", instance: "1.4") == store.root + "/1.2/1.3/1.4.dcm")
    }

    @Test func staleTemporaryFilesAreRemoved() throws {
        let store = try FileObjectStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID())").path)
        defer { try? FileManager.default.removeItem(atPath: store.root) }
        #expect(FileManager.default.createFile(atPath: store.root + "/.incoming/crashed.part", contents: Data([1, 2, 3])))
        #expect(store.removeStaleTemporaryFiles() == 1)
        let path = try store.location(study: "1.2", series: "1.3", instance: "1.4")
        func put(_ bytes: [UInt8]) throws -> Bool {
            let staged = try StagedFile(in: store)
            try staged.append(bytes)
            return try store.put(staged.path, sha256: try FileDigest.of(staged.path).sha256, at: path, moving: true)
        }
        #expect(try put([1, 2, 3]))
        #expect(try !put([1, 2, 3]), "identical bytes are not written again")
        #expect(try put([1, 2, 4]))
        #expect(FileManager.default.contents(atPath: path) == Data([1, 2, 4]))
        #expect(try FileManager.default.contentsOfDirectory(atPath: store.stagingDirectory).isEmpty, "nothing staged is left behind")
    }

    /// The object-storage protocol on the file system: whole and ranged reads, listing, deleting only
    /// what the store owns.
    @Test func storedObjectsAreReadListedAndDeleted() throws {
        let store = try FileObjectStore(root: FileManager.default.temporaryDirectory.appendingPathComponent("store-\(UUID())").path)
        defer { try? FileManager.default.removeItem(atPath: store.root) }
        let location = try store.location(study: "1.2", series: "1.3", instance: "1.4")
        let staged = try StagedFile(in: store)
        try staged.append(Array(0..<200))
        #expect(try store.put(staged.path, sha256: try FileDigest.of(staged.path).sha256, at: location, moving: false))
        #expect(try store.read(location) == Array(0..<200))
        #expect(try store.read(location, ranges: [10..<13, 0..<2, 199..<200]) == [[10, 11, 12], [0, 1], [199]])
        #expect(throws: StorageFailure.self) { try store.read(location, ranges: [150..<250]) }
        #expect(try store.list() == [location], "staged files are not objects")
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("outside-\(UUID()).dcm").path
        #expect(FileManager.default.createFile(atPath: outside, contents: Data([1])))
        defer { unlink(outside) }
        #expect(!store.owns(outside))
        try store.delete(outside)
        #expect(FileManager.default.fileExists(atPath: outside), "a file indexed in place is never deleted")
        try store.delete(location)
        #expect(try store.list().isEmpty)
        #expect(throws: StorageFailure.self) { try store.read(location) }
        try store.delete(location)  // already gone: not an error
    }
}
