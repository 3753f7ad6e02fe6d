import DicomStorage
import GRDB

// The catalog's rows as GRDB records: fetched by column name, the logs inserted by table name. Kept
// here so that the row types themselves know nothing of SQLite.

extension StudyRow: FetchableRecord {}
extension SeriesRow: FetchableRecord {}
extension InstanceRow: FetchableRecord {}

extension IngestionRow: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "ingestion"
}

extension AuditRow: FetchableRecord, PersistableRecord {
    public static let databaseTableName = "audit"
}
