import DicomCodec
import DicomWeb
import Foundation

/// A series of several instances made from one real 16-bit slice, for tests that need an order (the
/// middle image, slice order): every slice renders differently, so picking the wrong one shows.
public enum SyntheticSeries {
    public struct Slice: Sendable {
        public var path: String
        public var studyInstanceUID: String
        public var seriesInstanceUID: String
        public var sopInstanceUID: String
    }

    /// Writes `count` instances of one new study and series made from the instance at `path` into
    /// `directory`: new UIDs, instance numbers 1…count, axial slice positions 5 mm apart (so slice
    /// order is instance order) and stored values shifted by 100 × the index. Returns them in slice order.
    public static func write(from path: String, count: Int, into directory: String) throws -> [Slice] {
        let file = try DicomFile(path: path)
        let frame = try file.decodeFrame(1)
        let original = try file.dataSet(bulkThreshold: .max)
        let (study, series) = (uid(), uid())
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return try (0..<count).map { index in
            var dataSet = original
            func set(_ group: UInt16, _ element: UInt16, _ vr: String, _ values: [String]) {
                dataSet.insert(DicomElement(tag: DicomTag(group, element), vr: vr, value: .text(values)))
            }
            let instance = uid()
            set(0x0008, 0x0018, "UI", [instance])
            set(0x0020, 0x000D, "UI", [study])
            set(0x0020, 0x000E, "UI", [series])
            set(0x0020, 0x0013, "IS", ["\(index + 1)"])
            set(0x0020, 0x0032, "DS", ["0", "0", "\(5 * index)"])
            set(0x0020, 0x0037, "DS", ["1", "0", "0", "0", "1", "0"])
            set(0x0020, 0x1041, "DS", ["\(5 * index)"])
            let offset = Int16(100 * index)
            let pixels = stride(from: 0, to: frame.bytes.count, by: 2).flatMap { byte -> [UInt8] in
                let value = Int16(bitPattern: UInt16(frame.bytes[byte]) | UInt16(frame.bytes[byte + 1]) << 8) &+ offset
                return [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8)]
            }
            let output = directory + "/slice_\(index + 1).dcm"
            let bytes = try Part10Writer.write(dataSet, pixelData: pixels, bitsAllocated: 16)
            try Data(bytes).write(to: URL(fileURLWithPath: output))
            return Slice(path: output, studyInstanceUID: study, seriesInstanceUID: series, sopInstanceUID: instance)
        }
    }

    /// A fresh UID under 2.25 (PS3.5 B.2): a random UUID as a decimal integer.
    static func uid() -> String {
        let bytes = withUnsafeBytes(of: UUID().uuid) { Array($0) }
        return "2.25." + String(bytes.reduce(UInt128(0)) { $0 << 8 | UInt128($1) })
    }
}
