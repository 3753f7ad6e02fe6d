import DicomCodec

/// Instances that replace others: the same UIDs with other pixels, for the tests of what a replacement
/// must retire (caches, ETags, rows).
public enum ReplacementObjects {
    /// The 16-bit instance at `path` with every stored value plus `offset`, as Part 10 bytes.
    public static func shiftingPixels(of path: String, by offset: Int16 = 100) throws -> [UInt8] {
        let file = try DicomFile(path: path)
        let frame = try file.decodeFrame(1)
        let shifted = stride(from: 0, to: frame.bytes.count, by: 2).flatMap { index -> [UInt8] in
            let value = Int16(bitPattern: UInt16(frame.bytes[index]) | UInt16(frame.bytes[index + 1]) << 8) &+ offset
            return [UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8)]
        }
        return try Part10Writer.write(try file.dataSet(bulkThreshold: .max), pixelData: shifted, bitsAllocated: 16)
    }
}
