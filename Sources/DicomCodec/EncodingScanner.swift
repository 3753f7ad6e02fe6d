import CZlib
import DicomWeb

/// Checks a Part 10 file's encoding against `DecodingLimits` before any parser builds it.
///
/// DCMTK's parser recurses once per sequence level and allocates per element, so nesting, element,
/// item and fragment counts are bounded here, on the raw bytes, by one linear, iterative walk (an explicit
/// stack, never recursion; every length checked against the bytes that remain). It also reads the few
/// attributes that size the pixel data and compares them with the codestreams' own headers (JPEG and
/// JPEG-LS SOF, JPEG 2000 SIZ), so a 10×10 image whose codestream claims 65500×65500 is refused before
/// any decoder allocates; deflated data sets are inflated with a bound on size and ratio.
///
/// Conservative where the encoding is ambiguous: a value that begins with an item tag is walked as a
/// sequence (that is how DCMTK reads implicit VR and UN sequences), so counts are never under-reported.
public enum EncodingScanner {
    /// What the walk learned: enough for limits and for locating native pixel data.
    public struct Summary: Sendable, Equatable {
        public var transferSyntaxUID: String
        public var elements = 0
        public var items = 0
        public var fragments = 0
        public var deepestNesting = 0
        public var rows: Int?
        public var columns: Int?
        public var samplesPerPixel: Int?
        public var bitsAllocated: Int?
        /// Number of Frames (0028,0008) parsed as an integer string; nil when absent.
        public var numberOfFrames: Int?
        /// Bytes of the top-level Pixel Data value (all fragments for encapsulated data).
        public var pixelDataBytes: UInt64 = 0
        /// Codestreams whose headers were compared with the attributes.
        public var codestreamsChecked = 0
    }

    static let explicitLittleEndian = TransferSyntaxUID.explicitLittleEndian
    static let implicitLittleEndian = TransferSyntaxUID.implicitLittleEndian
    static let explicitBigEndian = "1.2.840.10008.1.2.2"
    static let deflatedExplicitLittleEndian = "1.2.840.10008.1.2.1.99"

