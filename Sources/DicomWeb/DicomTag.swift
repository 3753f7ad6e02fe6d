/// A data element tag (group, element).
public struct DicomTag: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var group: UInt16
    public var element: UInt16

    public init(_ group: UInt16, _ element: UInt16) {
        self.group = group
        self.element = element
    }

    /// Parses "GGGGEEEE" or "(GGGG,EEEE)" hex notation.
    public init?(hex text: String) {
        let digits = text.filter { $0.isHexDigit }
        guard digits.count == 8, let value = UInt32(digits, radix: 16) else { return nil }
        self.init(UInt16(value >> 16), UInt16(value & 0xFFFF))
    }

    public var value: UInt32 { UInt32(group) << 16 | UInt32(element) }

    /// "GGGGEEEE", upper-case: the key format of the DICOM JSON model.
    public var hexKey: String { Self.hex(group) + Self.hex(element) }

    public var description: String { "(\(Self.hex(group)),\(Self.hex(element)))" }

    public static func < (lhs: DicomTag, rhs: DicomTag) -> Bool { lhs.value < rhs.value }

    static func hex(_ value: UInt16) -> String {
        let text = String(value, radix: 16, uppercase: true)
        return String(repeating: "0", count: 4 - text.count) + text
    }
}

extension DicomTag {
    public static let transferSyntaxUID = DicomTag(0x0002, 0x0010)
    public static let sopClassUID = DicomTag(0x0008, 0x0016)
    public static let sopInstanceUID = DicomTag(0x0008, 0x0018)
    public static let studyDate = DicomTag(0x0008, 0x0020)
    public static let modality = DicomTag(0x0008, 0x0060)
    public static let studyDescription = DicomTag(0x0008, 0x1030)
    public static let seriesDescription = DicomTag(0x0008, 0x103E)
    public static let patientName = DicomTag(0x0010, 0x0010)
    public static let patientID = DicomTag(0x0010, 0x0020)
    public static let studyInstanceUID = DicomTag(0x0020, 0x000D)
    public static let seriesInstanceUID = DicomTag(0x0020, 0x000E)
    public static let instanceNumber = DicomTag(0x0020, 0x0013)
    public static let samplesPerPixel = DicomTag(0x0028, 0x0002)
    public static let photometricInterpretation = DicomTag(0x0028, 0x0004)
    public static let numberOfFrames = DicomTag(0x0028, 0x0008)
    public static let rows = DicomTag(0x0028, 0x0010)
    public static let columns = DicomTag(0x0028, 0x0011)
    public static let bitsAllocated = DicomTag(0x0028, 0x0100)
    public static let bitsStored = DicomTag(0x0028, 0x0101)
    public static let pixelRepresentation = DicomTag(0x0028, 0x0103)
    public static let windowCenter = DicomTag(0x0028, 0x1050)
    public static let windowWidth = DicomTag(0x0028, 0x1051)
    public static let rescaleIntercept = DicomTag(0x0028, 0x1052)
    public static let rescaleSlope = DicomTag(0x0028, 0x1053)
    public static let voiLUTFunction = DicomTag(0x0028, 0x1056)
    public static let redPaletteDescriptor = DicomTag(0x0028, 0x1101)
    public static let greenPaletteDescriptor = DicomTag(0x0028, 0x1102)
    public static let bluePaletteDescriptor = DicomTag(0x0028, 0x1103)
    public static let redPaletteData = DicomTag(0x0028, 0x1201)
    public static let greenPaletteData = DicomTag(0x0028, 0x1202)
    public static let bluePaletteData = DicomTag(0x0028, 0x1203)
    public static let segmentedRedPaletteData = DicomTag(0x0028, 0x1221)
    public static let segmentedGreenPaletteData = DicomTag(0x0028, 0x1222)
    public static let segmentedBluePaletteData = DicomTag(0x0028, 0x1223)
    public static let modalityLUTSequence = DicomTag(0x0028, 0x3000)
    public static let lutDescriptor = DicomTag(0x0028, 0x3002)
    public static let lutData = DicomTag(0x0028, 0x3006)
    public static let voiLUTSequence = DicomTag(0x0028, 0x3010)
    public static let sharedFunctionalGroupsSequence = DicomTag(0x5200, 0x9229)
    public static let perFrameFunctionalGroupsSequence = DicomTag(0x5200, 0x9230)
    public static let pixelValueTransformationSequence = DicomTag(0x0028, 0x9145)
    public static let frameVOILUTSequence = DicomTag(0x0028, 0x9132)
    public static let pixelData = DicomTag(0x7FE0, 0x0010)
}
