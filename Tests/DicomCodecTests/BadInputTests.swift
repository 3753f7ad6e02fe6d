import DicomCodec
import DicomImaging
import Foundation
import Testing

/// Hostile and broken files: each must give one typed error with a readable message, never a crash,
/// a hang or an unbounded allocation.
struct BadInputTests {
    static let goodFile = TestData.path("dicom/pydicom/CT_small.dcm")
    static var goodBytes: [UInt8] { TestData.bytes(goodFile) }

    /// Writes bytes to a temporary file, runs `body` with its path, removes it.
    @discardableResult
    func withFile<T>(_ bytes: [UInt8], _ body: (String) throws -> T) rethrows -> T {
        let path = TestData.temporaryFile(".dcm")
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try body(path)
    }

    /// Opens and renders frame 1; returns the error kind, or nil when everything succeeded.
    func failureKind(_ bytes: [UInt8], limits: DecodingLimits = .default) -> DicomError.Kind? {
        withFile(bytes) { path -> DicomError.Kind? in
            do {
                let file = try DicomFile(path: path, limits: limits)
                _ = try InstanceRenderer().render(file)
                return nil
            } catch let error as DicomError {
                #expect(!error.message.isEmpty)
                return error.kind
            } catch {
                Issue.record("untyped error \(error)")
                return .internalError
            }
        }
    }

    /// Byte offset of an element's tag in an explicit VR little-endian file.
    func offset(of group: UInt16, _ element: UInt16, in bytes: [UInt8]) -> Int? {
        let pattern = [UInt8(group & 0xFF), UInt8(group >> 8), UInt8(element & 0xFF), UInt8(element >> 8)]
        return (132..<(bytes.count - 4)).first { Array(bytes[$0..<($0 + 4)]) == pattern }
    }

    @Test func theGoodFileRenders() {
        #expect(failureKind(Self.goodBytes) == nil)
    }

