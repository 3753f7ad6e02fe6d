import DicomStorage
import DicomWeb
import Foundation
import GRDB

/// The embedded catalog: one SQLite file in WAL mode (GRDB). Safe to share between tasks; reads run
/// concurrently with a writer.
public final class SQLiteCatalog: Catalog {
    private let database: DatabasePool

    /// Opens (creating and migrating as needed) the catalog at `path`. GRDB's pool uses WAL mode.
    /// Opens (creating if needed) and migrates the catalog at `path`. A file that cannot be a catalog
    /// is a `StorageFailure` saying why in words.
    public init(path: String) throws {
        var configuration = Configuration()
        configuration.foreignKeysEnabled = true
        configuration.busyMode = .timeout(5)
        do {
            database = try DatabasePool(path: path, configuration: configuration)
            try CatalogSchema.migrator.migrate(database)
        } catch let error as DatabaseError {
            switch error.resultCode {
            case .SQLITE_NOTADB, .SQLITE_CORRUPT:
                throw StorageFailure(reason: "the catalog \(path) is not a SQLite database (or is damaged)")
            case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY:
                throw StorageFailure(reason: "the catalog \(path) cannot be opened for writing (a directory, or permission denied)")
            default:
                throw StorageFailure(reason: "the catalog \(path) cannot be opened: \(error.message ?? "\(error.resultCode)")")
            }
        }
    }

    // MARK: Indexing

