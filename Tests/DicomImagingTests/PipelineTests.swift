import Testing

@testable import DicomImaging

struct PipelineTests {
    static func frame16(
        _ values: [Int16],
        bitsStored: Int = 16,
        signed: Bool = true,
        photometric: PhotometricInterpretation = .monochrome2
    ) -> PixelFrame {
        let format = PixelFormat(
            rows: 1,
            columns: values.count,
            bitsAllocated: 16,
            bitsStored: bitsStored,
            isSigned: signed,
            photometric: photometric
        )
        return PixelFrame(format: format, bytes: values.flatMap { [UInt8(UInt16(bitPattern: $0) & 0xFF), UInt8(UInt16(bitPattern: $0) >> 8)] })
    }

    @Test func storedValueDecoderMasksAndSignExtends() {
        let decoder = StoredValueDecoder(bitsStored: 12, highBit: 11, isSigned: true)
        #expect(decoder.value(0xF800) == -2048)
        #expect(decoder.value(0xA7FF) == 2047)
        #expect(decoder.value(0x0FFF) == -1)
        let shifted = StoredValueDecoder(bitsStored: 10, highBit: 13, isSigned: false)
        #expect(shifted.value(0b11_1111_1111_0000 | 0b1111) == 1023)
        #expect(shifted.valueRange == 0...1023)
    }

    @Test func rescaleThenWindowOnCT() throws {
        // Stored 1024 with intercept −1024 is 0 HU: the middle of a 0/400 window.
        let frame = Self.frame16([1024, 0, 2048])
        let image = try FrameRenderer.render(
            frame,
            greyscale: GreyscaleAttributes(modality: .rescale(slope: 1, intercept: -1024)),
            request: RenderRequest(voi: .window(Window(center: 0, width: 400)))
        )
        #expect(image.pixels == [128, 0, 255])
    }

    @Test func monochrome1InvertsAfterVOI() throws {
        // Lower edge c − 0.5 − (w − 1)/2 = 50, upper edge 150.
        let request = RenderRequest(voi: .window(Window(center: 100.5, width: 101)))
        let grey2 = try FrameRenderer.render(Self.frame16([50, 100, 150]), request: request)
        let grey1 = try FrameRenderer.render(Self.frame16([50, 100, 150], photometric: .monochrome1), request: request)
        #expect(grey2.pixels == [0, 128, 255])
        #expect(grey1.pixels == [255, 127, 0])
    }

    @Test func automaticPrefersTheFileWindowThenVOILUTThenMinMax() throws {
        let frame = Self.frame16([10, 20, 30])
        let window = GreyscaleAttributes(windows: [Window(center: 20.5, width: 21)])
        #expect(try FrameRenderer.render(frame, greyscale: window).pixels == [0, 128, 255])
        let table = LookupTable(firstMapped: 10, bitsPerEntry: 8, entries: Array(repeating: 255, count: 5) + Array(repeating: 0, count: 30))
        let lut = GreyscaleAttributes(voiLookupTables: [table])
        #expect(try FrameRenderer.render(frame, greyscale: lut).pixels == [255, 0, 0])
        #expect(try FrameRenderer.render(frame).pixels == [0, 128, 255])
    }

    @Test func minMaxMapsExtremesToBlackAndWhite() throws {
        let frame = Self.frame16([-1000, 0, 3000])
        let attributes = GreyscaleAttributes(modality: .rescale(slope: 0.5, intercept: 7))
        let image = try FrameRenderer.render(frame, greyscale: attributes, request: RenderRequest(voi: .minMax))
        #expect(image.pixels.first == 0 && image.pixels.last == 255)
        #expect(image.pixels[1] == 64)  // (507 − (−493)) / 2000 · 255 = 63.75
    }

    @Test func invalidWindowIsATypedError() {
        #expect(throws: ImagingError.invalidWindow(Window(center: 0, width: 0))) {
            try FrameRenderer.render(Self.frame16([1]), request: RenderRequest(voi: .window(Window(center: 0, width: 0))))
        }
    }

    @Test func shortFrameIsATypedError() {
        let format = PixelFormat(rows: 2, columns: 2, bitsAllocated: 16)
        #expect(throws: ImagingError.frameTooShort(expected: 8, actual: 2)) {
            try FrameRenderer.render(PixelFrame(format: format, bytes: [0, 0]))
        }
    }

    @Test func oneBitFramesRender() throws {
        let format = PixelFormat(rows: 1, columns: 10, bitsAllocated: 1)
        let frame = PixelFrame(format: format, bytes: [0b1010_0101, 0b0000_0010])
        let image = try FrameRenderer.render(frame)
        #expect(image.pixels == [255, 0, 255, 0, 0, 255, 0, 255, 0, 255])
    }

    @Test func thirtyTwoBitValuesUseTheReference() throws {
        let format = PixelFormat(rows: 1, columns: 3, bitsAllocated: 32)
        let values: [UInt32] = [0, 2_000_000_000, 4_000_000_000]
        let frame = PixelFrame(format: format, bytes: values.flatMap { v in (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } })
        #expect(try FrameRenderer.render(frame).pixels == [0, 128, 255])
    }
}
