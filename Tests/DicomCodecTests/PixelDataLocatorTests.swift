import DicomCodec
import DicomImaging
import Foundation
import TestSupport
import Testing

/// The located Pixel Data bytes must be exactly the frames DCMTK decodes, for every native corpus file.
struct PixelDataLocatorTests {
    static let nativeSyntaxes: Set<String> = ["1.2.840.10008.1.2", "1.2.840.10008.1.2.1"]
    static let files = Array(Set(TestData.manifest.filter { nativeSyntaxes.contains($0.transferSyntax) }.map(\.file))).sorted()

    @Test(arguments: files)
    func locatedBytesAreTheDecodedFrames(_ relative: String) throws {
        let path = TestData.path(relative)
        let bytes = TestData.bytes(path)
        let location = try #require(PixelDataLocator.locate(in: bytes))
        let file = try DicomFile(path: path)
        #expect(location.transferSyntaxUID == file.transferSyntaxUID)
        let info = try file.frameInfo()
        if info.bitsAllocated == 1 {
            // Bit-packed frames follow each other without padding, so only frame 1 surely starts on a
            // byte; the value holds every frame's bits.
            let bits = info.rows * info.columns * info.samplesPerPixel
            #expect(location.length >= (bits * info.numberOfFrames + 7) / 8)
            let first = try file.decodeFrame(1).bytes
            var raw = Array(bytes[location.offset..<(location.offset + (bits + 7) / 8)])
            // The frame's last byte may hold the next frame's first bits (low bit first), the decoded frame zeros.
            if bits % 8 != 0 { raw[raw.count - 1] &= UInt8((1 << (bits % 8)) - 1) }
            let identical = raw == Array(first.prefix(raw.count))
            #expect(first.count == raw.count && identical, "frame 1 of a 1-bit object differs")
            return
        }
        #expect(location.length >= Int(info.frameBytes) * info.numberOfFrames)
        for frame in Set([1, info.numberOfFrames]) {
            let decoded = try file.decodeFrame(frame)
            let start = location.offset + Int(info.frameBytes) * (frame - 1)
            let raw = Array(bytes[start..<(start + Int(info.frameBytes))])
            let identical = raw == decoded.bytes  // compared outside #expect: the arrays are large
            #expect(identical, "frame \(frame) differs")
        }
    }

    @Test func encapsulatedDeflatedAndBrokenFilesGiveNil() {
        for relative in [
            "dicom/pydicom/MR_small_RLE.dcm", "dicom/dcmtk-made/ct_deflated.dcm", "dicom/pydicom-data/693_J2KR.dcm",
            "dicom/pydicom/rtplan.dcm", "dicom/pydicom/no_meta.dcm", "dicom/pydicom/MR_small_bigendian.dcm",
        ] {
            #expect(PixelDataLocator.locate(in: TestData.bytes(TestData.path(relative))) == nil, "\(relative)")
        }
        // Cut inside the Pixel Data value: its length no longer fits the file.
        let whole = TestData.bytes(TestData.path("dicom/pydicom/CT_small.dcm"))
        if let location = PixelDataLocator.locate(in: whole) {
            #expect(PixelDataLocator.locate(in: Array(whole.prefix(location.offset + location.length / 2))) == nil)
        } else {
            Issue.record("CT_small.dcm has native pixel data")
        }
        #expect(PixelDataLocator.locate(in: []) == nil)
    }

    @Test func mutatedHeadersNeverCrash() {
        let original = TestData.bytes(TestData.path("dicom/pydicom/MR_small.dcm"))
        var generator = SplitMix64(seed: 7)
        for _ in 0..<2000 {
            var bytes = original
            for _ in 0..<4 { bytes[Int.random(in: 132..<min(bytes.count, 2048), using: &generator)] = UInt8.random(in: 0...255, using: &generator) }
            if let location = PixelDataLocator.locate(in: bytes) {
                #expect(location.offset + location.length <= bytes.count)
            }
        }
    }
}
