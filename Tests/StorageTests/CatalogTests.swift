import DicomCodec
import DicomStorage
import DicomWeb
import Foundation
import GRDB
import Testing

@testable import LocalStorage

/// The catalog on real SQLite files, filled from real DICOM files of the test corpus.
struct CatalogTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".testdata/dicom")

    /// A fresh catalog file in its own directory, removed afterwards.
    func withCatalog(_ body: (SQLiteCatalog, String) throws -> Void) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("catalog-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("catalog.sqlite").path
        try body(try SQLiteCatalog(path: path), path)
    }

    static func indexed(_ relative: String) throws -> IndexedInstance {
        let path = corpus.appendingPathComponent(relative).path
        let file = try DicomFile(path: path)
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
        let location = PixelDataLocator.locate(in: [UInt8](FileManager.default.contents(atPath: path) ?? Data()))
        return try IndexedInstance(
            dataSet: file.dataSet(),
            transferSyntaxUID: file.transferSyntaxUID,
            filePath: path,
            fileSize: size,
            pixelData: location
        )
    }

    static let files = [
        "pydicom-data/693_UNCR.dcm", "pydicom/CT_small.dcm", "pydicom/MR_small.dcm", "pydicom-data/emri_small.dcm",
        "pydicom-data/MR2_UNCR.dcm", "pydicom-data/RG1_UNCR.dcm", "pydicom-data/US1_UNCR.dcm",
    ]

    func query(_ items: [(String, String)]) throws -> QIDOQuery {
        try QIDOQuery(items: items.map { (name: $0.0, value: $0.1) })
    }

    @Test func realFilesAreCataloguedAndQueried() throws {
        try withCatalog { catalog, _ in
            let instances = try Self.files.map(Self.indexed)
            for instance in instances { #expect(try catalog.index(instance) == .inserted) }

            let all = try catalog.studies(matching: QIDOQuery())
            #expect(all.total == Set(instances.map(\.studyInstanceUID)).count)
            #expect(all.rows.reduce(0) { $0 + $1.numberOfInstances } == instances.count)

            let ct = try catalog.studies(matching: query([("ModalitiesInStudy", "CT")]))
            #expect(ct.rows.allSatisfy { $0.modalitiesInStudy?.split(separator: "\\").contains("CT") == true })
            #expect(ct.total == Set(instances.filter { $0.modality == "CT" }.map(\.studyInstanceUID)).count)

            let mr = instances.first { $0.modality == "MR" && !$0.patientName.isEmpty }!
            let namePrefix = String(mr.patientName.prefix(3)) + "*"
            let byName = try catalog.studies(matching: query([("PatientName", namePrefix)]))
            #expect(byName.rows.contains { $0.studyInstanceUID == mr.studyInstanceUID })
            #expect(byName.rows.allSatisfy { $0.patientName.hasPrefix(String(namePrefix.dropLast())) })

            let uids = instances.prefix(2).map(\.studyInstanceUID)
            let listed = try catalog.studies(matching: query([("StudyInstanceUID", uids.joined(separator: ","))]))
            #expect(Set(listed.rows.map(\.studyInstanceUID)) == Set(uids))

            let paged = try catalog.studies(matching: query([("limit", "2"), ("offset", "1")]))
            #expect(paged.rows.count == min(2, all.total - 1))
            #expect(paged.total == all.total)

            let instance = try #require(try catalog.instance(instances[0].sopInstanceUID))
            #expect(instance.rows == 512 && instance.columns == 512 && instance.transferSyntaxUID == "1.2.840.10008.1.2.1")
            #expect(instance.studyInstanceUID == instances[0].studyInstanceUID)
            // 693_UNCR: 512 × 512 × 2 bytes of native pixel data, located for direct reads.
            #expect(instance.pixelDataLength == 524_288)
            #expect((instance.pixelDataOffset ?? 0) > 132)
        }
    }

    @Test func dateRangesAndFuzzyNames() throws {
        try withCatalog { catalog, _ in
            for (index, date) in ["20190102", "20200615", "20211231"].enumerated() {
                var instance = try Self.indexed("pydicom/CT_small.dcm")
                instance.studyInstanceUID = "1.2.3.\(index)"
                instance.seriesInstanceUID = "1.2.3.\(index).1"
                instance.sopInstanceUID = "1.2.3.\(index).1.1"
                instance.studyDate = date
                instance.patientName = index == 0 ? "Doe^John" : "Roe^Jane"
                try catalog.index(instance)
            }
            func uids(_ items: [(String, String)]) throws -> [String] {
                try catalog.studies(matching: query(items)).rows.map(\.studyInstanceUID).sorted()
            }
            #expect(try uids([("StudyDate", "20200101-20201231")]) == ["1.2.3.1"])
            #expect(try uids([("StudyDate", "20200101-")]) == ["1.2.3.1", "1.2.3.2"])
            #expect(try uids([("StudyDate", "-20200615")]) == ["1.2.3.0", "1.2.3.1"])
            #expect(try uids([("PatientName", "doe*")]) == [])
            #expect(try uids([("PatientName", "doe*"), ("fuzzymatching", "true")]) == ["1.2.3.0"])
            #expect(try uids([("PatientName", "R?e^J*")]) == ["1.2.3.1", "1.2.3.2"])
            // SQL metacharacters in values are data, not syntax.
            #expect(try uids([("PatientName", "%' OR 1=1 --")]) == [])
            // Free text: any of name, ID, accession, description; literal, case-insensitive.
            func text(_ value: String) throws -> [String] {
                try catalog.studies(matching: query([]), text: value).rows.map(\.studyInstanceUID).sorted()
            }
            #expect(try text("JANE") == ["1.2.3.1", "1.2.3.2"])
            #expect(try text("e^j") == ["1.2.3.0", "1.2.3.1", "1.2.3.2"])
            #expect(try text("%") == [])
            #expect(try text("R_e") == [])
        }
    }

    @Test func reindexingIsIdempotentAndReportsReplacement() throws {
        try withCatalog { catalog, path in
            var instance = try Self.indexed("pydicom/MR_small.dcm")
            #expect(try catalog.index(instance) == .inserted)
            #expect(try catalog.index(instance) == .unchanged)
            let original = instance.filePath
            instance.filePath = "/elsewhere/MR_small.dcm"
            #expect(try catalog.index(instance) == .replaced(previousLocation: original))
            #expect(try catalog.instances(inSeries: instance.seriesInstanceUID).count == 1)
            // Reopening migrates nothing and keeps the data.
            let reopened = try SQLiteCatalog(path: path)
            #expect(try reopened.instance(instance.sopInstanceUID)?.filePath == "/elsewhere/MR_small.dcm")
            let mode = try DatabaseQueue(path: path).read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
            #expect(mode == "wal")
        }
    }

    @Test func instancesComeInSliceOrder() throws {
        try withCatalog { catalog, _ in
            let base = try Self.indexed("pydicom/CT_small.dcm")
            for number in [3, 1, 10, 2] {
                var instance = base
                instance.sopInstanceUID = base.sopInstanceUID + ".\(number)"
                instance.instanceNumber = number
                try catalog.index(instance)
            }
            let numbers = try catalog.instances(inSeries: base.seriesInstanceUID).map(\.instanceNumber)
            #expect(numbers == [1, 2, 3, 10])
            let series = try catalog.series(inStudy: base.studyInstanceUID)
            #expect(series.map(\.numberOfInstances) == [4])
            #expect(try catalog.instances(inSeries: nil, matching: query([("InstanceNumber", "10")])).count == 1)
        }
    }

    @Test func deletingTheLastInstanceOfASeriesRemovesTheSeriesAndThenTheStudy() throws {
        try withCatalog { catalog, _ in
            var first = try Self.indexed("pydicom/CT_small.dcm")
            (first.studyInstanceUID, first.seriesInstanceUID, first.sopInstanceUID) = ("1.2.9", "1.2.9.1", "1.2.9.1.1")
            var second = first
            second.sopInstanceUID = "1.2.9.1.2"
            try catalog.index(first)
            try catalog.index(second)
            #expect(try catalog.deleteInstance("1.2.9.1.1")?.sopInstanceUID == "1.2.9.1.1")
            #expect(try catalog.instance("1.2.9.1.1") == nil)
            #expect(try catalog.series(inStudy: "1.2.9").map(\.numberOfInstances) == [1], "the series keeps its other instance")
            #expect(try catalog.deleteInstance("1.2.9.1.2") != nil)
            #expect(try catalog.series(inStudy: "1.2.9").isEmpty)
            #expect(try catalog.studies(matching: QIDOQuery(items: [("StudyInstanceUID", "1.2.9")])).total == 0)
            #expect(try catalog.deleteInstance("1.2.9.1.2") == nil, "deleting what is gone answers nil")
        }
    }

    @Test func ingestionAndAuditLogs() throws {
        try withCatalog { catalog, _ in
            try catalog.logIngestion(source: "import /data/a.dcm", outcome: "stored", sopInstanceUID: "1.2")
            try catalog.logIngestion(source: "import /data/b.dcm", outcome: "rejected", reason: "not a DICOM file")
            let log = try catalog.ingestions()
            #expect(log.map(\.outcome) == ["rejected", "stored"])
            #expect(log.first?.reason == "not a DICOM file")
        }
    }

    @Test func auditRowsAreFilteredNewestFirst() throws {
        try withCatalog { catalog, _ in
            let start = Date()
            try catalog.logAccess([
                AuditRow(principal: "key:alice", clientAddress: "10.0.0.1", route: "/dicomweb/studies", query: "PatientID=7", status: 200),
                AuditRow(principal: "key:bob", clientAddress: "10.0.0.2", route: "/dicomweb/studies/:study", studyInstanceUID: "1.2", status: 200),
                AuditRow(
                    principal: nil,
                    clientAddress: "10.0.0.3",
                    route: "/dicomweb/studies/:study/series/:series",
                    studyInstanceUID: "1.2",
                    seriesInstanceUID: "1.2.3",
                    status: 401
                ),
            ])
            #expect(try catalog.audit().map(\.clientAddress) == ["10.0.0.3", "10.0.0.2", "10.0.0.1"])
            #expect(try catalog.audit(AuditFilter(principal: "key:alice")).first?.query == "PatientID=7")
            #expect(try catalog.audit(AuditFilter(uid: "1.2")).count == 2)
            #expect(try catalog.audit(AuditFilter(uid: "1.2.3")).map(\.status) == [401])
            #expect(try catalog.audit(AuditFilter(status: 401)).count == 1)
            #expect(try catalog.audit(AuditFilter(since: start.addingTimeInterval(-60), limit: 2)).count == 2)
            #expect(try catalog.audit(AuditFilter(until: start.addingTimeInterval(-60))).isEmpty)
        }
    }

    @Test func missingIdentifiersAreRefused() {
        #expect(throws: IndexedInstance.MissingIdentifier(keyword: "StudyInstanceUID")) {
            try IndexedInstance(dataSet: DicomDataSet(), transferSyntaxUID: "1.2.840.10008.1.2.1", filePath: "/x", fileSize: 0)
        }
    }
}
