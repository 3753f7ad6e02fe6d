/// A Part 10 file around one JPEG 2000 or HTJ2K codestream, its image pixel module taken from the
/// codestream's SIZ marker (ISO/IEC 15444-1 A.5.1), so that the fuzzer's inputs reach the decoder
/// instead of stopping at the size check. Sizes are capped so that a frame stays small.
enum CodestreamFile {
    static func wrapping(_ codestream: [UInt8], transferSyntax: String) -> [UInt8] {
        // SOC (FF4F), SIZ (FF51): Lsiz, Rsiz, Xsiz, Ysiz, XOsiz, YOsiz, XTsiz, YTsiz, XTOsiz, YTOsiz, Csiz, Ssiz…
        func be32(_ offset: Int) -> Int {
            offset + 4 <= codestream.count ? codestream[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) } : 0
        }
        let hasSIZ = codestream.count >= 42 && codestream[0...3] == [0xFF, 0x4F, 0xFF, 0x51]
        let columns = hasSIZ ? max(1, min(be32(8) - be32(16), 1024)) : 64
        let rows = hasSIZ ? max(1, min(be32(12) - be32(20), 1024)) : 64
        let components = hasSIZ && codestream.count > 41 && codestream[40] == 0 && codestream[41] == 3 ? 3 : 1
        let depth = hasSIZ && codestream.count > 42 ? Int(codestream[42] & 0x7F) + 1 : 16
        let isSigned = hasSIZ && codestream.count > 42 && codestream[42] & 0x80 != 0
        let bitsAllocated = depth <= 8 ? 8 : 16

        var dataSet: [UInt8] = []
        func element(_ group: UInt16, _ number: UInt16, _ vr: String, _ value: [UInt8]) -> [UInt8] {
            var bytes = le16(group) + le16(number) + Array(vr.utf8)
            bytes += ["OB", "OW", "UN", "SQ", "UT"].contains(vr) ? [0, 0] + le32(UInt32(value.count)) : le16(UInt16(value.count))
            return bytes + value
        }
        func text(_ value: String) -> [UInt8] {
            var bytes = Array(value.utf8)
            if bytes.count % 2 == 1 { bytes.append(value.allSatisfy { $0.isNumber || $0 == "." } ? 0 : 0x20) }
            return bytes
        }
        let sopClass = "1.2.840.10008.5.1.4.1.1.7"
        let instance = "1.2.826.0.1.3680043.8.498.1"
        var meta = element(0x0002, 0x0001, "OB", [0, 1]) + element(0x0002, 0x0002, "UI", text(sopClass))
        meta += element(0x0002, 0x0003, "UI", text(instance)) + element(0x0002, 0x0010, "UI", text(transferSyntax))
        dataSet += element(0x0008, 0x0016, "UI", text(sopClass)) + element(0x0008, 0x0018, "UI", text(instance))
        dataSet += element(0x0028, 0x0002, "US", le16(UInt16(components)))
        dataSet += element(0x0028, 0x0004, "CS", text(components == 3 ? "RGB" : "MONOCHROME2"))
        if components == 3 { dataSet += element(0x0028, 0x0006, "US", le16(0)) }
        dataSet += element(0x0028, 0x0010, "US", le16(UInt16(rows))) + element(0x0028, 0x0011, "US", le16(UInt16(columns)))
        dataSet += element(0x0028, 0x0100, "US", le16(UInt16(bitsAllocated)))
        dataSet += element(0x0028, 0x0101, "US", le16(UInt16(min(depth, bitsAllocated))))
        dataSet += element(0x0028, 0x0102, "US", le16(UInt16(min(depth, bitsAllocated) - 1)))
        dataSet += element(0x0028, 0x0103, "US", le16(isSigned ? 1 : 0))
        var fragment = codestream
        if fragment.count % 2 == 1 { fragment.append(0) }
        dataSet += le16(0x7FE0) + le16(0x0010) + Array("OB".utf8) + [0, 0] + le32(0xFFFF_FFFF)
        dataSet += le16(0xFFFE) + le16(0xE000) + le32(0)
        dataSet += le16(0xFFFE) + le16(0xE000) + le32(UInt32(fragment.count)) + fragment
        dataSet += le16(0xFFFE) + le16(0xE0DD) + le32(0)
        let groupLength = element(0x0002, 0x0000, "UL", le32(UInt32(meta.count)))
        return [UInt8](repeating: 0, count: 128) + Array("DICM".utf8) + groupLength + meta + dataSet
    }

    private static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    private static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) } }
}
