import Testing

@testable import DicomImaging

struct ColorConversionTests {
    @Test func ybrFullUsesTheStandardEquations() throws {
        // PS3.3 C.7.6.3.1.2: grey stays grey; Y 76, Cb 85, Cr 255 is (near) pure red.
        let format = PixelFormat(rows: 1, columns: 2, samplesPerPixel: 3, bitsAllocated: 8, photometric: .ybrFull)
        let rgb = try ColorConversion.rgb8(from: PixelFrame(format: format, bytes: [128, 128, 128, 76, 85, 255]), palette: nil)
        // R = 76 + 1.402·127 = 254.05; G = 76 + 0.344136·43 − 0.714136·127 = 0.10; B = 76 − 1.772·43 = −0.20.
        #expect(rgb == [128, 128, 128, 254, 0, 0])
    }

    @Test func ybrFull422SharesChromaAcrossPairs() throws {
        let format = PixelFormat(rows: 1, columns: 2, samplesPerPixel: 3, bitsAllocated: 8, photometric: .ybrFull422)
        let rgb = try ColorConversion.rgb8(from: PixelFrame(format: format, bytes: [10, 200, 128, 128]), palette: nil)
        #expect(rgb == [10, 10, 10, 200, 200, 200])
    }

    @Test func planarRGBIsInterleaved() throws {
        let format = PixelFormat(rows: 1, columns: 2, samplesPerPixel: 3, bitsAllocated: 8, isPlanar: true, photometric: .rgb)
        let rgb = try ColorConversion.rgb8(from: PixelFrame(format: format, bytes: [1, 2, 3, 4, 5, 6]), palette: nil)
        #expect(rgb == [1, 3, 5, 2, 4, 6])
    }

    @Test func sixteenBitRGBScalesWithRounding() throws {
        let format = PixelFormat(rows: 1, columns: 1, samplesPerPixel: 3, bitsAllocated: 16, photometric: .rgb)
        let words: [UInt16] = [65535, 32768, 128]
        let rgb = try ColorConversion.rgb8(
            from: PixelFrame(format: format, bytes: words.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] }),
            palette: nil
        )
        #expect(rgb == [255, 128, 0])  // 32768·255/65535 = 127.5 → 128; 128·255/65535 = 0.498 → 0
    }

    @Test func paletteLooksUpWithFirstMappedAndClamps() throws {
        let red = LookupTable(firstMapped: 2, bitsPerEntry: 16, entries: [0, 65535])
        let green = LookupTable(firstMapped: 2, bitsPerEntry: 16, entries: [65535, 0])
        let blue = LookupTable(firstMapped: 2, bitsPerEntry: 8, entries: [7, 9])
        let format = PixelFormat(rows: 1, columns: 3, bitsAllocated: 8, photometric: .paletteColor)
        let rgb = try ColorConversion.rgb8(
            from: PixelFrame(format: format, bytes: [0, 3, 200]),
            palette: Palette(red: red, green: green, blue: blue)
        )
        #expect(rgb == [0, 255, 7, 255, 0, 9, 255, 0, 9])
    }

    @Test func paletteWithoutTablesIsATypedError() {
        let format = PixelFormat(rows: 1, columns: 1, bitsAllocated: 8, photometric: .paletteColor)
        #expect(throws: ImagingError.missingPalette) { try ColorConversion.rgb8(from: PixelFrame(format: format, bytes: [0]), palette: nil) }
    }
}
