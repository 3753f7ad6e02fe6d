import DicomCodec
import DicomWeb
import Foundation

/// What the catalog records of one instance: its identifiers, the attributes queries and renders need,
/// and where its file is.
public struct IndexedInstance: Sendable, Equatable, Codable {
    public var patientID: String
    public var patientName: String
    public var patientBirthDate: String?
    public var patientSex: String?
    public var studyInstanceUID: String
    public var studyDate: String?
    public var studyTime: String?
    public var accessionNumber: String?
    public var studyDescription: String?
    public var studyID: String?
    public var referringPhysicianName: String?
    public var seriesInstanceUID: String
    public var modality: String?
    public var seriesNumber: Int?
    public var seriesDescription: String?
    public var seriesDate: String?
    public var bodyPartExamined: String?
    public var sopInstanceUID: String
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
    public var imagePositionPatient: [Double]
    public var imageOrientationPatient: [Double]
    public var sliceLocation: Double?
    public var windowCenter: [Double]
    public var windowWidth: [Double]
    public var rescaleSlope: Double?
    public var rescaleIntercept: Double?
    public var filePath: String
    public var fileSize: Int
    /// Where native little-endian Pixel Data lies in the file (PixelDataLocator), for reads without parsing.
    public var pixelDataOffset: Int?
    public var pixelDataLength: Int?
    /// The instance's attributes in the DICOM JSON model with `bulkdata:GGGGEEEE` placeholders for
    /// bulk data, served as WADO-RS metadata without re-reading the file.
    public var metadataJSON: String?
    /// SHA-256 of the Part 10 bytes, hex.
    public var contentHash: String?

    /// Why a dataset cannot be catalogued.
    public struct MissingIdentifier: Error, Sendable, Equatable, CustomStringConvertible {
        public var keyword: String
        public var description: String { "\(keyword) is missing or empty" }

        public init(keyword: String) { self.keyword = keyword }
    }

    /// Reads the attributes from a dataset. Study, Series and SOP Instance UIDs and the SOP Class UID are required.
    public init(
        dataSet: DicomDataSet,
        transferSyntaxUID: String,
        filePath: String,
        fileSize: Int,
        pixelData: PixelDataLocator.Location? = nil
    ) throws(MissingIdentifier) {
        func required(_ tag: DicomTag, _ keyword: String) throws(MissingIdentifier) -> String {
            guard let value = dataSet.string(tag) else { throw MissingIdentifier(keyword: keyword) }
            return value
        }
        func text(_ group: UInt16, _ element: UInt16) -> String? { dataSet.string(DicomTag(group, element)) }
        studyInstanceUID = try required(.studyInstanceUID, "StudyInstanceUID")
        seriesInstanceUID = try required(.seriesInstanceUID, "SeriesInstanceUID")
        sopInstanceUID = try required(.sopInstanceUID, "SOPInstanceUID")
        sopClassUID = try required(.sopClassUID, "SOPClassUID")
        patientID = dataSet.string(.patientID) ?? ""
        patientName = dataSet.string(.patientName) ?? ""
        patientBirthDate = text(0x0010, 0x0030)
        patientSex = text(0x0010, 0x0040)
        studyDate = dataSet.string(.studyDate)
        studyTime = text(0x0008, 0x0030)
        accessionNumber = text(0x0008, 0x0050)
        studyDescription = dataSet.string(.studyDescription)
        studyID = text(0x0020, 0x0010)
        referringPhysicianName = text(0x0008, 0x0090)
        modality = dataSet.string(.modality)
        seriesNumber = dataSet.integer(DicomTag(0x0020, 0x0011))
        seriesDescription = dataSet.string(.seriesDescription)
        seriesDate = text(0x0008, 0x0021)
        bodyPartExamined = text(0x0018, 0x0015)
        instanceNumber = dataSet.integer(.instanceNumber)
        rows = dataSet.integer(.rows)
        columns = dataSet.integer(.columns)
        numberOfFrames = max(1, dataSet.integer(.numberOfFrames) ?? 1)
        bitsAllocated = dataSet.integer(.bitsAllocated)
        bitsStored = dataSet.integer(.bitsStored)
        pixelRepresentation = dataSet.integer(.pixelRepresentation)
        samplesPerPixel = dataSet.integer(.samplesPerPixel)
        photometricInterpretation = dataSet.string(.photometricInterpretation)
        self.transferSyntaxUID = transferSyntaxUID
        imagePositionPatient = dataSet.numbers(DicomTag(0x0020, 0x0032))
        imageOrientationPatient = dataSet.numbers(DicomTag(0x0020, 0x0037))
        sliceLocation = dataSet.number(DicomTag(0x0020, 0x1041))
        windowCenter = dataSet.numbers(.windowCenter)
        windowWidth = dataSet.numbers(.windowWidth)
        rescaleSlope = dataSet.number(.rescaleSlope)
        rescaleIntercept = dataSet.number(.rescaleIntercept)
        self.filePath = filePath
        self.fileSize = fileSize
        pixelDataOffset = pixelData?.offset
        pixelDataLength = pixelData?.length
    }
}