    @Test func emptyFile() { #expect(failureKind([]) == .empty) }

    @Test func randomBytes() {
        var generator = SystemRandomNumberGenerator()
        let bytes = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        #expect(failureKind(bytes) == .notDicom)
    }

    @Test func pngRenamedDcm() throws {
        let png = try ImageEncoder().encodePNG(RenderedImage(width: 2, height: 2, channels: 1, pixels: [0, 1, 2, 3]))
        withFile(png) { path in
            #expect(throws: DicomError.failure(.notDicom, "this is a PNG image, not a DICOM file")) { _ = try DicomFile(path: path) }
        }
    }

    @Test func missingPreambleAndMetaHeader() {
        // The dataset without its 128-byte preamble, "DICM" and group 0002.
        let bytes = Self.goodBytes
        let datasetStart = offset(of: 0x0008, 0x0005, in: bytes) ?? offset(of: 0x0008, 0x0008, in: bytes)!
        #expect(failureKind(Array(bytes[datasetStart...])) == .notDicom)
        #expect(failureKind(Array(bytes[128...])) == .notDicom)
    }

    @Test(arguments: [0.25, 0.5, 0.9, 0.999])
    func truncated(fraction: Double) {
        let bytes = Self.goodBytes
        let kind = failureKind(Array(bytes.prefix(Int(Double(bytes.count) * fraction))))
        #expect(kind == .truncated || kind == .pixelDataTooShort, "got \(String(describing: kind))")
    }

    @Test func truncatedInsideTheMetaHeader() {
        #expect(failureKind(Array(Self.goodBytes.prefix(140))) == .truncated)
    }

    @Test func pixelDataShorterThanTheImage() throws {
        // Shrink the Pixel Data length field and cut the file to match: a well-formed but short element.
        var bytes = Self.goodBytes
        let tag = try #require(offset(of: 0x7FE0, 0x0010, in: bytes))
        let lengthOffset = tag + 8  // explicit VR OW: tag, VR, 2 reserved, 4-byte length
        bytes.replaceSubrange(lengthOffset..<(lengthOffset + 4), with: [0x00, 0x10, 0x00, 0x00])  // 4096 bytes
        bytes = Array(bytes.prefix(lengthOffset + 4 + 4096))
        #expect(failureKind(bytes) == .pixelDataTooShort)
    }

    @Test func wrongVRForRows() throws {
        // Rows (0028,0010) relabelled as "DS": DCMTK reads it as text, which is no valid US value.
        var bytes = Self.goodBytes
        let tag = try #require(offset(of: 0x0028, 0x0010, in: bytes))
        bytes[tag + 4] = UInt8(ascii: "D")
        bytes[tag + 5] = UInt8(ascii: "S")
        let kind = failureKind(bytes)
        #expect(kind == .missingAttribute || kind == .corrupt, "got \(String(describing: kind))")
    }

    @Test func absurdDimensionsHitTheLimit() throws {
        // Rows and Columns of 65535 each: 4 Gi pixels, far over a 2^28 default; no allocation is tried.
        var bytes = Self.goodBytes
        for element: UInt16 in [0x0010, 0x0011] {
            let tag = try #require(offset(of: 0x0028, element, in: bytes))
            bytes.replaceSubrange((tag + 8)..<(tag + 10), with: [0xFF, 0xFF])
        }
        #expect(failureKind(bytes) == .limitExceeded)
        // A configurable cap: the real 128×128 image against a 100-pixel limit.
        #expect(failureKind(Self.goodBytes, limits: DecodingLimits(maxFramePixels: 100)) == .limitExceeded)
        #expect(failureKind(Self.goodBytes, limits: DecodingLimits(maxFileBytes: 1000)) == .limitExceeded)
    }

    @Test func unsupportedTransferSyntax() throws {
        // The RLE sample relabelled with an unknown UID of the same length: DCMTK cannot tell the encoding.
        var bytes = TestData.bytes(TestData.path("dicom/pydicom/MR_small_RLE.dcm"))
        let rle = Array("1.2.840.10008.1.2.5\0".utf8)
        let start = try #require((0..<(bytes.count - rle.count)).first { Array(bytes[$0..<($0 + rle.count)]) == rle })
        bytes.replaceSubrange(start..<(start + rle.count), with: Array("1.2.840.10008.1.2.9\0".utf8))
        #expect(failureKind(bytes) == .unsupportedTransferSyntax)
        // A known but unsupported one (MPEG-2, 1.2.840.10008.1.2.4.100), made with a longer meta header.
        let mpeg = Array("1.2.840.10008.1.2.4.100\0".utf8)
        var relabelled = bytes
        relabelled.replaceSubrange(start..<(start + rle.count), with: mpeg)
        // Fix the Transfer Syntax UID element length and the group length.
        relabelled[start - 2] = UInt8(mpeg.count)
        if let groupLength = offset(of: 0x0002, 0x0000, in: relabelled) {
            let value = Int(relabelled[groupLength + 8]) | Int(relabelled[groupLength + 9]) << 8
            let grown = value + mpeg.count - rle.count
            relabelled[groupLength + 8] = UInt8(grown & 0xFF)
            relabelled[groupLength + 9] = UInt8(grown >> 8)
        }
        #expect(failureKind(relabelled) == .unsupportedTransferSyntax)
    }

    @Test func frameOutOfRange() throws {
        let file = try DicomFile(path: Self.goodFile)
        for frame in [0, 2, -1, Int.max] {
            let error = #expect(throws: DicomError.self) { _ = try file.decodeFrame(frame) }
            #expect(error?.kind == .frameOutOfRange, "frame \(frame): \(String(describing: error))")
        }
    }

    @Test func objectWithoutPixelData() throws {
        let file = try DicomFile(path: TestData.path("dicom/pydicom/rtplan.dcm"))
        let decoding = #expect(throws: DicomError.self) { _ = try file.decodeFrame(1) }
        #expect(decoding?.kind == .noPixelData, "\(String(describing: decoding))")
        let info = #expect(throws: DicomError.self) { _ = try file.frameInfo() }
        #expect(info?.kind == .noPixelData, "\(String(describing: info))")
    }

    @Test func missingFileAndDirectory() {
        for path in ["/nonexistent/x.dcm", "/tmp"] {
            let error = #expect(throws: DicomError.self) { _ = try DicomFile(path: path) }
            #expect(error?.kind == .unreadable, "\(path): \(String(describing: error))")
        }
    }

    @Test func corruptEncapsulatedFragmentsFailToDecode() throws {
        // Flip bytes inside a JPEG-LS codestream: the codec rejects it or returns wrong pixels, never crashes.
        var bytes = TestData.bytes(TestData.path("dicom/pydicom/MR_small_jpeg_ls_lossless.dcm"))
        let tag = try #require(offset(of: 0x7FE0, 0x0010, in: bytes))
        for index in stride(from: tag + 40, to: min(bytes.count - 8, tag + 400), by: 7) { bytes[index] ^= 0xA5 }
        // Which of the two depends on DCMTK's JPEG-LS decoder; either way the outcome must be told apart
        // from a clean decode: a refusal as decodeFailed, or pixels that differ from the intact file's.
        let kind = failureKind(bytes)
        if let kind {
            #expect(kind == .decodeFailed, "got \(kind)")
        } else {
            let intact = try DicomFile(path: TestData.path("dicom/pydicom/MR_small_jpeg_ls_lossless.dcm")).decodeFrame(1).bytes
            let corrupted = try withFile(bytes) { try DicomFile(path: $0).decodeFrame(1).bytes }
            #expect(corrupted != intact, "a corrupted codestream decoded to the intact pixels")
        }
    }

    /// Found by the mutation fuzzer: an RLE header whose third segment offset points 16 MB past the
    /// fragment. DCMTK 3.6.7's RLE decoder read out of bounds and crashed; ours refuses it.
    @Test func rleSegmentOffsetPastTheFragment() {
        let path = TestData.repositoryRoot.appendingPathComponent("Tests/Fixtures/rle_segment_offset_past_fragment.dcm").path
        withFile(TestData.bytes(path)) { path in
            do {
                _ = try DicomFile(path: path).decodeFrame(2)
                Issue.record("frame 2 decoded")
            } catch let error as DicomError {
                #expect(error.kind == .decodeFailed)
                #expect(error.message.contains("invalid offset"))
            } catch {
                Issue.record("untyped error \(error)")
            }
        }
    }

    @Test func pydicomsBrokenSamples() {
        // pydicom's own broken samples.
        for (name, kinds) in [
            ("MR_truncated.dcm", [DicomError.Kind.truncated, .pixelDataTooShort]),
            ("no_meta.dcm", [.notDicom]), ("SC_rgb_jpeg.dcm", [.corrupt, .truncated]),
            ("rtplan_truncated.dcm", [.truncated, .noPixelData]),
        ] {
            let kind = failureKind(TestData.bytes(TestData.path("dicom/pydicom/\(name)")))
            #expect(kind.map(kinds.contains) == true, "\(name): got \(String(describing: kind))")
        }
    }
}
