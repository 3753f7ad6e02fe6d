/// The three Palette Color Lookup Tables of a PALETTE COLOR image (PS3.3 C.7.6.3.1.5–6).
public struct Palette: Sendable, Equatable {
    public var red: LookupTable
    public var green: LookupTable
    public var blue: LookupTable

    public init(red: LookupTable, green: LookupTable, blue: LookupTable) {
        self.red = red
        self.green = green
        self.blue = blue
    }
}

/// Colour frames → interleaved 8-bit RGB. Colour images take no modality or VOI transform.
public enum ColorConversion {
    /// Scales an n-bit value to 8 bits, rounding: v·255 / (2ⁿ − 1).
    @inline(__always)
    static func scaleTo8Bits(_ value: UInt32, bits: Int) -> UInt8 {
        if bits == 8 { return UInt8(truncatingIfNeeded: value) }
        let maximum = (UInt64(1) << UInt64(bits)) - 1
        return UInt8((UInt64(value) * 255 + maximum / 2) / maximum)
    }

    /// YCbCr (full range, PS3.3 C.7.6.3.1.2) → RGB at the same bit depth, rounded and clamped.
    @inline(__always)
    static func rgb(y: Double, cb: Double, cr: Double, maximum: Double) -> (Double, Double, Double) {
        let offset = (maximum + 1) / 2
        func clamp(_ v: Double) -> Double { min(max((v + 0.5).rounded(.down), 0), maximum) }
        return (
            clamp(y + 1.402 * (cr - offset)),
            clamp(y - 0.344_136 * (cb - offset) - 0.714_136 * (cr - offset)),
            clamp(y + 1.772 * (cb - offset))
        )
    }

    public static func rgb8(from frame: PixelFrame, palette: Palette?) throws(ImagingError) -> [UInt8] {
        let format = frame.format
        guard [8, 16, 32].contains(format.bitsAllocated) else {
            throw .unsupportedPixelFormat("\(format.photometric.rawValue) with \(format.bitsAllocated) bits allocated")
        }
        guard frame.bytes.count >= format.frameByteCount else {
            throw .frameTooShort(expected: format.frameByteCount, actual: frame.bytes.count)
        }
        let decoder = StoredValueDecoder(format)
        let pixels = format.pixelCount
        let bits = format.bitsStored
        var output = [UInt8](repeating: 0, count: pixels * 3)

        // Reads sample `index` (in file order) as its masked field.
        func sampleReader() -> (Int) -> UInt32 {
            let bytes = frame.bytes
            switch format.bitsAllocated {
            case 8:
                return { decoder.field(UInt32(bytes[$0])) }
            case 16:
                return { index in decoder.field(UInt32(bytes[2 * index]) | UInt32(bytes[2 * index + 1]) << 8) }
            default:
                return { index in
                    let base = 4 * index
                    return decoder.field(
                        UInt32(bytes[base]) | UInt32(bytes[base + 1]) << 8 | UInt32(bytes[base + 2]) << 16
                            | UInt32(bytes[base + 3]) << 24
                    )
                }
            }
        }
        let sample = sampleReader()
        // The index of component `c` of pixel `p` for 3-sample layouts.
        func position(_ p: Int, _ c: Int) -> Int { format.isPlanar ? c * pixels + p : p * 3 + c }

        switch format.photometric {
        case .rgb:
            guard format.samplesPerPixel == 3 else { throw .unsupportedPixelFormat("RGB with \(format.samplesPerPixel) samples") }
            if format.bitsAllocated == 8 && bits == 8 && !format.isPlanar {
                return Array(frame.bytes.prefix(pixels * 3))
            }
            for p in 0..<pixels {
                for c in 0..<3 { output[p * 3 + c] = scaleTo8Bits(sample(position(p, c)), bits: bits) }
            }
        case .ybrFull:
            guard format.samplesPerPixel == 3 else { throw .unsupportedPixelFormat("YBR_FULL with \(format.samplesPerPixel) samples") }
            let maximum = Double(decoder.mask)
            for p in 0..<pixels {
                let (r, g, b) = rgb(
                    y: Double(sample(position(p, 0))),
                    cb: Double(sample(position(p, 1))),
                    cr: Double(sample(position(p, 2))),
                    maximum: maximum
                )
                output[p * 3] = scaleTo8Bits(UInt32(r), bits: bits)
                output[p * 3 + 1] = scaleTo8Bits(UInt32(g), bits: bits)
                output[p * 3 + 2] = scaleTo8Bits(UInt32(b), bits: bits)
            }
        case .ybrFull422:
            // Native 4:2:2: each horizontal pair is stored Y₀ Y₁ Cb Cr (PS3.3 C.7.6.3.1.2).
            let maximum = Double(decoder.mask)
            for pair in 0..<(pixels / 2) {
                let cb = Double(sample(pair * 4 + 2))
                let cr = Double(sample(pair * 4 + 3))
                for half in 0..<2 {
                    let (r, g, b) = rgb(y: Double(sample(pair * 4 + half)), cb: cb, cr: cr, maximum: maximum)
                    let p = pair * 2 + half
                    output[p * 3] = scaleTo8Bits(UInt32(r), bits: bits)
                    output[p * 3 + 1] = scaleTo8Bits(UInt32(g), bits: bits)
                    output[p * 3 + 2] = scaleTo8Bits(UInt32(b), bits: bits)
                }
            }
        case .paletteColor:
            guard let palette, format.samplesPerPixel == 1 else { throw .missingPalette }
            for p in 0..<pixels {
                let index = decoder.value(ofField: sample(p))
                output[p * 3] = scaleTo8Bits(palette.red.lookUp(index), bits: palette.red.bitsPerEntry)
                output[p * 3 + 1] = scaleTo8Bits(palette.green.lookUp(index), bits: palette.green.bitsPerEntry)
                output[p * 3 + 2] = scaleTo8Bits(palette.blue.lookUp(index), bits: palette.blue.bitsPerEntry)
            }
        case .monochrome1, .monochrome2:
            throw .unsupportedPixelFormat("\(format.photometric.rawValue) is not a colour interpretation")
        }
        return output
    }
}