    /// Records an instance and its patient, study and series in one transaction.
    @discardableResult
    public func index(_ instance: IndexedInstance) throws -> IndexOutcome {
        try database.write { db in
            let previous = try String.fetchOne(
                db,
                sql: "SELECT filePath FROM instance WHERE sopInstanceUID = ?",
                arguments: [instance.sopInstanceUID]
            )
            try db.execute(
                sql: """
                    INSERT INTO patient (patientID, patientName, birthDate, sex) VALUES (?, ?, ?, ?)
                    ON CONFLICT (patientID, patientName) DO UPDATE SET birthDate = coalesce(excluded.birthDate, birthDate),
                        sex = coalesce(excluded.sex, sex)
                    """,
                arguments: [instance.patientID, instance.patientName, instance.patientBirthDate, instance.patientSex]
            )
            let patient = try Int64.fetchOne(
                db,
                sql: "SELECT id FROM patient WHERE patientID = ? AND patientName = ?",
                arguments: [instance.patientID, instance.patientName]
            )
            try db.execute(
                sql: """
                    INSERT INTO study (studyInstanceUID, patientId, studyDate, studyTime, accessionNumber, studyDescription,
                        studyID, referringPhysicianName) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (studyInstanceUID) DO UPDATE SET patientId = excluded.patientId,
                        studyDate = excluded.studyDate, studyTime = excluded.studyTime, accessionNumber = excluded.accessionNumber,
                        studyDescription = excluded.studyDescription, studyID = excluded.studyID,
                        referringPhysicianName = excluded.referringPhysicianName
                    """,
                arguments: [
                    instance.studyInstanceUID, patient, instance.studyDate, instance.studyTime, instance.accessionNumber,
                    instance.studyDescription, instance.studyID, instance.referringPhysicianName,
                ]
            )
            try db.execute(
                sql: """
                    INSERT INTO series (seriesInstanceUID, studyInstanceUID, modality, seriesNumber, seriesDescription, seriesDate,
                        bodyPartExamined) VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (seriesInstanceUID) DO UPDATE SET studyInstanceUID = excluded.studyInstanceUID,
                        modality = excluded.modality, seriesNumber = excluded.seriesNumber,
                        seriesDescription = excluded.seriesDescription, seriesDate = excluded.seriesDate,
                        bodyPartExamined = excluded.bodyPartExamined
                    """,
                arguments: [
                    instance.seriesInstanceUID, instance.studyInstanceUID, instance.modality, instance.seriesNumber,
                    instance.seriesDescription, instance.seriesDate, instance.bodyPartExamined,
                ]
            )
            func multiValue(_ values: [Double]) -> String? {
                values.isEmpty ? nil : values.map { String($0) }.joined(separator: "\\")
            }
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO instance (sopInstanceUID, seriesInstanceUID, sopClassUID, instanceNumber, rows, columns,
                        numberOfFrames, bitsAllocated, bitsStored, pixelRepresentation, samplesPerPixel, photometricInterpretation,
                        transferSyntaxUID, imagePositionPatient, imageOrientationPatient, sliceLocation, windowCenter, windowWidth,
                        rescaleSlope, rescaleIntercept, filePath, fileSize, pixelDataOffset, pixelDataLength, storedAt, contentHash)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    instance.sopInstanceUID, instance.seriesInstanceUID, instance.sopClassUID, instance.instanceNumber,
                    instance.rows, instance.columns, instance.numberOfFrames, instance.bitsAllocated, instance.bitsStored,
                    instance.pixelRepresentation, instance.samplesPerPixel, instance.photometricInterpretation,
                    instance.transferSyntaxUID, multiValue(instance.imagePositionPatient),
                    multiValue(instance.imageOrientationPatient), instance.sliceLocation, multiValue(instance.windowCenter),
                    multiValue(instance.windowWidth), instance.rescaleSlope, instance.rescaleIntercept, instance.filePath,
                    instance.fileSize, instance.pixelDataOffset, instance.pixelDataLength, Date(), instance.contentHash,
                ]
            )
            if let metadata = instance.metadataJSON {
                try db.execute(
                    sql: "INSERT OR REPLACE INTO instance_metadata (sopInstanceUID, json) VALUES (?, ?)",
                    arguments: [instance.sopInstanceUID, metadata]
                )
            }
            guard let previous else { return .inserted }
            return previous == instance.filePath ? .unchanged : .replaced(previousLocation: previous)
        }
    }

    // MARK: Queries

    /// Studies matching a QIDO-RS query, newest first, with the total before limit/offset. `text`, when
    /// given, must also appear in the patient's name or ID, the accession number or the description.
    public func studies(matching query: QIDOQuery, text: String?) throws -> (rows: [StudyRow], total: Int) {
        var filter = SQLWhere()
        if let text, !text.isEmpty {
            filter.containsText(text, in: ["patient.patientName", "patient.patientID", "study.accessionNumber", "study.studyDescription"])
        }
        filter.add(query) { attribute in
            switch attribute.keyword {
            case "PatientName": "patient.patientName"
            case "PatientID": "patient.patientID"
            case "PatientBirthDate": "patient.birthDate"
            case "PatientSex": "patient.sex"
            case "StudyDate", "StudyTime", "AccessionNumber", "StudyDescription", "StudyInstanceUID", "StudyID", "ReferringPhysicianName":
                "study." + Self.lowerFirst(attribute.keyword)
            default: nil  // not a study-level key: ignored, as PS3.18 allows for unsupported keys
            }
        }
        for modalities in query.filters where modalities.attribute.keyword == "ModalitiesInStudy" {
            var inner = SQLWhere()
            inner.add(modalities.match, column: "s2.modality", vr: "CS", fuzzy: false)
            filter.exists("SELECT 1 FROM series s2 WHERE s2.studyInstanceUID = study.studyInstanceUID", inner)
        }
        let whereClause = filter.clause
        let arguments = filter.arguments
        let from = "FROM study JOIN patient ON patient.id = study.patientId \(whereClause)"
        return try database.read { db in
            let total = try Int.fetchOne(db, sql: "SELECT count(*) \(from)", arguments: StatementArguments(arguments)) ?? 0
            let rows = try StudyRow.fetchAll(
                db,
                sql: """
                    SELECT study.studyInstanceUID, patient.patientID, patient.patientName, patient.birthDate AS patientBirthDate,
                        patient.sex AS patientSex, study.studyDate, study.studyTime, study.accessionNumber, study.studyDescription,
                        study.studyID, study.referringPhysicianName,
                        (SELECT group_concat(modality, '\\') FROM (SELECT DISTINCT modality FROM series
                            WHERE series.studyInstanceUID = study.studyInstanceUID AND modality IS NOT NULL ORDER BY modality))
                            AS modalitiesInStudy,
                        (SELECT count(*) FROM series WHERE series.studyInstanceUID = study.studyInstanceUID) AS numberOfSeries,
                        (SELECT count(*) FROM instance JOIN series ON series.seriesInstanceUID = instance.seriesInstanceUID
                            WHERE series.studyInstanceUID = study.studyInstanceUID) AS numberOfInstances
                    \(from)
                    ORDER BY study.studyDate DESC, study.studyTime DESC, study.studyInstanceUID
                    LIMIT ? OFFSET ?
                    """,
                arguments: StatementArguments(arguments + [query.limit ?? -1, query.offset])
            )
            return (rows, total)
        }
    }

    /// Series of a study (or of any study when nil) matching a query, by series number.
    public func series(inStudy study: String?, matching query: QIDOQuery) throws -> [SeriesRow] {
        var filter = SQLWhere()
        if let study { filter.equals("series.studyInstanceUID", study) }
        filter.add(query) { attribute in
            switch attribute.keyword {
            case "Modality", "SeriesInstanceUID", "SeriesNumber", "SeriesDescription", "SeriesDate", "StudyInstanceUID":
                "series." + Self.lowerFirst(attribute.keyword)
            default: nil
            }
        }
        let whereClause = filter.clause
        let arguments = filter.arguments
        return try database.read { db in
            try SeriesRow.fetchAll(
                db,
                sql: """
                    SELECT series.seriesInstanceUID, series.studyInstanceUID, series.modality, series.seriesNumber,
                        series.seriesDescription, series.seriesDate, series.bodyPartExamined,
                        (SELECT count(*) FROM instance WHERE instance.seriesInstanceUID = series.seriesInstanceUID) AS numberOfInstances
                    FROM series \(whereClause)
                    ORDER BY series.seriesNumber IS NULL, series.seriesNumber, series.seriesInstanceUID
                    LIMIT ? OFFSET ?
                    """,
                arguments: StatementArguments(arguments + [query.limit ?? -1, query.offset])
            )
        }
    }

    /// Instances of a series (or of any series when nil) matching a query, in slice order: instance
    /// number, then slice location, then UID.
    public func instances(inSeries series: String?, matching query: QIDOQuery) throws -> [InstanceRow] {
        var filter = SQLWhere()
        if let series { filter.equals("instance.seriesInstanceUID", series) }
        filter.add(query) { attribute in
            switch attribute.keyword {
            case "SOPInstanceUID", "SOPClassUID", "InstanceNumber", "SeriesInstanceUID", "Rows", "Columns", "NumberOfFrames":
                "instance." + Self.lowerFirst(attribute.keyword)
            case "StudyInstanceUID": "series.studyInstanceUID"
            case "Modality": "series.modality"
            default: nil
            }
        }
        let whereClause = filter.clause
        let arguments = filter.arguments
        return try database.read { db in
            try InstanceRow.fetchAll(
                db,
                sql: """
                    SELECT instance.*, series.studyInstanceUID FROM instance
                    JOIN series ON series.seriesInstanceUID = instance.seriesInstanceUID \(whereClause)
                    ORDER BY instance.instanceNumber IS NULL, instance.instanceNumber, instance.sliceLocation, instance.sopInstanceUID
                    LIMIT ? OFFSET ?
                    """,
                arguments: StatementArguments(arguments + [query.limit ?? -1, query.offset])
            )
        }
    }

    /// One instance by SOP Instance UID.
    public func instance(_ sopInstanceUID: String) throws -> InstanceRow? {
        try database.read { db in try Self.instanceRow(sopInstanceUID, in: db) }
    }

    private static func instanceRow(_ sopInstanceUID: String, in db: Database) throws -> InstanceRow? {
        try InstanceRow.fetchOne(
            db,
            sql: """
                SELECT instance.*, series.studyInstanceUID FROM instance
                JOIN series ON series.seriesInstanceUID = instance.seriesInstanceUID WHERE sopInstanceUID = ?
                """,
            arguments: [sopInstanceUID]
        )
    }

    /// The stored DICOM JSON of instances (`bulkdata:` placeholders for bulk data), keyed by SOP
    /// Instance UID; instances catalogued without it are missing from the result.
    public func metadataJSON(of sopInstanceUIDs: [String]) throws -> [String: String] {
        guard !sopInstanceUIDs.isEmpty else { return [:] }
        return try database.read { db in
            var result: [String: String] = [:]
            // SQLite allows 32766 bound parameters; chunk to stay far below.
            for start in stride(from: 0, to: sopInstanceUIDs.count, by: 500) {
                let chunk = Array(sopInstanceUIDs[start..<min(start + 500, sopInstanceUIDs.count)])
                let rows = try Row.fetchAll(
                    db,
                    sql: "SELECT sopInstanceUID, json FROM instance_metadata WHERE sopInstanceUID IN (\(databaseQuestionMarks(count: chunk.count)))",
                    arguments: StatementArguments(chunk)
                )
                for row in rows { result[row["sopInstanceUID"]] = row["json"] }
            }
            return result
        }
    }

    /// What changes when any instance of a series is added or replaced: the instance count and the latest
    /// storage time. Cached series-level answers are keyed by it.
    public func seriesVersion(_ seriesInstanceUID: String) throws -> SeriesVersion {
        try database.read { db in
            let row = try Row.fetchOne(
                db,
                sql: "SELECT count(*) AS n, coalesce(max(julianday(storedAt)), 0) AS latest FROM instance WHERE seriesInstanceUID = ?",
                arguments: [seriesInstanceUID]
            )
            return SeriesVersion(instances: row?["n"] ?? 0, latest: row?["latest"] ?? 0)
        }
    }

    /// Records the DICOM JSON of an instance catalogued before metadata was stored.
    public func setMetadataJSON(_ json: String, of sopInstanceUID: String) throws {
        try database.write { db in
            try db.execute(
                sql:
                    "INSERT OR REPLACE INTO instance_metadata (sopInstanceUID, json) SELECT ?, ? WHERE EXISTS (SELECT 1 FROM instance WHERE sopInstanceUID = ?)",
                arguments: [sopInstanceUID, json, sopInstanceUID]
            )
        }
    }

    // MARK: Deleting

    @discardableResult
    public func deleteInstance(_ sopInstanceUID: String) throws -> InstanceRow? {
        try database.write { db in
            guard let row = try Self.instanceRow(sopInstanceUID, in: db) else { return nil }
            try db.execute(sql: "DELETE FROM instance_metadata WHERE sopInstanceUID = ?", arguments: [sopInstanceUID])
            try db.execute(sql: "DELETE FROM instance WHERE sopInstanceUID = ?", arguments: [sopInstanceUID])
            try db.execute(
                sql: "DELETE FROM series WHERE seriesInstanceUID = ? AND NOT EXISTS (SELECT 1 FROM instance WHERE seriesInstanceUID = ?)",
                arguments: [row.seriesInstanceUID, row.seriesInstanceUID]
            )
            try db.execute(
                sql: "DELETE FROM study WHERE studyInstanceUID = ? AND NOT EXISTS (SELECT 1 FROM series WHERE studyInstanceUID = ?)",
                arguments: [row.studyInstanceUID, row.studyInstanceUID]
            )
            return row
        }
    }

    // MARK: Logs

    public func logIngestion(_ row: IngestionRow) throws {
        try database.write { db in try row.insert(db) }
    }

    /// The newest ingestion log lines first.
    public func ingestions(limit: Int, offset: Int) throws -> [IngestionRow] {
        try database.read { db in
            try IngestionRow.order(Column("id").desc).limit(limit, offset: offset).fetchAll(db)
        }
    }

    /// Appends audit rows in one transaction (the server batches them: one commit per batch, not per request).
    public func logAccess(_ rows: [AuditRow]) throws {
        guard !rows.isEmpty else { return }
        try database.write { db in
            for row in rows { try row.insert(db) }
        }
    }

    /// The newest matching audit rows first.
    public func audit(_ filter: AuditFilter) throws -> [AuditRow] {
        try database.read { db in
            var request = AuditRow.all()
            if let principal = filter.principal { request = request.filter(Column("principal") == principal) }
            if let address = filter.clientAddress { request = request.filter(Column("clientAddress") == address) }
            if let uid = filter.uid {
                request = request.filter(
                    Column("studyInstanceUID") == uid || Column("seriesInstanceUID") == uid || Column("sopInstanceUID") == uid
                )
            }
            if let status = filter.status { request = request.filter(Column("status") == status) }
            if let since = filter.since { request = request.filter(Column("time") >= since) }
            if let until = filter.until { request = request.filter(Column("time") < until) }
            return try request.order(Column("id").desc).limit(filter.limit, offset: filter.offset).fetchAll(db)
        }
    }

    static func lowerFirst(_ keyword: String) -> String {
        // SOPInstanceUID → sopInstanceUID, StudyDate → studyDate (the column names).
        if keyword.hasPrefix("SOP") { return "sop" + keyword.dropFirst(3) }
        return keyword.prefix(1).lowercased() + keyword.dropFirst()
    }
}
