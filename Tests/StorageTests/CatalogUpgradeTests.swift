import DicomStorage
import Foundation
import GRDB
import Testing

@testable import LocalStorage

/// A catalog written by an older version is upgraded in place when opened: its rows survive every
/// later migration and read back through today's catalog.
struct CatalogUpgradeTests {
    @Test func aVersion4CatalogIsUpgradedWithItsRows() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("upgrade-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let current = directory.appendingPathComponent("current.sqlite").path
        let old = directory.appendingPathComponent("old.sqlite").path

        // Today's rows, made by today's code.
        let today = try SQLiteCatalog(path: current)
        for file in ["pydicom/CT_small.dcm", "pydicom-data/emri_small.dcm"] { try today.index(try CatalogTests.indexed(file)) }
        let expected = try today.instances(inSeries: nil).map(\.sopInstanceUID).sorted()
        try #require(expected.count == 2)

        // The same rows in a catalog at v4, before `contentHash` existed: the columns v4 had, copied over.
        let queue = try DatabaseQueue(path: old)
        try CatalogSchema.migrator.migrate(queue, upTo: "v4: audit rows stand for one access or an aggregate of refusals")
        try queue.inDatabase { db in
            try db.execute(sql: "ATTACH DATABASE ? AS today", arguments: [current])
            for table in ["patient", "study", "series", "instance"] {
                let columns = try Row.fetchAll(db, sql: "PRAGMA main.table_info(\(table))").map { $0["name"] as String }
                let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
                try db.execute(sql: "INSERT INTO main.\(table) (\(list)) SELECT \(list) FROM today.\(table)")
            }
            try db.execute(sql: "DETACH DATABASE today")
            #expect(try !db.columns(in: "instance").contains { $0.name == "contentHash" }, "really the old schema")
        }
        try queue.close()

        // Opened by today's catalog: migrated to the newest version, the rows intact and usable.
        let upgraded = try SQLiteCatalog(path: old)
        #expect(try upgraded.instances(inSeries: nil).map(\.sopInstanceUID).sorted() == expected)
        let applied = try DatabaseQueue(path: old).read { try CatalogSchema.migrator.appliedIdentifiers($0) }
        #expect(applied.count == 5 && applied.contains("v5: the content hash of each stored object"))
        // New rows go in beside them.
        try upgraded.index(try CatalogTests.indexed("pydicom/MR_small.dcm"))
        #expect(try upgraded.instances(inSeries: nil).count == 3)
    }
}
