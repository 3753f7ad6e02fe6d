import DicomCodec
import DicomImaging
import DicomWeb
import Foundation
import TestSupport
import Testing

/// The hardening issue's findings at the file level, each on a file built here: every one must end in a
/// typed error (or a correct render), never a trap, a stack overflow, a quadratic walk or a huge allocation.
struct HostileFileTests {
    typealias H = HostileFiles

    func open(_ bytes: [UInt8], limits: DecodingLimits = .default) throws(DicomError) -> DicomFile {
        let path = H.write(bytes)
        defer { unlink(path) }
        return try DicomFile(path: path, limits: limits)
    }

    func kind(_ body: () throws -> Void) -> DicomError.Kind? {
        do {
            try body()
            return nil
        } catch let error as DicomError {
            return error.kind
        } catch {
            Issue.record("untyped error \(error)")
            return .internalError
        }
    }

    /// Finding 1: 32-bit samples, Rescale Slope 1e300, no window: the min/max window overflowed to ±inf
    /// and NaN reached `UInt8(_:)`.
    @Test func hugeRescaleSlopeIsRefusedNotTrapped() throws {
        let pixels = [UInt32(0), 1, 0x7FFF_FFFF, 0xFFFF_FFFF].flatMap { H.le32($0) }
        let dataSet =
            H.identity(uid: "1.2.3.1") + H.imagePixel(rows: 2, columns: 2, bits: 32)
            + H.text(0x0028, 0x1052, "DS", "0") + H.text(0x0028, 0x1053, "DS", "1e300") + H.pixelData(pixels)
        let file = try open(H.file(dataSet))
        #expect(kind { _ = try InstanceRenderer().render(file) } == .missingAttribute)
    }

