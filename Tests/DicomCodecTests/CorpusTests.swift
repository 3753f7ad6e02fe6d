import DicomCodec
import DicomImaging
import Foundation
import Testing

/// Real and synthetic files in every transfer syntax and photometric interpretation, compared with an
/// independent decoder (pydicom + pylibjpeg) and the standard's formulas computed independently (numpy).
/// The test names list each file with its transfer syntax and photometric, so a gap is visible.
struct CorpusTests {
    @Test func corpusIsFetched() {
        #expect(TestData.isPresent, "run scripts/fetch-test-data (make test does)")
        #expect(TestData.manifest.count > 150)
        // Every transfer syntax the issue names appears at least once.
        let syntaxes = Set(TestData.manifest.map(\.transferSyntax))
        for uid in [
            "1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99",
            "1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51", "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.4.80",
            "1.2.840.10008.1.2.4.81", "1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91",
        ] {
            #expect(syntaxes.contains(uid), "no corpus file in \(uid)")
        }
        let photometrics = Set(TestData.manifest.map(\.photometric))
        for name in ["MONOCHROME1", "MONOCHROME2", "PALETTE COLOR", "RGB", "YBR_FULL", "YBR_FULL_422", "YBR_RCT", "YBR_ICT"] {
            #expect(photometrics.contains(name), "no corpus file with \(name)")
        }
    }

