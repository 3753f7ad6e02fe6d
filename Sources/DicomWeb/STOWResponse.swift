/// The outcome of storing one instance through STOW-RS.
public enum StoreOutcome: Sendable, Equatable {
    case stored(sopClassUID: String, sopInstanceUID: String, retrieveURL: String)
    /// `sopClassUID` / `sopInstanceUID` are empty when the part could not be read far enough to know them.
    case failed(sopClassUID: String, sopInstanceUID: String, reason: FailureReason)
}

/// Failure Reason (0008,1197) values of a store response (PS3.18 Table 10.5.3-3, PS3.4 Annex GG).
public enum FailureReason: UInt16, Sendable, Equatable {
    case processingFailure = 0x0110
    case sopClassNotSupported = 0x0122
    case outOfResources = 0xA700
    case dataSetDoesNotMatchSOPClass = 0xA900
    case cannotUnderstand = 0xC000
    case transferSyntaxNotSupported = 0xC122
}

/// A STOW-RS store response (PS3.18 10.5.3): the DICOM JSON body and its HTTP status.
public struct STOWResponse: Sendable, Equatable {
    public var outcomes: [StoreOutcome]
    /// The study's retrieve URL (0008,1190), when the request named one study.
    public var studyRetrieveURL: String?

    public init(outcomes: [StoreOutcome], studyRetrieveURL: String? = nil) {
        self.outcomes = outcomes
        self.studyRetrieveURL = studyRetrieveURL
    }

    var storedCount: Int { outcomes.filter { if case .stored = $0 { true } else { false } }.count }

    /// 200 when everything was stored, 202 when some parts failed, 409 when none was stored.
    public var httpStatus: Int {
        let stored = storedCount
        if stored == outcomes.count && stored > 0 { return 200 }
        return stored > 0 ? 202 : 409
    }

    /// The response dataset: Retrieve URL, Referenced SOP Sequence and Failed SOP Sequence.
    public var dataSet: DicomDataSet {
        var referenced: [DicomDataSet] = []
        var failed: [DicomDataSet] = []
        for outcome in outcomes {
            switch outcome {
            case .stored(let sopClass, let sopInstance, let url):
                referenced.append(
                    DicomDataSet(elements: [
                        DicomElement(tag: DicomTag(0x0008, 0x1150), vr: "UI", value: .text([sopClass])),
                        DicomElement(tag: DicomTag(0x0008, 0x1155), vr: "UI", value: .text([sopInstance])),
                        DicomElement(tag: DicomTag(0x0008, 0x1190), vr: "UR", value: .text([url])),
                    ])
                )
            case .failed(let sopClass, let sopInstance, let reason):
                failed.append(
                    DicomDataSet(elements: [
                        DicomElement(tag: DicomTag(0x0008, 0x1150), vr: "UI", value: .text([sopClass])),
                        DicomElement(tag: DicomTag(0x0008, 0x1155), vr: "UI", value: .text([sopInstance])),
                        DicomElement(
                            tag: DicomTag(0x0008, 0x1197),
                            vr: "US",
                            value: .binary([UInt8(reason.rawValue & 0xFF), UInt8(reason.rawValue >> 8)])
                        ),
                    ])
                )
            }
        }
        var elements: [DicomElement] = []
        if let studyRetrieveURL { elements.append(DicomElement(tag: DicomTag(0x0008, 0x1190), vr: "UR", value: .text([studyRetrieveURL]))) }
        if !failed.isEmpty { elements.append(DicomElement(tag: DicomTag(0x0008, 0x1198), vr: "SQ", value: .sequence(failed))) }
        if !referenced.isEmpty { elements.append(DicomElement(tag: DicomTag(0x0008, 0x1199), vr: "SQ", value: .sequence(referenced))) }
        return DicomDataSet(elements: elements)
    }

    /// The body as application/dicom+json.
    public var json: String { DicomJSONEncoder().encode(dataSet).serialized() }
}
