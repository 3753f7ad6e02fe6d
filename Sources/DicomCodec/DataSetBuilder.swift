import CDCMTK
import DicomWeb

/// Builds a `DicomDataSet` from the shim's depth-first walk events.
struct DataSetBuilder {
    /// Open containers: the dataset being filled at each depth, plus the pending sequence element.
    private var stack: [(dataSet: DicomDataSet, sequence: DicomElement?, items: [DicomDataSet])] = [(DicomDataSet(), nil, [])]

    var result: DicomDataSet { stack[0].dataSet }

    /// VRs whose values may not be split at backslashes (PS3.5 6.2).
    private static let singleValuedText: Set<String> = ["LT", "ST", "UT", "UR"]

    mutating func handle(_ event: dcmshim_event, _ element: UnsafePointer<dcmshim_element>?) {
        switch event {
        case DCMSHIM_EVENT_ELEMENT:
            guard let element else { return }
            stack[stack.count - 1].dataSet.insert(Self.makeElement(element.pointee))
        case DCMSHIM_EVENT_SEQUENCE_BEGIN:
            guard let element else { return }
            let sequence = DicomElement(tag: Self.tag(element.pointee), vr: "SQ", value: .sequence([]))
            stack.append((DicomDataSet(), sequence, []))
        case DCMSHIM_EVENT_ITEM_BEGIN:
            stack.append((DicomDataSet(), nil, []))
        case DCMSHIM_EVENT_ITEM_END:
            let item = stack.removeLast().dataSet
            stack[stack.count - 1].items.append(item)
        case DCMSHIM_EVENT_SEQUENCE_END:
            let finished = stack.removeLast()
            if var sequence = finished.sequence {
                sequence.value = .sequence(finished.items)
                stack[stack.count - 1].dataSet.insert(sequence)
            }
        default:
            break
        }
    }

    static func tag(_ element: dcmshim_element) -> DicomTag { DicomTag(element.group, element.element) }

    static func makeElement(_ element: dcmshim_element) -> DicomElement {
        let vr = withUnsafeBytes(of: element.vr) { String(decoding: $0.prefix(2), as: UTF8.self) }
        let value: DicomValue
        if element.is_bulk != 0 {
            value = .bulk(length: element.length == 0xFFFF_FFFF ? nil : element.length)
        } else if element.is_string != 0 {
            let text =
                element.value.map {
                    String(decoding: UnsafeRawBufferPointer(start: $0, count: element.value_size), as: UTF8.self)
                } ?? ""
            value = .text(singleValuedText.contains(vr) ? [text] : text.split(separator: "\\", omittingEmptySubsequences: false).map(String.init))
        } else if let bytes = element.value {
            value = .binary(Array(UnsafeRawBufferPointer(start: bytes, count: element.value_size)))
        } else {
            value = .binary([])
        }
        return DicomElement(tag: tag(element), vr: vr, value: value)
    }
}
