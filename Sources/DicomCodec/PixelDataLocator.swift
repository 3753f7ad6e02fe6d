import DicomWeb

/// Finds where native (uncompressed) Pixel Data lies in a Part 10 file, so a server can read a frame
/// with one positioned read instead of parsing the file (the catalog records the offset; docs/architecture.md).
///
/// A small walk over the encoding (PS3.5 §7): the meta group in explicit VR little endian, then the
/// dataset in implicit or explicit VR little endian, skipping sequences of any nesting. Every length is
/// checked against the bytes; anything unexpected gives nil, never a crash. Explicit VR big endian (a
/// retired syntax) also gives nil: its OW words are byte-swapped on disk, so its bytes are not frames
/// as they stand, and such files are decoded through DCMTK instead.
public enum PixelDataLocator {
    /// The Pixel Data value: its byte range in the file and the transfer syntax it is encoded with.
    public struct Location: Sendable, Equatable {
        public var offset: Int
        public var length: Int
        public var transferSyntaxUID: String
    }

    static let implicitLittleEndian = TransferSyntaxUID.implicitLittleEndian
    static let explicitLittleEndian = TransferSyntaxUID.explicitLittleEndian
    /// VRs with a 2-byte reserved field and a 4-byte length in explicit VR (PS3.5 Table 7.1-1).
    static let longVRs: Set<UInt16> = Set(["OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"].map(vrCode))
    static let maximumDepth = 32

    static func vrCode(_ vr: String) -> UInt16 {
        let bytes = Array(vr.utf8)
        return UInt16(bytes[0]) << 8 | UInt16(bytes[1])
    }

    /// Locates native Pixel Data in `bytes` (a whole file); nil for encapsulated or deflated data,
    /// files without Pixel Data, or malformed encodings.
    public static func locate(in bytes: [UInt8]) -> Location? {
        bytes.withUnsafeBufferPointer { locate(in: $0) }
    }

    public static func locate(in bytes: UnsafeBufferPointer<UInt8>) -> Location? {
        guard bytes.count >= 132, bytes[128] == 0x44, bytes[129] == 0x49, bytes[130] == 0x43, bytes[131] == 0x4D else { return nil }
        var reader = Reader(bytes: bytes, position: 132, explicit: true, bigEndian: false)
        var transferSyntax: String?
        // The meta group is always explicit VR little endian.
        while let (group, element) = reader.peekTag(), group == 0x0002 {
            guard let header = reader.elementHeader(), let length = header.length, reader.canRead(length) else { return nil }
            if element == 0x0010 {
                transferSyntax = String(decoding: bytes[reader.position..<(reader.position + length)], as: UTF8.self)
                    .trimmingCharacters(in: "\0").trimmingCharacters(in: " ")
            }
            reader.position += length
        }
        guard let transferSyntax else { return nil }
        switch transferSyntax {
        case implicitLittleEndian: reader.explicit = false
        case explicitLittleEndian: break
        default: return nil  // big endian, encapsulated or deflated: no native little-endian value to point at
        }
        while reader.position < bytes.count {
            guard let header = reader.elementHeader() else { return nil }
            if header.group == 0x7FE0 && header.element == 0x0010 {
                guard let length = header.length, reader.canRead(length) else { return nil }
                return Location(offset: reader.position, length: length, transferSyntaxUID: transferSyntax)
            }
            guard reader.skipValue(header, depth: 0) else { return nil }
        }
        return nil
    }

    struct Header {
        var group: UInt16
        var element: UInt16
        var vr: UInt16?
        /// Nil for undefined length.
        var length: Int?
    }

    struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var position: Int
        var explicit: Bool
        var bigEndian: Bool

        func canRead(_ count: Int) -> Bool { count >= 0 && position <= bytes.count - count }

        func uint16(at offset: Int) -> UInt16 {
            bigEndian ? UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1]) : UInt16(bytes[offset]) | UInt16(bytes[offset + 1]) << 8
        }

        func uint32(at offset: Int) -> UInt32 {
            bigEndian
                ? UInt32(uint16(at: offset)) << 16 | UInt32(uint16(at: offset + 2))
                : UInt32(uint16(at: offset)) | UInt32(uint16(at: offset + 2)) << 16
        }

        func peekTag() -> (UInt16, UInt16)? {
            guard canRead(4) else { return nil }
            return (uint16(at: position), uint16(at: position + 2))
        }

        /// Reads a tag and length (and VR when explicit); items and delimiters have no VR in any syntax.
        mutating func elementHeader() -> Header? {
            guard let (group, element) = peekTag() else { return nil }
            if group == 0xFFFE {
                guard canRead(8) else { return nil }
                let length = uint32(at: position + 4)
                position += 8
                return Header(group: group, element: element, vr: nil, length: length == 0xFFFF_FFFF ? nil : Int(length))
            }
            if !explicit {
                guard canRead(8) else { return nil }
                let length = uint32(at: position + 4)
                position += 8
                return Header(group: group, element: element, vr: nil, length: length == 0xFFFF_FFFF ? nil : Int(length))
            }
            guard canRead(8) else { return nil }
            let vr = UInt16(bytes[position + 4]) << 8 | UInt16(bytes[position + 5])
            if PixelDataLocator.longVRs.contains(vr) {
                guard canRead(12) else { return nil }
                let length = uint32(at: position + 8)
                position += 12
                return Header(group: group, element: element, vr: vr, length: length == 0xFFFF_FFFF ? nil : Int(length))
            }
            let length = Int(uint16(at: position + 6))
            position += 8
            return Header(group: group, element: element, vr: vr, length: length)
        }

        /// Skips an element's value; undefined lengths are walked item by item to their delimiter.
        mutating func skipValue(_ header: Header, depth: Int) -> Bool {
            if let length = header.length {
                guard canRead(length) else { return false }
                position += length
                return true
            }
            guard depth < PixelDataLocator.maximumDepth else { return false }
            // Undefined length: a sequence (or an item) ends at its delimitation item.
            let isItem = header.group == 0xFFFE && header.element == 0xE000
            let delimiter: UInt16 = isItem ? 0xE00D : 0xE0DD
            while true {
                guard let inner = elementHeader() else { return false }
                if inner.group == 0xFFFE && inner.element == delimiter { return true }
                guard skipValue(inner, depth: depth + 1) else { return false }
            }
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in character: Character) -> String {
        var text = Substring(self)
        while text.last == character { text.removeLast() }
        while text.first == character { text.removeFirst() }
        return String(text)
    }
}
