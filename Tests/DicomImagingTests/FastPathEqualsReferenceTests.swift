import Testing

@testable import DicomImaging

/// The lookup-table fast path must equal the scalar reference for every possible stored value. Cases
/// marked "SIMD window" fill the table with the second implementation (`fillWindowed`); the others
/// (SIGMOID, lookup tables) fill it with the reference itself, so for them the test checks the table's
/// indexing and application only, and says so in its name.
struct FastPathEqualsReferenceTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var bitsStored: Int
        var isSigned: Bool
        var modality: ModalityTransform
        var voi: VOITransform
        var inverted: Bool = false

        /// Whether the table has its own implementation here, as opposed to the reference's values.
        var hasSecondImplementation: Bool {
            guard case .rescale = modality, case .window(let window) = voi else { return false }
            return window.function != .sigmoid
        }

        var testDescription: String {
            let path = hasSecondImplementation ? "SIMD window" : "reference table"
            return "\(path): \(bitsStored)-bit \(isSigned ? "signed" : "unsigned") \(modality) \(voi)\(inverted ? " inverted" : "")"
        }
    }

    static let windows: [Window] = [
        Window(center: 40, width: 400), Window(center: -600, width: 1500), Window(center: 12.3, width: 7.7),
        Window(center: 0.5, width: 1), Window(center: 2047.5, width: 4096), Window(center: 127, width: 255),
    ]

    static let modalities: [ModalityTransform] = [
        .identity, .rescale(slope: 1, intercept: -1024), .rescale(slope: 0.37, intercept: -10.25),
        .rescale(slope: -2, intercept: 100),
    ]

    static var cases: [Case] {
        var cases: [Case] = []
        for bits in [8, 12, 16] {
            for signed in [false, true] {
                for function in VOIFunction.allCases {
                    for (index, modality) in modalities.enumerated() {
                        var window = windows[(index + bits) % windows.count]
                        window.function = function
                        if function != .linear && window.width < 1 { window.width = 1.5 }
                        cases.append(
                            Case(
                                bitsStored: bits,
                                isSigned: signed,
                                modality: modality,
                                voi: .window(window),
                                inverted: index % 2 == 1
                            )
                        )
                    }
                }
                let lut = LookupTable(
                    firstMapped: signed ? -100 : 10,
                    bitsPerEntry: 12,
                    entries: (0..<300).map { UInt32(($0 * $0) % 4096) }
                )
                cases.append(Case(bitsStored: bits, isSigned: signed, modality: .lookupTable(lut), voi: .window(Window(center: 2000, width: 3000))))
                cases.append(Case(bitsStored: bits, isSigned: signed, modality: .identity, voi: .lookupTable(lut)))
            }
        }
        return cases
    }

    @Test func mostCasesHaveASecondImplementation() {
        // 48 of the 84 cases (every LINEAR and LINEAR_EXACT window over a rescale) compare two
        // implementations; the 36 others (SIGMOID, lookup tables) the reference's table with itself.
        #expect(Self.cases.count == 84 && Self.cases.filter(\.hasSecondImplementation).count == 48)
    }

    @Test(arguments: cases)
    func everyStoredValue(_ testCase: Case) {
        let bitsAllocated = testCase.bitsStored <= 8 ? 8 : 16
        let count = 1 << testCase.bitsStored
        let format = PixelFormat(
            rows: 1,
            columns: count,
            bitsAllocated: bitsAllocated,
            bitsStored: testCase.bitsStored,
            isSigned: testCase.isSigned
        )
        var bytes: [UInt8] = []
        for value in 0..<count {
            if bitsAllocated == 8 { bytes.append(UInt8(value)) } else { bytes += [UInt8(value & 0xFF), UInt8(value >> 8)] }
        }
        let frame = PixelFrame(format: format, bytes: bytes)
        let pipeline = GreyscalePipeline(
            decoder: StoredValueDecoder(format),
            modality: testCase.modality,
            voi: testCase.voi,
            inverted: testCase.inverted
        )
        #expect((pipeline.windowedFastPath != nil) == testCase.hasSecondImplementation, "the case is what its name says")
        let fast = pipeline.apply(to: frame)
        var mismatches = 0
        for value in 0..<count where fast[value] != pipeline.referenceDisplayValue(raw: UInt32(value)) {
            mismatches += 1
        }
        #expect(mismatches == 0, "\(mismatches) of \(count) stored values differ")
    }

    @Test func junkInHighBitsIsIgnoredByTheFastPath() {
        // 12 bits stored in 16: the same field with different junk above must map identically.
        let format = PixelFormat(rows: 1, columns: 3, bitsAllocated: 16, bitsStored: 12, isSigned: true)
        let words: [UInt16] = [0x0800, 0xF800, 0x5800]
        let frame = PixelFrame(format: format, bytes: words.flatMap { [UInt8($0 & 0xFF), UInt8($0 >> 8)] })
        let pipeline = GreyscalePipeline(
            decoder: StoredValueDecoder(format),
            modality: .identity,
            voi: .window(Window(center: 0, width: 4096)),
            inverted: false
        )
        let output = pipeline.apply(to: frame)
        #expect(output[0] == output[1] && output[1] == output[2])
        #expect(output[0] == 0, "field 0x800 is −2048, the bottom of the window")
    }
}