    /// The same class through other values: NaN and infinity spelled in DS text are not numbers.
    @Test func nonFiniteDecimalStringsAreNotNumbers() {
        for text in ["nan", "inf", "-infinity", "0x1p3", "1e400", "", "12345678901234567"] { #expect(DecimalString.parse(text) == nil, "\(text)") }
        #expect(DecimalString.parse(" -1.5e2 ") == -150)
        for text in ["1e15", "1.0", "999999999999999", "+-1"] { #expect(IntegerString.parse(text) == nil, "\(text)") }
        #expect(IntegerString.parse(" -42 ") == -42)
    }

    /// Non-finite values reaching the pipeline directly (a caller's window, a VOI LUT input) never trap.
    @Test func nonFiniteValuesQuantiseWithoutTrapping() {
        let table = LookupTable(firstMapped: Int64.min + 1, bitsPerEntry: 8, entries: [1, 2, 3])
        for x in [Double.nan, .infinity, -.infinity, 1e300, -1e300] {
            _ = VOITransform.lookupTable(table).referenceDisplayValue(x)
            _ = VOITransform.window(Window(center: 0, width: 1)).referenceDisplayValue(x)
        }
        #expect(table.lookUp(.max) == 3 && table.lookUp(.min) == 1)
    }

    /// Finding 2: Number of Frames 999999999999999 is refused at open, as text the VR cannot hold.
    @Test func absurdNumberOfFramesIsRefused() {
        for frames in ["999999999999999", "99999", "1e3", "-1", "0"] {
            let dataSet = H.identity(uid: "1.2.3.2") + H.imagePixel(rows: 2, columns: 2, bits: 8, frames: frames) + H.pixelData([0, 1, 2, 3])
            let result = kind { _ = try open(H.file(dataSet)) }
            #expect(result == .limitExceeded || result == .missingAttribute, "\(frames): \(String(describing: result))")
        }
    }

    /// Finding 3: 10,000 nested sequences overflowed DCMTK's stack; refused before DCMTK parses.
    @Test func deepNestingIsRefusedBeforeParsing() {
        let dataSet = H.identity(uid: "1.2.3.3") + H.nestedSequences(depth: 10_000)
        #expect(kind { _ = try open(H.file(dataSet)) } == .limitExceeded)
        // Within the limit it parses, and the walk (and the JSON encoder) cope with it.
        let shallow = H.identity(uid: "1.2.3.3") + H.nestedSequences(depth: 30)
        #expect(kind { _ = DicomJSONEncoder().encode(try open(H.file(shallow)).dataSet()).serialized() } == nil)
    }

    /// Findings 4 and 17: 120,000 empty fragments; refused by count, and under a higher limit the frame
    /// map is built once, linearly (this test would take minutes with the old quadratic walk).
    @Test func manyFragmentsAreBoundedAndWalkedLinearly() throws {
        let fragments = [[UInt8]](repeating: [], count: 120_000) + [[1, 2]]
        let dataSet = H.identity(uid: "1.2.3.4") + H.imagePixel(rows: 1, columns: 1, bits: 8) + H.encapsulated(fragments)
        let bytes = H.file(dataSet, transferSyntax: H.jpegBaseline)
        #expect(kind { _ = try open(bytes, limits: DecodingLimits(maxFragments: 10_000)) } == .limitExceeded)
        let file = try open(bytes, limits: DecodingLimits(maxFragments: 200_000))
        #expect(try file.encapsulatedFrame(1) == [1, 2])
    }

    /// Finding 5: 500,000 elements in a 4 MB upload; refused by count.
    @Test func tooManyElementsAreRefused() {
        var dataSet = H.identity(uid: "1.2.3.5")
        let private16 = H.element(0x0009, 0x1000, "LO", [])
        dataSet.reserveCapacity(dataSet.count + 300_000 * private16.count)
        for _ in 0..<300_000 { dataSet += private16 }
        #expect(kind { _ = try open(H.file(dataSet)) } == .limitExceeded)
    }

    /// Finding 16: a 10×10 image whose JPEG says 65500×65500 is refused before any decoder runs.
    @Test func codestreamLargerThanTheAttributesIsRefused() {
        let dataSet =
            H.identity(uid: "1.2.3.6") + H.imagePixel(rows: 10, columns: 10, bits: 8)
            + H.encapsulated([H.jpegHeader(width: 65_500, height: 65_500)])
        #expect(kind { _ = try open(H.file(dataSet, transferSyntax: H.jpegBaseline)) } == .corrupt)
        let matching =
            H.identity(uid: "1.2.3.6") + H.imagePixel(rows: 10, columns: 10, bits: 8)
            + H.encapsulated([H.jpegHeader(width: 10, height: 10)])
        #expect(throws: Never.self) { _ = try open(H.file(matching, transferSyntax: H.jpegBaseline)) }
    }

    /// Finding 16: a deflated data set that inflates far beyond its size is a bomb.
    @Test func deflateBombIsRefused() throws {
        let inner = H.identity(uid: "1.2.3.7") + H.element(0x0009, 0x1010, "OB", [UInt8](repeating: 0, count: 8 << 20))
        let compressed = try Self.rawDeflate(inner)
        let limits = DecodingLimits(maxCompressionRatio: 100, compressionRatioFloorBytes: 1 << 20)
        #expect(kind { _ = try open(H.file([], transferSyntax: H.deflated) + compressed, limits: limits) } == .limitExceeded)
        #expect(
            kind { _ = try open(H.file([], transferSyntax: H.deflated) + compressed, limits: DecodingLimits(maxInflatedBytes: 1 << 20)) }
                == .limitExceeded
        )
        // Within the bounds the same file opens.
        #expect(kind { _ = try open(H.file([], transferSyntax: H.deflated) + compressed) } == nil)
    }

    /// Raw deflate by Python's zlib (an independent encoder).
    static func rawDeflate(_ bytes: [UInt8]) throws -> [UInt8] {
        let input = H.write(bytes, name: "inflated")
        let output = input + ".deflate"
        defer {
            unlink(input)
            unlink(output)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = [
            "-c",
            "import sys, zlib; c = zlib.compressobj(9, zlib.DEFLATED, -15); d = open(sys.argv[1], 'rb').read(); open(sys.argv[2], 'wb').write(c.compress(d) + c.flush())",
            input, output,
        ]
        try TestChildren.run(process)
        process.waitUntilExit()
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: output)))
    }

    /// The scanner on random mutations of a real file: typed errors only (a seeded, bounded walk).
    @Test func scannerSurvivesMutations() {
        let good = TestData.bytes(TestData.path("dicom/pydicom/CT_small.dcm"))
        var random = SplitMix64(seed: 13)
        var outcomes = [String: Int]()
        for _ in 0..<2_000 {
            var bytes = good
            for _ in 0..<Int(random.next() % 8 + 1) {
                let position = 132 + Int(random.next() % UInt64(bytes.count - 132))
                bytes[position] = UInt8(truncatingIfNeeded: random.next())
            }
            if random.next() % 4 == 0 { bytes.removeLast(Int(random.next() % UInt64(bytes.count / 2))) }
            do {
                _ = try EncodingScanner.scan(bytes, limits: .default)
                outcomes["accepted", default: 0] += 1
            } catch {
                outcomes[error.kind.rawValue, default: 0] += 1
            }
        }
        #expect(outcomes.values.reduce(0, +) == 2_000)
        #expect(outcomes.count >= 2, "mutations were both accepted and refused: \(outcomes)")
    }
}
