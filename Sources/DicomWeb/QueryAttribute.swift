/// The attributes QIDO-RS searches and returns (PS3.18 Table 10.6.1-5), with their keywords and VRs.
public struct QueryAttribute: Sendable, Equatable, Hashable {
    public var tag: DicomTag
    public var keyword: String
    public var vr: String

    public init(tag: DicomTag, keyword: String, vr: String) {
        self.tag = tag
        self.keyword = keyword
        self.vr = vr
    }

    public static let all: [QueryAttribute] = [
        QueryAttribute(tag: DicomTag(0x0008, 0x0020), keyword: "StudyDate", vr: "DA"),
        QueryAttribute(tag: DicomTag(0x0008, 0x0030), keyword: "StudyTime", vr: "TM"),
        QueryAttribute(tag: DicomTag(0x0008, 0x0050), keyword: "AccessionNumber", vr: "SH"),
        QueryAttribute(tag: DicomTag(0x0008, 0x0061), keyword: "ModalitiesInStudy", vr: "CS"),
        QueryAttribute(tag: DicomTag(0x0008, 0x0090), keyword: "ReferringPhysicianName", vr: "PN"),
        QueryAttribute(tag: DicomTag(0x0008, 0x1030), keyword: "StudyDescription", vr: "LO"),
        QueryAttribute(tag: DicomTag(0x0010, 0x0010), keyword: "PatientName", vr: "PN"),
        QueryAttribute(tag: DicomTag(0x0010, 0x0020), keyword: "PatientID", vr: "LO"),
        QueryAttribute(tag: DicomTag(0x0010, 0x0030), keyword: "PatientBirthDate", vr: "DA"),
        QueryAttribute(tag: DicomTag(0x0010, 0x0040), keyword: "PatientSex", vr: "CS"),
        QueryAttribute(tag: DicomTag(0x0020, 0x000D), keyword: "StudyInstanceUID", vr: "UI"),
        QueryAttribute(tag: DicomTag(0x0020, 0x0010), keyword: "StudyID", vr: "SH"),
        QueryAttribute(tag: DicomTag(0x0008, 0x0021), keyword: "SeriesDate", vr: "DA"),
        QueryAttribute(tag: DicomTag(0x0008, 0x0060), keyword: "Modality", vr: "CS"),
        QueryAttribute(tag: DicomTag(0x0008, 0x103E), keyword: "SeriesDescription", vr: "LO"),
        QueryAttribute(tag: DicomTag(0x0020, 0x000E), keyword: "SeriesInstanceUID", vr: "UI"),
        QueryAttribute(tag: DicomTag(0x0020, 0x0011), keyword: "SeriesNumber", vr: "IS"),
        QueryAttribute(tag: DicomTag(0x0040, 0x0244), keyword: "PerformedProcedureStepStartDate", vr: "DA"),
        QueryAttribute(tag: DicomTag(0x0008, 0x0016), keyword: "SOPClassUID", vr: "UI"),
        QueryAttribute(tag: DicomTag(0x0008, 0x0018), keyword: "SOPInstanceUID", vr: "UI"),
        QueryAttribute(tag: DicomTag(0x0020, 0x0013), keyword: "InstanceNumber", vr: "IS"),
        QueryAttribute(tag: DicomTag(0x0028, 0x0010), keyword: "Rows", vr: "US"),
        QueryAttribute(tag: DicomTag(0x0028, 0x0011), keyword: "Columns", vr: "US"),
        QueryAttribute(tag: DicomTag(0x0028, 0x0008), keyword: "NumberOfFrames", vr: "IS"),
    ]

    private static let byKeyword = Dictionary(uniqueKeysWithValues: all.map { ($0.keyword.lowercased(), $0) })
    private static let byTag = Dictionary(uniqueKeysWithValues: all.map { ($0.tag, $0) })

    /// Looks an attribute up by keyword (case-insensitive) or by tag ("00100010").
    public static func named(_ name: String) -> QueryAttribute? {
        if let attribute = byKeyword[name.lowercased()] { return attribute }
        if name.count == 8, let tag = DicomTag(hex: name) { return byTag[tag] }
        return nil
    }
}