    /// Scans a whole file held in memory.
    public static func scan(_ bytes: UnsafeRawBufferPointer, limits: DecodingLimits) throws(DicomError) -> Summary {
        guard bytes.count > 0 else { throw .failure(.empty, "the file is empty (0 bytes)") }
        guard UInt64(bytes.count) <= limits.maxFileBytes else {
            throw .failure(.limitExceeded, "the file is \(bytes.count) bytes, over the limit of \(limits.maxFileBytes)")
        }
        guard bytes.count >= 132, bytes[128] == 0x44, bytes[129] == 0x49, bytes[130] == 0x43, bytes[131] == 0x4D else {
            if bytes.count >= 8, Array(bytes[0..<8]) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] {
                throw .failure(.notDicom, "this is a PNG image, not a DICOM file")
            }
            throw .failure(.notDicom, "no DICOM Part 10 header: the 128-byte preamble is not followed by \"DICM\"")
        }
        var walk = Walk(bytes: bytes, limits: limits)
        walk.position = 132
        let transferSyntax = try walk.metaInformation()
        walk.summary.transferSyntaxUID = transferSyntax
        switch transferSyntax {
        case implicitLittleEndian:
            try walk.dataSet(explicit: false, bigEndian: false)
        case explicitBigEndian:
            try walk.dataSet(explicit: true, bigEndian: true)
        case deflatedExplicitLittleEndian:
            let compressed = UnsafeRawBufferPointer(rebasing: bytes[walk.position...])
            let inflated = try inflate(compressed, limits: limits)
            var inner = Walk(bytes: UnsafeRawBufferPointer(start: nil, count: 0), limits: limits)
            inner.summary = walk.summary
            let failure: DicomError? = inflated.withUnsafeBytes { inflated in
                inner.bytes = inflated
                inner.position = 0
                do throws(DicomError) { try inner.dataSet(explicit: true, bigEndian: false) } catch { return error }
                return nil
            }
            if let failure { throw failure }
            walk.summary = inner.summary
        default:
            // Every other syntax DICOM defines encodes the data set in explicit VR little endian.
            try walk.dataSet(explicit: true, bigEndian: false)
        }
        try walk.checkPixelBudget()
        return walk.summary
    }

    public static func scan(_ bytes: [UInt8], limits: DecodingLimits) throws(DicomError) -> Summary {
        let result: Result<Summary, DicomError> = bytes.withUnsafeBytes { bytes in
            do throws(DicomError) { return .success(try scan(bytes, limits: limits)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Inflates a raw deflate stream (PS3.5 A.5), refusing it as soon as it outgrows the limits.
    static func inflate(_ compressed: UnsafeRawBufferPointer, limits: DecodingLimits) throws(DicomError) -> [UInt8] {
        var stream = z_stream()
        guard inflateInit2_(&stream, -MAX_WBITS, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
            throw .failure(.internalError, "cannot start inflating the deflated data set")
        }
        defer { inflateEnd(&stream) }
        var output: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        stream.next_in = UnsafeMutablePointer(mutating: compressed.baseAddress?.assumingMemoryBound(to: Bytef.self))
        stream.avail_in = uInt(compressed.count)
        while true {
            let status: Int32 = chunk.withUnsafeMutableBufferPointer { chunk in
                stream.next_out = chunk.baseAddress
                stream.avail_out = uInt(chunk.count)
                return CZlib.inflate(&stream, Z_NO_FLUSH)
            }
            let produced = chunk.count - Int(stream.avail_out)
            output.append(contentsOf: chunk[0..<produced])
            let size = UInt64(output.count)
            if size > limits.maxInflatedBytes {
                throw .failure(.limitExceeded, "the deflated data set inflates to more than \(limits.maxInflatedBytes) bytes")
            }
            if limits.exceedsCompressionRatio(decoded: size, encoded: UInt64(compressed.count)) {
                throw .failure(
                    .limitExceeded,
                    "the deflated data set inflates more than \(limits.maxCompressionRatio)× (\(compressed.count) bytes → over \(size)): refused as a decompression bomb"
                )
            }
            switch status {
            case Z_STREAM_END: return output
            case Z_OK: continue
            case Z_BUF_ERROR where stream.avail_in == 0:
                throw .failure(.truncated, "the file is truncated: the deflated data set ends early")
            default:
                throw .failure(.corrupt, "the deflated data set is not a valid deflate stream")
            }
        }
    }

    /// One open container on the walk's stack.
    struct Container {
        enum Kind { case sequence, item, fragments }
        var kind: Kind
        /// Where a defined-length container ends; nil for undefined length (ends at its delimiter).
        var end: Int?
        var explicit: Bool
        /// Depth 0 is the top-level data set.
        var depth: Int
    }

    struct Walk {
        var bytes: UnsafeRawBufferPointer
        let limits: DecodingLimits
        var position = 0
        var summary = Summary(transferSyntaxUID: "")
        var bigEndian = false

        init(bytes: UnsafeRawBufferPointer, limits: DecodingLimits) {
            self.bytes = bytes
            self.limits = limits
        }

        var remaining: Int { bytes.count - position }

        func canRead(_ count: Int, at offset: Int? = nil) -> Bool {
            let start = offset ?? position
            return count >= 0 && start >= 0 && start <= bytes.count && count <= bytes.count - start
        }

        func uint16(at offset: Int) -> UInt16 {
            let (a, b) = (UInt16(bytes[offset]), UInt16(bytes[offset + 1]))
            return bigEndian ? a << 8 | b : b << 8 | a
        }

        func uint32(at offset: Int) -> UInt32 {
            let (high, low) =
                bigEndian
                ? (UInt32(uint16(at: offset)), UInt32(uint16(at: offset + 2)))
                : (UInt32(uint16(at: offset + 2)), UInt32(uint16(at: offset)))
            return high << 16 | low
        }

        static func truncated(_ what: String) -> DicomError { .failure(.truncated, "the file is truncated: \(what)") }

        /// The meta group (always explicit VR little endian); returns the Transfer Syntax UID.
        mutating func metaInformation() throws(DicomError) -> String {
            var transferSyntax: String?
            while canRead(8), uint16(at: position) == 0x0002 {
                let element = uint16(at: position + 2)
                let vr = (bytes[position + 4], bytes[position + 5])
                var length: Int
                if Self.isLongVR(vr) {
                    guard canRead(12) else { throw Self.truncated("inside the file meta information") }
                    length = Int(uint32(at: position + 8))
                    position += 12
                } else {
                    length = Int(uint16(at: position + 6))
                    position += 8
                }
                guard length != 0xFFFF_FFFF, canRead(length) else { throw Self.truncated("inside the file meta information") }
                try countElement()
                if element == 0x0010 {
                    transferSyntax = Self.text(UnsafeRawBufferPointer(rebasing: bytes[position..<(position + length)]))
                }
                position += length
            }
            guard let transferSyntax, !transferSyntax.isEmpty else {
                throw .failure(.corrupt, "the file meta information has no Transfer Syntax UID (0002,0010)")
            }
            return transferSyntax
        }

        static func text(_ bytes: UnsafeRawBufferPointer) -> String {
            var text = Substring(String(decoding: bytes, as: UTF8.self))
            while let last = text.last, last == " " || last == "\0" { text.removeLast() }
            while let first = text.first, first == " " { text.removeFirst() }
            return String(text)
        }

        /// VRs with a reserved field and a 4-byte length in explicit VR (PS3.5 Table 7.1-1).
        static func isLongVR(_ vr: (UInt8, UInt8)) -> Bool {
            switch (vr.0, vr.1) {
            case (0x4F, 0x42), (0x4F, 0x44), (0x4F, 0x46), (0x4F, 0x4C), (0x4F, 0x56), (0x4F, 0x57),  // OB OD OF OL OV OW
                (0x53, 0x51), (0x53, 0x56), (0x55, 0x43), (0x55, 0x4E), (0x55, 0x52), (0x55, 0x54), (0x55, 0x56):  // SQ SV UC UN UR UT UV
                true
            default: false
            }
        }

        mutating func countElement() throws(DicomError) {
            summary.elements += 1
            guard summary.elements <= limits.maxElements else {
                throw .failure(.limitExceeded, "the object has more than \(limits.maxElements) data elements")
            }
        }

        /// The data set from `position` to the end of the bytes, iteratively.
        mutating func dataSet(explicit: Bool, bigEndian: Bool) throws(DicomError) {
            self.bigEndian = bigEndian
            var stack = [Container(kind: .item, end: bytes.count, explicit: explicit, depth: 0)]
            while true {
                // Close every defined-length container that ends here.
                while let top = stack.last, let end = top.end, position >= end {
                    guard position == end else { throw .failure(.corrupt, "an element runs past the end of its item or sequence") }
                    if stack.count == 1 { return }
                    stack.removeLast()
                }
                guard let top = stack.last else { return }
                guard canRead(8) else {
                    // A few bytes of padding after the last element are tolerated, as DCMTK does.
                    if stack.count == 1 { return }
                    if remaining == 0 { throw Self.truncated("a sequence or item is not closed") }
                    throw Self.truncated("the last element header is incomplete")
                }
                let group = uint16(at: position)
                let element = uint16(at: position + 2)
                if group == 0xFFFE {
                    let length = uint32(at: position + 4)
                    position += 8
                    try delimiterOrItem(element: element, length: length, top: top, stack: &stack)
                    continue
                }
                guard top.kind == .item else {
                    throw .failure(.corrupt, "\(DicomTag(group, element)) appears where a sequence item was expected")
                }
                try countElement()
                let header = try elementHeader(group: group, element: element, explicit: top.explicit)
                try value(of: header, in: top, stack: &stack)
            }
        }

        struct ElementHeader {
            var group: UInt16
            var element: UInt16
            var vr: (UInt8, UInt8)?
            var length: UInt32
        }

        mutating func elementHeader(group: UInt16, element: UInt16, explicit: Bool) throws(DicomError) -> ElementHeader {
            guard explicit else {
                let length = uint32(at: position + 4)
                position += 8
                return ElementHeader(group: group, element: element, vr: nil, length: length)
            }
            let vr = (bytes[position + 4], bytes[position + 5])
            guard (0x41...0x5A).contains(vr.0), (0x41...0x5A).contains(vr.1) else {
                throw .failure(.corrupt, "\(DicomTag(group, element)) has no valid value representation")
            }
            if Self.isLongVR(vr) {
                guard canRead(12) else { throw Self.truncated("the last element header is incomplete") }
                let length = uint32(at: position + 8)
                position += 12
                return ElementHeader(group: group, element: element, vr: vr, length: length)
            }
            let length = UInt32(uint16(at: position + 6))
            position += 8
            return ElementHeader(group: group, element: element, vr: vr, length: length)
        }

        /// Items, item delimiters and sequence delimiters, checked against the container they close or open.
        mutating func delimiterOrItem(element: UInt16, length: UInt32, top: Container, stack: inout [Container]) throws(DicomError) {
            switch element {
            case 0xE000 where top.kind == .fragments:
                summary.fragments += 1
                guard summary.fragments <= limits.maxFragments else {
                    throw .failure(.limitExceeded, "the pixel data has more than \(limits.maxFragments) fragments")
                }
                guard length != 0xFFFF_FFFF, canRead(Int(length)) else { throw Self.truncated("inside a pixel data fragment") }
                if top.depth == 1 {
                    summary.pixelDataBytes += UInt64(length)
                    // The Basic Offset Table starts with offset 0, never with a codestream's signature.
                    try checkCodestream(UnsafeRawBufferPointer(rebasing: bytes[position..<(position + Int(length))]))
                }
                position += Int(length)
                try checkContainerEnd(stack)
            case 0xE000 where top.kind == .sequence:
                summary.items += 1
                guard summary.items <= limits.maxItems else {
                    throw .failure(.limitExceeded, "the object has more than \(limits.maxItems) sequence items")
                }
                let end: Int?
                if length == 0xFFFF_FFFF {
                    end = nil
                } else {
                    guard canRead(Int(length)) else { throw Self.truncated("inside a sequence item") }
                    end = position + Int(length)
                }
                stack.append(Container(kind: .item, end: end, explicit: top.explicit, depth: top.depth))
            case 0xE00D where top.kind == .item && top.end == nil && stack.count > 1:
                stack.removeLast()
            case 0xE0DD where top.kind != .item && top.end == nil:
                stack.removeLast()
            default:
                throw .failure(.corrupt, "\(DicomTag(0xFFFE, element)) is out of place")
            }
        }

        func checkContainerEnd(_ stack: [Container]) throws(DicomError) {
            if let end = stack.last?.end, position > end {
                throw .failure(.corrupt, "a fragment runs past the end of its pixel data")
            }
        }

        /// Skips or descends into an element's value.
        mutating func value(of header: ElementHeader, in top: Container, stack: inout [Container]) throws(DicomError) {
            let isPixelData = header.group == 0x7FE0 && header.element == 0x0010
            let isSequenceVR = header.vr.map { $0 == (0x53, 0x51) } ?? false
            let isUnknownVR = header.vr.map { $0 == (0x55, 0x4E) } ?? true  // implicit VR: unknown without a dictionary
            if header.length == 0xFFFF_FFFF {
                if isPixelData {
                    stack.append(Container(kind: .fragments, end: nil, explicit: top.explicit, depth: top.depth + 1))
                } else {
                    // SQ, or UN / implicit VR, whose undefined-length contents are implicit VR little endian.
                    try openSequence(end: nil, explicit: isSequenceVR && top.explicit, top: top, stack: &stack)
                }
                return
            }
            let length = Int(header.length)
            guard canRead(length) else {
                throw Self.truncated("\(DicomTag(header.group, header.element)) claims \(length) bytes, \(remaining) remain")
            }
            if isSequenceVR || (isUnknownVR && !isPixelData && startsWithItem()) {
                try openSequence(end: position + length, explicit: isSequenceVR && top.explicit, top: top, stack: &stack)
                return
            }
            if top.depth == 0 { readImageAttribute(header, length: length) }
            if isPixelData && top.depth == 0 { summary.pixelDataBytes = UInt64(length) }
            position += length
            if let end = top.end, position > end {
                throw .failure(.corrupt, "\(DicomTag(header.group, header.element)) runs past the end of its item")
            }
        }

        func startsWithItem() -> Bool {
            canRead(4) && uint16(at: position) == 0xFFFE && uint16(at: position + 2) == 0xE000
        }

        mutating func openSequence(end: Int?, explicit: Bool, top: Container, stack: inout [Container]) throws(DicomError) {
            let depth = top.depth + 1
            guard depth <= limits.maxSequenceDepth else {
                throw .failure(.limitExceeded, "sequences are nested more than \(limits.maxSequenceDepth) deep")
            }
            summary.deepestNesting = max(summary.deepestNesting, depth)
            stack.append(Container(kind: .sequence, end: end, explicit: explicit, depth: depth))
        }

        /// Rows, Columns, Samples per Pixel, Bits Allocated (US) and Number of Frames (IS) of the top level.
        mutating func readImageAttribute(_ header: ElementHeader, length: Int) {
            guard header.group == 0x0028 else { return }
            switch header.element {
            case 0x0002, 0x0010, 0x0011, 0x0100:
                guard length == 2 else { return }
                let value = Int(uint16(at: position))
                switch header.element {
                case 0x0002: summary.samplesPerPixel = value
                case 0x0010: summary.rows = value
                case 0x0011: summary.columns = value
                default: summary.bitsAllocated = value
                }
            case 0x0008:
                let text = Self.text(UnsafeRawBufferPointer(rebasing: bytes[position..<(position + length)]))
                summary.numberOfFrames = IntegerString.parse(text) ?? -1
            default:
                return
            }
        }

        /// Frames, decoded bytes per frame and the compression ratio of the whole pixel data.
        func checkPixelBudget() throws(DicomError) {
            if let frames = summary.numberOfFrames {
                guard frames >= 1 else { throw .failure(.missingAttribute, "Number of Frames (0028,0008) is not a positive integer") }
                guard frames <= Int(limits.maxFrames) else {
                    throw .failure(.limitExceeded, "\(frames) frames exceeds the limit of \(limits.maxFrames)")
                }
            }
            guard let rows = summary.rows, let columns = summary.columns, summary.pixelDataBytes > 0 else { return }
            let samples = UInt64(max(1, summary.samplesPerPixel ?? 1))
            let bytesPerSample = UInt64(max(1, (summary.bitsAllocated ?? 8) / 8))
            let frameBytes = UInt64(rows) * UInt64(columns) * samples * bytesPerSample
            guard frameBytes <= limits.maxDecodedFrameBytes else {
                throw .failure(.limitExceeded, "one decoded frame would take \(frameBytes) bytes, over the limit of \(limits.maxDecodedFrameBytes)")
            }
            let total = frameBytes * UInt64(max(1, summary.numberOfFrames ?? 1))
            if limits.exceedsCompressionRatio(decoded: total, encoded: summary.pixelDataBytes) {
                throw .failure(
                    .limitExceeded,
                    "\(summary.pixelDataBytes) bytes of pixel data would decode to \(total): over \(limits.maxCompressionRatio)×, refused as a decompression bomb"
                )
            }
        }

        /// Compares a codestream's own size with Rows, Columns and Samples per Pixel.
        mutating func checkCodestream(_ fragment: UnsafeRawBufferPointer) throws(DicomError) {
            guard let header = CodestreamHeader.read(fragment) else { return }
            summary.codestreamsChecked += 1
            guard let rows = summary.rows, let columns = summary.columns else {
                throw .failure(.missingAttribute, "Rows or Columns is missing before the pixel data")
            }
            guard header.width == columns, header.height == rows else {
                throw .failure(
                    .corrupt,
                    "the \(header.codec) codestream is \(header.width)×\(header.height), the attributes say \(columns)×\(rows)"
                )
            }
            if let samples = summary.samplesPerPixel, header.components != samples {
                throw .failure(.corrupt, "the \(header.codec) codestream has \(header.components) components, Samples per Pixel is \(samples)")
            }
        }
    }
}

/// The image size a JPEG, JPEG-LS or JPEG 2000 codestream declares before any entropy-coded data.
struct CodestreamHeader: Equatable {
    var codec: String
    var width: Int
    var height: Int
    var components: Int

    /// Reads the header at the start of `bytes`; nil when the bytes do not start a known codestream.
    /// A codestream that starts but whose header is malformed or incomplete reads as a 0×0 image, so
    /// the comparison with the attributes refuses it.
    static func read(_ bytes: UnsafeRawBufferPointer) -> CodestreamHeader? {
        guard bytes.count >= 2, bytes[0] == 0xFF else {
            return isJP2(bytes) ? jp2(bytes) : nil
        }
        switch bytes[1] {
        case 0xD8: return jpeg(bytes)
        case 0x4F: return jpeg2000(bytes, from: 0)
        default: return nil
        }
    }

    static func be16(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> Int { Int(bytes[offset]) << 8 | Int(bytes[offset + 1]) }
    static func be32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> Int { be16(bytes, offset) << 16 | be16(bytes, offset + 2) }

    /// JPEG (ITU T.81) and JPEG-LS (T.87): marker segments up to the first SOF.
    static func jpeg(_ bytes: UnsafeRawBufferPointer) -> CodestreamHeader {
        let unreadable = CodestreamHeader(codec: "JPEG", width: 0, height: 0, components: 0)
        var offset = 2
        while offset + 4 <= bytes.count {
            guard bytes[offset] == 0xFF else { return unreadable }
            let marker = bytes[offset + 1]
            if marker == 0xFF {
                offset += 1
                continue
            }  // fill bytes
            let length = be16(bytes, offset + 2)
            switch marker {
            case 0xC0...0xC3, 0xC5...0xC7, 0xC9...0xCB, 0xCD...0xCF, 0xF7:
                guard length >= 8, offset + 2 + 8 <= bytes.count else { return unreadable }
                return CodestreamHeader(
                    codec: marker == 0xF7 ? "JPEG-LS" : "JPEG",
                    width: be16(bytes, offset + 7),
                    height: be16(bytes, offset + 5),
                    components: Int(bytes[offset + 9])
                )
            case 0xDA, 0xD9: return unreadable  // scan or end before any frame header
            default:
                guard length >= 2 else { return unreadable }
                offset += 2 + length
            }
        }
        return unreadable
    }

    /// JPEG 2000 (T.800): SOC then SIZ, which must come first.
    static func jpeg2000(_ bytes: UnsafeRawBufferPointer, from start: Int) -> CodestreamHeader {
        let unreadable = CodestreamHeader(codec: "JPEG 2000", width: 0, height: 0, components: 0)
        let siz = start + 2
        guard siz + 40 <= bytes.count, bytes[siz] == 0xFF, bytes[siz + 1] == 0x51 else { return unreadable }
        let (xSize, ySize) = (be32(bytes, siz + 6), be32(bytes, siz + 10))
        let (xOrigin, yOrigin) = (be32(bytes, siz + 14), be32(bytes, siz + 18))
        guard xSize > xOrigin, ySize > yOrigin else { return unreadable }
        return CodestreamHeader(codec: "JPEG 2000", width: xSize - xOrigin, height: ySize - yOrigin, components: be16(bytes, siz + 38))
    }

    static func isJP2(_ bytes: UnsafeRawBufferPointer) -> Bool {
        bytes.count >= 12 && be32(bytes, 0) == 12 && be32(bytes, 4) == 0x6A50_2020
    }

    /// A JP2 file: boxes up to the contiguous codestream box (jp2c).
    static func jp2(_ bytes: UnsafeRawBufferPointer) -> CodestreamHeader {
        var offset = 0
        while offset + 8 <= bytes.count {
            let length = be32(bytes, offset)
            if be32(bytes, offset + 4) == 0x6A70_3263 { return jpeg2000(bytes, from: offset + 8) }  // "jp2c"
            guard length >= 8 else { break }
            offset += length
        }
        return CodestreamHeader(codec: "JPEG 2000", width: 0, height: 0, components: 0)
    }
}