    /// No corpus file goes untested without a word: each is in the reference manifest, or listed by
    /// make_references.py with the reason it has no reference (printed here).
    @Test func everyCorpusFileIsReferencedOrListedWithAReason() throws {
        struct Skipped: Decodable {
            var file: String
            var reason: String
        }
        let data = try #require(FileManager.default.contents(atPath: TestData.path("skipped.json")), "run scripts/fetch-test-data")
        let skipped = try JSONDecoder().decode([Skipped].self, from: data)
        let referenced = Set(TestData.manifest.map(\.file))
        let listed = Set(skipped.map(\.file))
        let dicom = TestData.root.appendingPathComponent("dicom")
        let files = try FileManager.default.subpathsOfDirectory(atPath: dicom.path).filter { $0.hasSuffix(".dcm") }.map { "dicom/" + $0 }
        #expect(files.count > 150)
        for file in files.sorted() {
            #expect(referenced.contains(file) || listed.contains(file), "\(file) has neither a reference nor a reason")
        }
        #expect(referenced.isDisjoint(with: listed))
        for entry in skipped {
            print("no reference: \(entry.file): \(entry.reason)")
            // The reasons are checked, not taken on trust: what is said to be refused is refused with a
            // typed error, and what is said to have no pixel data has none.
            let path = TestData.path(entry.file)
            if entry.reason.contains("refused") {
                let error = #expect(throws: DicomError.self, "\(entry.file) is refused") {
                    _ = try InstanceRenderer().render(try DicomFile(path: path))
                }
                #expect(error?.kind != .internalError && error?.message.isEmpty == false, "\(entry.file): \(String(describing: error))")
            } else if entry.reason == "no pixel data" {
                // No image to show: refused as without pixel data, or for what the pixel module lacks.
                let error = #expect(throws: DicomError.self) { _ = try DicomFile(path: path).frameInfo() }
                let kinds: [DicomError.Kind] = [.noPixelData, .missingAttribute, .truncated, .notDicom]
                #expect(error.map { kinds.contains($0.kind) } == true, "\(entry.file): \(String(describing: error))")
            }
        }
    }

    /// No JPEG 2000 decoder independent of OpenJPEG exists here (pylibjpeg-openjpeg is OpenJPEG too), so
    /// lossless JPEG 2000 is also checked against the uncompressed twin it was made from: the decoded
    /// frame must be the source's stored values, byte for byte.
    @Test(arguments: [
        ("pydicom-data/693_J2KR.dcm", "pydicom-data/693_UNCR.dcm"), ("pydicom-data/MR2_J2KR.dcm", "pydicom-data/MR2_UNCR.dcm"),
        ("pydicom-data/RG1_J2KR.dcm", "pydicom-data/RG1_UNCR.dcm"), ("pydicom-data/RG3_J2KR.dcm", "pydicom-data/RG3_UNCR.dcm"),
        ("pydicom-data/US1_J2KR.dcm", "pydicom-data/US1_UNCR.dcm"),
    ])
    func losslessJPEG2000DecodesToItsUncompressedSource(_ compressed: String, _ source: String) throws {
        let decoded = try DicomFile(path: TestData.path("dicom/" + compressed)).decodeFrame(1)
        let original = try DicomFile(path: TestData.path("dicom/" + source)).decodeFrame(1)
        // Same geometry and sample layout; Bits Stored may differ in the headers (693_J2KR says 16, its
        // source 14), the values may not.
        #expect(decoded.format.rows == original.format.rows && decoded.format.columns == original.format.columns)
        #expect(decoded.format.bitsAllocated == original.format.bitsAllocated && decoded.format.samplesPerPixel == original.format.samplesPerPixel)
        let identical = decoded.bytes == original.bytes  // outside #expect: large arrays
        #expect(identical, "\(compressed) does not decode to \(source)'s values")
    }

    @Test(arguments: TestData.manifest)
    func decodesAndRendersLikeTheReference(_ entry: TestData.Entry) throws {
        let file = try DicomFile(path: TestData.path(entry.file))
        let frame = try file.decodeFrame(entry.frame)
        let dataSet = try file.dataSet(bulkThreshold: 1 << 20)
        let image = try InstanceRenderer().render(frame, dataSet: dataSet, frame: entry.frame, request: RenderRequest())

        if entry.kind == "grey" {
            let expected = TestData.int32s(entry.referenceStem + ".stored")
            let decoder = StoredValueDecoder(frame.format)
            var ours = [Int32](repeating: 0, count: frame.format.pixelCount)
            frame.forEachRawSample { index, raw in ours[index] = Int32(truncatingIfNeeded: decoder.value(raw)) }
            #expect(ours.count == expected.count)
            let storedDifference = zip(ours, expected).map { abs(Int64($0) - Int64($1)) }.max() ?? 0
            #expect(storedDifference <= Int64(entry.storedTolerance ?? 0), "stored values differ by \(storedDifference)")
        }
        let expectedRender = TestData.bytes(entry.referenceStem + ".render")
        #expect(image.pixels.count == expectedRender.count)
        let renderDifference = zip(image.pixels, expectedRender).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(renderDifference <= entry.renderTolerance, "display values differ by \(renderDifference); \(entry.why ?? "")")
    }

    /// DCMTK's dcmj2pnm (dcml2pnm for JPEG-LS) as a second, independent renderer for greyscale files.
    /// Not used where DCMTK cannot or does not follow PS3.3 (the synthetic files test those rules against
    /// numpy instead): it has no JPEG 2000 or HTJ2K codec, keeps modality values as integers (non-integer slopes
    /// drift), has no LINEAR_EXACT, ignores per-frame functional groups, cannot find frame n > 1 when
    /// frames span several fragments and the offset table is empty, and 3.6.7 reads 32-bit samples of
    /// big-endian OW Pixel Data with their 16-bit halves swapped (rtdose_expb; pydicom agrees with us).
    static let dcmtkEntries = TestData.manifest.filter { entry in
        entry.kind == "grey" && entry.set != "synthetic"
            && !["1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"]
                .contains(entry.transferSyntax)
            && !entry.name.contains("eCT_Supplemental") && !entry.name.contains("rtdose_expb")
            && !(entry.name.contains("no_offset_table") && entry.frame > 1)
    }

    @Test(arguments: dcmtkEntries)
    func greyscaleMatchesDCMTK(_ entry: TestData.Entry) throws {
        let file = try DicomFile(path: TestData.path(entry.file))
        let dataSet = try file.dataSet(bulkThreshold: 1 << 20)
        let frame = try file.decodeFrame(entry.frame)
        // The VOI DCMTK applies is chosen from what dcmdump (not our parser) finds in the file, as PS3.3
        // C.11.2 orders it: a window, else a VOI LUT, else min/max.
        let dump = try run("/usr/bin/dcmdump", ["+P", "0028,1050", "+P", "0028,3010", TestData.path(entry.file)])
        let tags = String(decoding: dump.output, as: UTF8.self)
        let voiOption: [String] =
            if tags.contains("(0028,1050) DS [") { ["+Wi", "1"] } else if tags.contains("(0028,3010)") { ["+Wl", "1"] } else { ["+Wm"] }
        let isJPEGLS = entry.transferSyntax.hasPrefix("1.2.840.10008.1.2.4.8")
        let tool = isJPEGLS ? "/usr/bin/dcml2pnm" : "/usr/bin/dcmj2pnm"
        let output = TestData.temporaryFile(".pgm")
        defer { try? FileManager.default.removeItem(atPath: output) }
        let result = try run(
            tool,
            voiOption + [
                "+F", "\(entry.frame)", "--write-raw-pnm", "--no-overlays",
                TestData.path(entry.file), output,
            ]
        )
        try #require(result.status == 0, "dcmj2pnm failed: \(result.error)")
        let reference = try #require(readPGM(FileManager.default.contents(atPath: output) ?? Data()))
        let image = try InstanceRenderer().render(frame, dataSet: dataSet, frame: entry.frame, request: RenderRequest())
        #expect(reference.pixels.count == image.pixels.count)
        let difference = zip(image.pixels, reference.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
        #expect(difference <= 1, "differs from dcmj2pnm by up to \(difference) grey levels")
    }
}
