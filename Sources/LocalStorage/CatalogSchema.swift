import GRDB

/// The catalog's tables, created and evolved by GRDB's migrator: add a migration, never edit one.
enum CatalogSchema {
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1: patients, studies, series, instances, ingestions, audit") { db in
            try db.create(table: "patient") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("patientID", .text).notNull().defaults(to: "")
                t.column("patientName", .text).notNull().defaults(to: "")
                t.column("birthDate", .text)
                t.column("sex", .text)
                t.uniqueKey(["patientID", "patientName"])
            }
            try db.create(table: "study") { t in
                t.primaryKey("studyInstanceUID", .text)
                t.column("patientId", .integer).notNull().indexed().references("patient", onDelete: .cascade)
                t.column("studyDate", .text)
                t.column("studyTime", .text)
                t.column("accessionNumber", .text)
                t.column("studyDescription", .text)
                t.column("studyID", .text)
                t.column("referringPhysicianName", .text)
            }
            try db.create(index: "study_on_date", on: "study", columns: ["studyDate"])
            try db.create(table: "series") { t in
                t.primaryKey("seriesInstanceUID", .text)
                t.column("studyInstanceUID", .text).notNull().indexed().references("study", onDelete: .cascade)
                t.column("modality", .text)
                t.column("seriesNumber", .integer)
                t.column("seriesDescription", .text)
                t.column("seriesDate", .text)
                t.column("bodyPartExamined", .text)
            }
            try db.create(table: "instance") { t in
                t.primaryKey("sopInstanceUID", .text)
                t.column("seriesInstanceUID", .text).notNull().indexed().references("series", onDelete: .cascade)
                t.column("sopClassUID", .text).notNull()
                t.column("instanceNumber", .integer)
                t.column("rows", .integer)
                t.column("columns", .integer)
                t.column("numberOfFrames", .integer).notNull().defaults(to: 1)
                t.column("bitsAllocated", .integer)
                t.column("bitsStored", .integer)
                t.column("pixelRepresentation", .integer)
                t.column("samplesPerPixel", .integer)
                t.column("photometricInterpretation", .text)
                t.column("transferSyntaxUID", .text).notNull()
                t.column("imagePositionPatient", .text)
                t.column("imageOrientationPatient", .text)
                t.column("sliceLocation", .double)
                t.column("windowCenter", .text)
                t.column("windowWidth", .text)
                t.column("rescaleSlope", .double)
                t.column("rescaleIntercept", .double)
                t.column("filePath", .text).notNull()
                t.column("fileSize", .integer).notNull()
                /// Byte offset and length of native Pixel Data in the file, for reads without parsing.
                t.column("pixelDataOffset", .integer)
                t.column("pixelDataLength", .integer)
                t.column("storedAt", .datetime).notNull()
            }
            try db.create(table: "ingestion") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("time", .datetime).notNull()
                t.column("source", .text).notNull()
                t.column("outcome", .text).notNull()
                t.column("reason", .text)
                t.column("sopInstanceUID", .text)
            }
            try db.create(table: "audit") { t in
                t.autoIncrementedPrimaryKey("id")
                t.column("time", .datetime).notNull()
                t.column("principal", .text)
                t.column("clientAddress", .text)
                t.column("route", .text).notNull()
                t.column("studyInstanceUID", .text)
                t.column("seriesInstanceUID", .text)
                t.column("sopInstanceUID", .text)
                t.column("status", .integer).notNull()
            }
            try db.create(index: "audit_on_time", on: "audit", columns: ["time"])
        }
        migrator.registerMigration("v2: instance metadata in the DICOM JSON model") { db in
            // Apart from the instance row so that listing instances never loads it. Rows imported before
            // v2 have none; the service builds it from the file on first use.
            try db.create(table: "instance_metadata") { t in
                t.primaryKey("sopInstanceUID", .text).references("instance", onDelete: .cascade)
                t.column("json", .text).notNull()
            }
        }
        migrator.registerMigration("v3: audit method, query and the indexes its filters use") { db in
            try db.alter(table: "audit") { t in
                t.add(column: "method", .text).notNull().defaults(to: "GET")
                // The query string of searches (what was looked for is itself patient data access).
                t.add(column: "query", .text)
            }
            try db.create(index: "audit_on_principal", on: "audit", columns: ["principal", "time"])
            try db.create(index: "audit_on_study", on: "audit", columns: ["studyInstanceUID", "time"])
        }
        migrator.registerMigration("v4: audit rows stand for one access or an aggregate of refusals") { db in
            try db.alter(table: "audit") { t in
                // Refusals (401, 429) of one client on one route are written once per flush with their count.
                t.add(column: "count", .integer).notNull().defaults(to: 1)
            }
        }
        migrator.registerMigration("v5: the content hash of each stored object") { db in
            try db.alter(table: "instance") { t in
                // SHA-256 of the Part 10 bytes, hex: what ETags and cache keys are made of.
                t.add(column: "contentHash", .text)
            }
        }
        return migrator
    }
}
