import Foundation

/// A study as queries return it: its attributes, its patient's, and counts over its series.
public struct StudyRow: Sendable, Equatable, Decodable {
    public var studyInstanceUID: String
    public var patientID: String
    public var patientName: String
    public var patientBirthDate: String?
    public var patientSex: String?
    public var studyDate: String?
    public var studyTime: String?
    public var accessionNumber: String?
    public var studyDescription: String?
    public var studyID: String?
    public var referringPhysicianName: String?
    /// Distinct modalities of its series, backslash-separated as in DICOM.
    public var modalitiesInStudy: String?
    public var numberOfSeries: Int
    public var numberOfInstances: Int
}

/// A series as queries return it.
public struct SeriesRow: Sendable, Equatable, Decodable {
    public var seriesInstanceUID: String
    public var studyInstanceUID: String
    public var modality: String?
    public var seriesNumber: Int?
    public var seriesDescription: String?
    public var seriesDate: String?
    public var bodyPartExamined: String?
    public var numberOfInstances: Int
}

/// An instance as queries return it: everything needed to find and render it without opening the file.
public struct InstanceRow: Sendable, Equatable, Decodable {
    public var sopInstanceUID: String
    public var seriesInstanceUID: String
    public var studyInstanceUID: String
    public var sopClassUID: String
    public var instanceNumber: Int?
    public var rows: Int?
    public var columns: Int?
    public var numberOfFrames: Int
    public var bitsAllocated: Int?
    public var bitsStored: Int?
    public var pixelRepresentation: Int?
    public var samplesPerPixel: Int?
    public var photometricInterpretation: String?
    public var transferSyntaxUID: String
    public var imagePositionPatient: String?
    public var imageOrientationPatient: String?
    public var sliceLocation: Double?
    public var windowCenter: String?
    public var windowWidth: String?
    public var rescaleSlope: Double?
    public var rescaleIntercept: Double?
    public var filePath: String
    public var fileSize: Int
    public var pixelDataOffset: Int?
    public var pixelDataLength: Int?
    /// SHA-256 of the stored bytes (hex); nil for rows catalogued before it was recorded.
    public var contentHash: String?

    /// A token that changes with every replacement of the stored object: cache keys and ETags carry it.
    public var contentVersion: String { contentHash.map { String($0.prefix(16)) } ?? "size\(fileSize)" }
}

/// One line of the ingestion log: every file tried, with its outcome.
public struct IngestionRow: Sendable, Equatable, Codable {
    public var id: Int64?
    public var time: Date
    public var source: String
    /// `stored`, `unchanged`, `replaced` or `rejected`.
    public var outcome: String
    public var reason: String?
    public var sopInstanceUID: String?

    public init(id: Int64? = nil, time: Date = Date(), source: String, outcome: String, reason: String? = nil, sopInstanceUID: String? = nil) {
        self.id = id
        self.time = time
        self.source = source
        self.outcome = outcome
        self.reason = reason
        self.sopInstanceUID = sopInstanceUID
    }
}

/// One access to patient data.
public struct AuditRow: Sendable, Equatable, Codable {
    public var id: Int64?
    public var time: Date
    /// Who asked: `key:<name>` or `token:<subject>`, nil when authentication is off or failed.
    public var principal: String?
    public var clientAddress: String?
    public var method: String
    /// The route template (`/dicomweb/studies/:study`), or the path when no route matched.
    public var route: String
    /// The query string of searches, capped in length.
    public var query: String?
    public var studyInstanceUID: String?
    public var seriesInstanceUID: String?
    public var sopInstanceUID: String?
    public var status: Int
    /// How many accesses the row stands for: 1, or the refusals aggregated into it.
    public var count: Int = 1

    public init(
        time: Date = Date(),
        principal: String?,
        clientAddress: String?,
        method: String = "GET",
        route: String,
        query: String? = nil,
        studyInstanceUID: String? = nil,
        seriesInstanceUID: String? = nil,
        sopInstanceUID: String? = nil,
        status: Int
    ) {
        self.time = time
        self.principal = principal
        self.clientAddress = clientAddress
        self.method = method
        self.route = route
        self.query = query
        self.studyInstanceUID = studyInstanceUID
        self.seriesInstanceUID = seriesInstanceUID
        self.sopInstanceUID = sopInstanceUID
        self.status = status
    }
}

/// Which audit rows to list; every set field must match.
public struct AuditFilter: Sendable, Equatable {
    public var principal: String?
    public var clientAddress: String?
    /// Matches the study, series or instance UID column.
    public var uid: String?
    public var status: Int?
    public var since: Date?
    public var until: Date?
    public var limit: Int
    public var offset: Int

    public init(
        principal: String? = nil,
        clientAddress: String? = nil,
        uid: String? = nil,
        status: Int? = nil,
        since: Date? = nil,
        until: Date? = nil,
        limit: Int = 100,
        offset: Int = 0
    ) {
        self.principal = principal
        self.clientAddress = clientAddress
        self.uid = uid
        self.status = status
        self.since = since
        self.until = until
        self.limit = limit
        self.offset = offset
    }
}
