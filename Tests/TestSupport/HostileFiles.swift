import Foundation

/// Builds small hostile DICOM Part 10 files byte by byte (explicit VR little endian unless told), one
/// per finding of the hardening issue, so no large or suspicious file is ever committed.
public enum HostileFiles {
    public static let explicitLittleEndian = "1.2.840.10008.1.2.1"
    public static let jpegBaseline = "1.2.840.10008.1.2.4.50"
    public static let deflated = "1.2.840.10008.1.2.1.99"

    /// One element: tag, VR, value (padded to even length).
    public static func element(_ group: UInt16, _ element: UInt16, _ vr: String, _ value: [UInt8]) -> [UInt8] {
        var value = value
        if value.count % 2 == 1 { value.append(["UI", "OB", "UN"].contains(vr) ? 0 : 0x20) }
        var bytes = le16(group) + le16(element) + Array(vr.utf8)
        if ["OB", "OW", "OF", "SQ", "UT", "UN"].contains(vr) {
            bytes += [0, 0] + le32(UInt32(value.count))
        } else {
            bytes += le16(UInt16(value.count))
        }
        return bytes + value
    }

    public static func text(_ group: UInt16, _ elementNumber: UInt16, _ vr: String, _ value: String) -> [UInt8] {
        element(group, elementNumber, vr, Array(value.utf8))
    }

    public static func us(_ group: UInt16, _ elementNumber: UInt16, _ value: UInt16) -> [UInt8] {
        element(group, elementNumber, "US", le16(value))
    }

