import DicomStorage
import DicomWeb

/// Catalog rows as QIDO-RS results in the DICOM JSON model (PS3.18 Tables 10.6.3-3 to -5).
///
/// An attribute the catalog has no value for is left out rather than sent as `{"vr": "CS"}` without a
/// `Value`: the JSON model allows both, but OHIF up to 3.11 throws on the empty form (ModalitiesInStudy
/// of a study without a modality made its whole study list fail), as do other clients that index
/// `Value[0]` unguarded.
enum QIDOResults {
    /// The elements that have a value, as one data set.
    static func answer(_ elements: [DicomElement]) -> DicomDataSet {
        DicomDataSet(elements: elements.filter(\.hasValue))
    }

    static func text(_ group: UInt16, _ element: UInt16, _ vr: String, _ value: String?) -> DicomElement {
        DicomElement(
            tag: DicomTag(group, element),
            vr: vr,
            value: .text(value.flatMap { $0.isEmpty ? nil : $0.split(separator: "\\", omittingEmptySubsequences: false).map(String.init) } ?? [])
        )
    }

    static func integerString(_ group: UInt16, _ element: UInt16, _ value: Int?) -> DicomElement {
        DicomElement(tag: DicomTag(group, element), vr: "IS", value: .text(value.map { [String($0)] } ?? []))
    }

    static func unsignedShort(_ group: UInt16, _ element: UInt16, _ value: Int?) -> DicomElement {
        DicomElement(
            tag: DicomTag(group, element),
            vr: "US",
            value: .binary(value.map { [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)] } ?? [])
        )
    }

    static func study(_ row: StudyRow, baseURL: String) -> DicomDataSet {
        answer([
            text(0x0008, 0x0005, "CS", "ISO_IR 192"),
            text(0x0008, 0x0020, "DA", row.studyDate),
            text(0x0008, 0x0030, "TM", row.studyTime),
            text(0x0008, 0x0050, "SH", row.accessionNumber),
            text(0x0008, 0x0061, "CS", row.modalitiesInStudy),
            text(0x0008, 0x0090, "PN", row.referringPhysicianName),
            text(0x0008, 0x1030, "LO", row.studyDescription),
            text(0x0008, 0x1190, "UR", "\(baseURL)/studies/\(row.studyInstanceUID)"),
            text(0x0010, 0x0010, "PN", row.patientName),
            text(0x0010, 0x0020, "LO", row.patientID),
            text(0x0010, 0x0030, "DA", row.patientBirthDate),
            text(0x0010, 0x0040, "CS", row.patientSex),
            text(0x0020, 0x000D, "UI", row.studyInstanceUID),
            text(0x0020, 0x0010, "SH", row.studyID),
            integerString(0x0020, 0x1206, row.numberOfSeries),
            integerString(0x0020, 0x1208, row.numberOfInstances),
        ])
    }

    static func series(_ row: SeriesRow, baseURL: String) -> DicomDataSet {
        answer([
            text(0x0008, 0x0005, "CS", "ISO_IR 192"),
            text(0x0008, 0x0021, "DA", row.seriesDate),
            text(0x0008, 0x0060, "CS", row.modality),
            text(0x0008, 0x103E, "LO", row.seriesDescription),
            text(0x0008, 0x1190, "UR", "\(baseURL)/studies/\(row.studyInstanceUID)/series/\(row.seriesInstanceUID)"),
            text(0x0018, 0x0015, "CS", row.bodyPartExamined),
            text(0x0020, 0x000D, "UI", row.studyInstanceUID),
            text(0x0020, 0x000E, "UI", row.seriesInstanceUID),
            integerString(0x0020, 0x0011, row.seriesNumber),
            integerString(0x0020, 0x1209, row.numberOfInstances),
        ])
    }

    static func instance(_ row: InstanceRow, baseURL: String) -> DicomDataSet {
        answer([
            text(0x0008, 0x0005, "CS", "ISO_IR 192"),
            text(0x0008, 0x0016, "UI", row.sopClassUID),
            text(0x0008, 0x0018, "UI", row.sopInstanceUID),
            text(
                0x0008,
                0x1190,
                "UR",
                "\(baseURL)/studies/\(row.studyInstanceUID)/series/\(row.seriesInstanceUID)/instances/\(row.sopInstanceUID)"
            ),
            text(0x0020, 0x000D, "UI", row.studyInstanceUID),
            text(0x0020, 0x000E, "UI", row.seriesInstanceUID),
            integerString(0x0020, 0x0013, row.instanceNumber),
            integerString(0x0028, 0x0008, row.numberOfFrames),
            unsignedShort(0x0028, 0x0010, row.rows),
            unsignedShort(0x0028, 0x0011, row.columns),
            unsignedShort(0x0028, 0x0100, row.bitsAllocated),
        ])
    }
}

extension DicomElement {
    /// Whether there is anything to send: text with at least one non-empty value, or bytes.
    fileprivate var hasValue: Bool {
        switch value {
        case .text(let values): values.contains { !$0.isEmpty }
        case .binary(let bytes): !bytes.isEmpty
        case .sequence(let items): !items.isEmpty
        case .bulk: true
        }
    }
}
