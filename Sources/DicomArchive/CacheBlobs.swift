import DicomCodec
import DicomImaging

// The byte layouts renders and documents are kept in, in Redis: a four-letter tag, little-endian
// fixed fields, then the payload.

/// Little-endian fields of the cache layouts.
enum LittleEndian {
    static func append<Value: FixedWidthInteger>(_ value: Value, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes += $0 }
    }

    /// The value at `offset`; the caller has checked that its bytes are there.
    static func read<Value: FixedWidthInteger>(_ type: Value.Type, from bytes: [UInt8], at offset: Int) -> Value {
        bytes[offset..<offset + MemoryLayout<Value>.size].reversed().reduce(Value.zero) { $0 << 8 | Value($1) }
    }
}

extension RenderedImageResult {
    /// The form kept in Redis: a small fixed header (format, size, frame, the image's byte count, window)
    /// then the image bytes.
    var cacheBlob: [UInt8] {
        var blob = Array("DSR2".utf8)
        blob.append(format == .png ? 0 : 1)
        for value in [width, height, frame, bytes.count] { LittleEndian.append(UInt32(value), to: &blob) }
        if let window {
            blob.append(UInt8(VOIFunction.allCases.firstIndex(of: window.function) ?? 0) + 1)
            for value in [window.center, window.width] { LittleEndian.append(value.bitPattern, to: &blob) }
        } else {
            blob.append(0)
        }
        return blob + bytes
    }

    /// Nil for anything that is not a whole render in this layout: another program's value, an older
    /// layout, a truncated write. What Redis hands back is input like any other; a bad entry is a miss.
    init?(cacheBlob blob: [UInt8]) {
        guard blob.count >= 22, blob.starts(with: Array("DSR2".utf8)), blob[4] <= 1 else { return nil }
        func uint32(_ at: Int) -> Int { Int(LittleEndian.read(UInt32.self, from: blob, at: at)) }
        func double(_ at: Int) -> Double { Double(bitPattern: LittleEndian.read(UInt64.self, from: blob, at: at)) }
        var offset = 22
        var window: Window?
        if blob[21] != 0 {
            guard blob.count >= 38, Int(blob[21]) - 1 < VOIFunction.allCases.count else { return nil }
            window = Window(center: double(22), width: double(30), function: VOIFunction.allCases[Int(blob[21]) - 1])
            offset = 38
        }
        let format: ImageFormat = blob[4] == 0 ? .png : .jpeg
        let signature: [UInt8] = format == .png ? [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] : [0xFF, 0xD8, 0xFF]
        let (width, height, frame) = (uint32(5), uint32(9), uint32(13))
        guard blob.count - offset == uint32(17), blob[offset...].starts(with: signature),
            (1...65_535).contains(width), (1...65_535).contains(height), frame >= 1
        else { return nil }
        self.init(bytes: Array(blob[offset...]), format: format, width: width, height: height, window: window, frame: frame)
    }
}

extension CachedDocument {
    /// The form kept in Redis: `DSD1`, the lengths of the content type and plain body, then the three.
    var cacheBlob: [UInt8] {
        var blob = Array("DSD1".utf8)
        for length in [contentType.utf8.count, plain.count] { LittleEndian.append(UInt32(length), to: &blob) }
        return blob + Array(contentType.utf8) + plain + gzip
    }

    init?(cacheBlob blob: [UInt8]) {
        guard blob.count >= 12, blob.starts(with: Array("DSD1".utf8)) else { return nil }
        let typeLength = Int(LittleEndian.read(UInt32.self, from: blob, at: 4))
        let plainLength = Int(LittleEndian.read(UInt32.self, from: blob, at: 8))
        // Like a render, what Redis hands back is checked: the lengths fit, the media type is short
        // text, the compressed form is gzip.
        guard typeLength <= 256, blob.count >= 12 + typeLength + plainLength,
            blob[(12 + typeLength + plainLength)...].starts(with: [0x1F, 0x8B]),
            let type = String(validating: blob[12..<12 + typeLength], as: UTF8.self), type.contains("/")
        else { return nil }
        contentType = type
        plain = Array(blob[(12 + typeLength)..<(12 + typeLength + plainLength)])
        gzip = Array(blob[(12 + typeLength + plainLength)...])
    }
}