    public static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    public static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * UInt32($0))) & 0xFF) } }

    /// The identifying attributes every catalogued instance needs; `uid` distinguishes instances.
    public static func identity(
        uid: String,
        study: String = "1.2.826.0.1.3680043.8.498.1",
        series: String = "1.2.826.0.1.3680043.8.498.2"
    )
        -> [UInt8]
    {
        text(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.7") + text(0x0008, 0x0018, "UI", uid)
            + text(0x0008, 0x0060, "CS", "OT") + text(0x0010, 0x0010, "PN", "HOSTILE^TEST") + text(0x0010, 0x0020, "LO", "HOSTILE")
            + text(0x0020, 0x000D, "UI", study) + text(0x0020, 0x000E, "UI", series)
    }

    /// Image pixel module attributes (group 0028) in tag order.
    public static func imagePixel(
        rows: UInt16,
        columns: UInt16,
        bits: UInt16,
        signed: Bool = false,
        frames: String? = nil,
        samples: UInt16 = 1,
        extra: [UInt8] = []
    ) -> [UInt8] {
        var bytes = us(0x0028, 0x0002, samples) + text(0x0028, 0x0004, "CS", samples == 1 ? "MONOCHROME2" : "RGB")
        if let frames { bytes += text(0x0028, 0x0008, "IS", frames) }
        bytes += us(0x0028, 0x0010, rows) + us(0x0028, 0x0011, columns) + us(0x0028, 0x0100, bits) + us(0x0028, 0x0101, bits)
        bytes += us(0x0028, 0x0102, bits - 1) + us(0x0028, 0x0103, signed ? 1 : 0)
        return bytes + extra
    }

    /// Preamble, "DICM", the meta group and then `dataSet` (already encoded, tags ascending).
    public static func file(_ dataSet: [UInt8], transferSyntax: String = explicitLittleEndian, uid: String = "1.2.3.4") -> [UInt8] {
        var meta = element(0x0002, 0x0001, "OB", [0, 1]) + text(0x0002, 0x0002, "UI", "1.2.840.10008.5.1.4.1.1.7")
        meta += text(0x0002, 0x0003, "UI", uid) + text(0x0002, 0x0010, "UI", transferSyntax)
        let groupLength = element(0x0002, 0x0000, "UL", le32(UInt32(meta.count)))
        return [UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + groupLength + meta + dataSet
    }

    /// Native pixel data as OW.
    public static func pixelData(_ bytes: [UInt8]) -> [UInt8] { element(0x7FE0, 0x0010, "OW", bytes) }

    /// Encapsulated pixel data: an empty offset table, then the fragments, then the delimiter.
    public static func encapsulated(_ fragments: [[UInt8]]) -> [UInt8] {
        var bytes = le16(0x7FE0) + le16(0x0010) + Array("OB".utf8) + [0, 0] + le32(0xFFFF_FFFF)
        bytes += le16(0xFFFE) + le16(0xE000) + le32(0)
        for fragment in fragments { bytes += le16(0xFFFE) + le16(0xE000) + le32(UInt32(fragment.count)) + fragment }
        return bytes + le16(0xFFFE) + le16(0xE0DD) + le32(0)
    }

    /// `depth` sequences nested inside each other (undefined lengths), as one element of tag (0040,A730).
    public static func nestedSequences(depth: Int) -> [UInt8] {
        let open = le16(0x0040) + le16(0xA730) + Array("SQ".utf8) + [0, 0] + le32(0xFFFF_FFFF) + le16(0xFFFE) + le16(0xE000) + le32(0xFFFF_FFFF)
        let close = le16(0xFFFE) + le16(0xE00D) + le32(0) + le16(0xFFFE) + le16(0xE0DD) + le32(0)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(depth * (open.count + close.count))
        for _ in 0..<depth { bytes += open }
        for _ in 0..<depth { bytes += close }
        return bytes
    }

    /// A baseline JPEG header (SOI, SOF0) claiming `width`×`height`, followed by junk.
    public static func jpegHeader(width: UInt16, height: UInt16) -> [UInt8] {
        [
            0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x0B, 0x08, UInt8(height >> 8), UInt8(height & 0xFF), UInt8(width >> 8), UInt8(width & 0xFF), 0x01, 0x01,
            0x11, 0x00,
        ]
            + [0xFF, 0xD9]
    }

    /// One small file per class of the hardening issue's upload findings that must be refused at ingest:
    /// an absurd frame count, deep nesting and a JPEG size bomb (named, for messages).
    public static func refusedAtIngest() -> [(name: String, bytes: [UInt8])] {
        [
            (
                "frame count",
                file(identity(uid: "1.2.3.10") + imagePixel(rows: 2, columns: 2, bits: 8, frames: "999999999999999") + pixelData([0, 1, 2, 3]))
            ),
            ("nesting", file(identity(uid: "1.2.3.11") + nestedSequences(depth: 10_000))),
            (
                "JPEG size bomb",
                file(
                    identity(uid: "1.2.3.12") + imagePixel(rows: 10, columns: 10, bits: 8)
                        + encapsulated([jpegHeader(width: 65_500, height: 65_500)]),
                    transferSyntax: jpegBaseline
                )
            ),
        ]
    }

    public static let rleLossless = "1.2.840.10008.1.2.5"

    /// A valid RLE Lossless 8-bit image of `frames` constant frames: small on disk (each row is four
    /// 128-byte runs), `rows`×`columns` bytes per frame to decode. Costs CPU to read in full, legitimately.
    public static func rleMultiFrame(uid: String, rows: UInt16, columns: UInt16, frames: Int) -> [UInt8] {
        precondition(columns % 128 == 0, "whole runs per row")
        let runs = Int(columns) / 128 * Int(rows)
        var segment: [UInt8] = []
        segment.reserveCapacity(2 * runs)
        for _ in 0..<runs { segment += [0x81, 0x40] }  // each: 0x40 repeated 128 times
        let header = le32(1) + le32(64) + [UInt8](repeating: 0, count: 56)
        let fragment = header + segment
        return file(
            identity(uid: uid) + imagePixel(rows: rows, columns: columns, bits: 8, frames: String(frames))
                + encapsulated(Array(repeating: fragment, count: frames)),
            transferSyntax: rleLossless,
            uid: uid
        )
    }

    /// Writes `bytes` to a new temporary file and returns its path.
    public static func write(_ bytes: [UInt8], name: String = "hostile") -> String {
        let path = NSTemporaryDirectory() + "/\(name)-\(UUID().uuidString).dcm"
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }
}
