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
    /// The form kept in Redis: a small fixed header (format, size, frame, window) then the image bytes.
    var cacheBlob: [UInt8] {
        var blob = Array("DSR1".utf8)
        blob.append(format == .png ? 0 : 1)
        for value in [width, height, frame] { LittleEndian.append(UInt32(value), to: &blob) }
        if let window {
            blob.append(UInt8(VOIFunction.allCases.firstIndex(of: window.function) ?? 0) + 1)
            for value in [window.center, window.width] { LittleEndian.append(value.bitPattern, to: &blob) }
        } else {
            blob.append(0)
        }
        return blob + bytes
    }

    init?(cacheBlob blob: [UInt8]) {
        guard blob.count >= 18, blob.starts(with: Array("DSR1".utf8)), blob[4] <= 1 else { return nil }
        func uint32(_ at: Int) -> Int { Int(LittleEndian.read(UInt32.self, from: blob, at: at)) }
        func double(_ at: Int) -> Double { Double(bitPattern: LittleEndian.read(UInt64.self, from: blob, at: at)) }
        var offset = 18
        var window: Window?
        if blob[17] != 0 {
            guard blob.count >= 34, Int(blob[17]) - 1 < VOIFunction.allCases.count else { return nil }
            window = Window(center: double(18), width: double(26), function: VOIFunction.allCases[Int(blob[17]) - 1])
            offset = 34
        }
        self.init(
            bytes: Array(blob[offset...]),
            format: blob[4] == 0 ? .png : .jpeg,
            width: uint32(5),
            height: uint32(9),
            window: window,
            frame: uint32(13)
        )
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
        guard blob.count >= 12 + typeLength + plainLength else { return nil }
        contentType = String(decoding: blob[12..<12 + typeLength], as: UTF8.self)
        plain = Array(blob[(12 + typeLength)..<(12 + typeLength + plainLength)])
        gzip = Array(blob[(12 + typeLength + plainLength)...])
    }
}
