import DicomWeb

/// Writes a dataset as a DICOM Part 10 file in Explicit VR Little Endian (PS3.10 7, PS3.5 7.1.2),
/// with native pixel data. Used to make demo series from real images; the reader is DCMTK.
public enum Part10Writer {
    public static let explicitLittleEndian = TransferSyntaxUID.explicitLittleEndian
    static let implementationClassUID = "1.2.826.0.1.3680043.10.1526.1"

    /// VRs with a 4-byte length after two reserved bytes (PS3.5 Table 7.1-1).
    static let longVRs: Set<String> = ["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"]

    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    /// The file: preamble, meta information and `dataSet` with `pixelData` as (7FE0,0010) OW (or OB
    /// for 8-bit samples). Bulk values in `dataSet` that were never read are left out, as are group 2
    /// elements, which are written from the SOP Class and Instance UIDs.
    public static func write(_ dataSet: DicomDataSet, pixelData: [UInt8], bitsAllocated: Int) throws(Failure) -> [UInt8] {
        guard let sopClass = dataSet.string(.sopClassUID), let sopInstance = dataSet.string(.sopInstanceUID) else {
            throw Failure(description: "SOP Class UID and SOP Instance UID are required")
        }
        var meta: [UInt8] = []
        try element(DicomElement(tag: DicomTag(0x0002, 0x0001), vr: "OB", value: .binary([0, 1])), into: &meta)
        try element(DicomElement(tag: DicomTag(0x0002, 0x0002), vr: "UI", value: .text([sopClass])), into: &meta)
        try element(DicomElement(tag: DicomTag(0x0002, 0x0003), vr: "UI", value: .text([sopInstance])), into: &meta)
        try element(DicomElement(tag: .transferSyntaxUID, vr: "UI", value: .text([explicitLittleEndian])), into: &meta)
        try element(DicomElement(tag: DicomTag(0x0002, 0x0012), vr: "UI", value: .text([implementationClassUID])), into: &meta)
        try element(DicomElement(tag: DicomTag(0x0002, 0x0013), vr: "SH", value: .text(["DICOMSERVE"])), into: &meta)

        var output = [UInt8](repeating: 0, count: 128) + Array("DICM".utf8)
        try element(DicomElement(tag: DicomTag(0x0002, 0x0000), vr: "UL", value: .binary(littleEndian(UInt32(meta.count)))), into: &output)
        output += meta
        var body = dataSet
        body.insert(DicomElement(tag: DicomTag(0x7FE0, 0x0010), vr: bitsAllocated <= 8 ? "OB" : "OW", value: .binary(pixelData)))
        // Group lengths are left out (retired, PS3.5 7.2): copied ones would no longer be true.
        for item in body.elements where item.tag.group > 0x0002 && item.tag.element != 0 {
            if case .bulk = item.value { continue }
            try element(item, into: &output)
        }
        return output
    }

    /// Appends one element (sequences with undefined length, items delimited).
    static func element(_ element: DicomElement, into output: inout [UInt8]) throws(Failure) {
        output += littleEndian(element.tag.group) + littleEndian(element.tag.element)
        let vr = element.vr.count == 2 ? element.vr : "UN"
        output += Array(vr.utf8)
        if case .sequence(let items) = element.value {
            output += [0, 0] + littleEndian(UInt32(0xFFFF_FFFF))
            for item in items {
                output += littleEndian(UInt16(0xFFFE)) + littleEndian(UInt16(0xE000)) + littleEndian(UInt32(0xFFFF_FFFF))
                for nested in item.elements where nested.tag.element != 0 { try self.element(nested, into: &output) }
                output += littleEndian(UInt16(0xFFFE)) + littleEndian(UInt16(0xE00D)) + littleEndian(UInt32(0))
            }
            output += littleEndian(UInt16(0xFFFE)) + littleEndian(UInt16(0xE0DD)) + littleEndian(UInt32(0))
            return
        }
        var value: [UInt8]
        switch element.value {
        case .text(let values):
            value = Array(values.joined(separator: "\\").utf8)
            if value.count % 2 == 1 { value.append(vr == "UI" ? 0 : 0x20) }
        case .binary(let bytes):
            value = bytes
            if value.count % 2 == 1 { value.append(0) }
        case .sequence, .bulk:
            value = []
        }
        if longVRs.contains(vr) {
            output += [0, 0] + littleEndian(UInt32(value.count))
        } else {
            guard value.count <= 0xFFFF else {
                throw Failure(description: "(\(element.tag.hexKey)) \(vr) value of \(value.count) bytes does not fit a 16-bit length")
            }
            output += littleEndian(UInt16(value.count))
        }
        output += value
    }

    static func littleEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }
}
