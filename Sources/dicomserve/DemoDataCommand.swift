import ArgumentParser
import DicomCodec
import DicomImaging
import DicomWeb
import Foundation

/// `dicomserve demo-data DIR`: a small, reproducible PACS from real images (pydicom-data, fetched by
/// scripts/fetch-test-data): a 120-slice CT series and a 20-slice MR series built from one real slice
/// each (new UIDs, positions along the slice normal, the anatomy shifted a little per slice so
/// scrolling shows motion), plus real files copied as they are: a CR radiograph, a multi-frame
/// enhanced MR, an ultrasound colour image and a JPEG-LS compressed MR.
struct DemoDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo-data",
        abstract: "Generate the demo studies into a directory (the same bytes every time).",
        discussion: "Then: dicomserve import DIR --data-dir ./data"
    )

    @Argument(help: "Directory to write the demo files to (created if missing).") var directory: String
    @Option(help: "The fetched test data (default: .testdata/dicom, or DICOMSERVE_DEMO_SOURCE).") var source: String?

    /// A series generated from one real slice.
    struct SyntheticSeries {
        var name: String
        var sourceFile: String
        var slices: Int
        var spacing: Double
        var patientName: String
        var patientID: String
        var description: String
        var accession: String
        var studyDate: String
    }

    static let synthetic = [
        SyntheticSeries(
            name: "ct",
            sourceFile: "pydicom-data/693_UNCR.dcm",
            slices: 120,
            spacing: 2.5,
            patientName: "Demo^Head CT",
            patientID: "DEMO-CT-001",
            description: "Demo CT head, 120 slices from pydicom-data 693_UNCR",
            accession: "DEMO0001",
            studyDate: "20240115"
        ),
        SyntheticSeries(
            name: "mr",
            sourceFile: "pydicom-data/MR2_UNCR.dcm",
            slices: 20,
            spacing: 6,
            patientName: "Demo^Shoulder MR",
            patientID: "DEMO-MR-001",
            description: "Demo MR shoulder, 20 slices from pydicom-data MR2_UNCR",
            accession: "DEMO0002",
            studyDate: "20240220"
        ),
    ]

    /// Real files served as they are.
    static let copies = [
        ("pydicom-data/RG1_UNCR.dcm", "cr_radiograph.dcm"),
        ("pydicom-data/emri_small.dcm", "mr_multiframe_10.dcm"),
        ("pydicom-data/US1_UNCR.dcm", "us_colour.dcm"),
        ("pydicom/MR_small_jpeg_ls_lossless.dcm", "mr_jpeg_ls.dcm"),
    ]

    func run() throws {
        let sourceRoot = source ?? ProcessInfo.processInfo.environment["DICOMSERVE_DEMO_SOURCE"] ?? ".testdata/dicom"
        guard FileManager.default.fileExists(atPath: sourceRoot + "/" + Self.synthetic[0].sourceFile) else {
            throw CommandFailure.usage("no test data under \(sourceRoot): run scripts/fetch-test-data first (or pass --source)")
        }
        var written = 0
        do {
            for series in Self.synthetic {
                let directory = self.directory + "/" + series.name
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                for (index, bytes) in try Self.generate(series, sourceRoot: sourceRoot).enumerated() {
                    try Data(bytes).write(to: URL(fileURLWithPath: String(format: "%@/slice_%03d.dcm", directory, index + 1)), options: .atomic)
                    written += 1
                }
            }
            let other = directory + "/other"
            try FileManager.default.createDirectory(atPath: other, withIntermediateDirectories: true)
            for (file, name) in Self.copies {
                let target = URL(fileURLWithPath: other + "/" + name)
                try FileManager.default.contents(atPath: sourceRoot + "/" + file)?.write(to: target, options: .atomic)
                written += 1
            }
        } catch let failure as CommandFailure {
            throw failure
        } catch {
            throw CommandFailure.other("cannot write the demo data: \(error)")
        }
        print("wrote \(written) files to \(directory)")
    }

    /// The slices of a synthetic series, in order.
    static func generate(_ series: SyntheticSeries, sourceRoot: String) throws -> [[UInt8]] {
        let path = sourceRoot + "/" + series.sourceFile
        let file: DicomFile
        let original: DicomDataSet
        let frame: PixelFrame
        do {
            file = try DicomFile(path: path)
            original = try file.dataSet(bulkThreshold: .max)
            frame = try file.decodeFrame(1)
        } catch {
            throw CommandFailure.unusableInput("\(path): \(error)")
        }
        let format = frame.format
        let rowBytes = format.columns * format.samplesPerPixel * format.bitsAllocated / 8
        let frameBytes = Array(frame.bytes.prefix(rowBytes * format.rows))
        let position = original.numbers(DicomTag(0x0020, 0x0032)).count == 3 ? original.numbers(DicomTag(0x0020, 0x0032)) : [0, 0, 0]
        let orientation =
            original.numbers(DicomTag(0x0020, 0x0037)).count == 6 ? original.numbers(DicomTag(0x0020, 0x0037)) : [1, 0, 0, 0, 1, 0]
        // The slice normal: row direction × column direction.
        let normal = [
            orientation[1] * orientation[5] - orientation[2] * orientation[4],
            orientation[2] * orientation[3] - orientation[0] * orientation[5],
            orientation[0] * orientation[4] - orientation[1] * orientation[3],
        ]
        let study = uid("\(series.name)/study")
        let seriesUID = uid("\(series.name)/series")
        return try (0..<series.slices).map { index in
            let offset = (Double(index) - Double(series.slices / 2)) * series.spacing
            let slicePosition = (0..<3).map { position[$0] + normal[$0] * offset }
            var dataSet = original
            func set(_ group: UInt16, _ element: UInt16, _ vr: String, _ values: [String]) {
                dataSet.insert(DicomElement(tag: DicomTag(group, element), vr: vr, value: .text(values)))
            }
            set(0x0008, 0x0005, "CS", ["ISO_IR 192"])  // the reader converted text to UTF-8
            set(0x0008, 0x0018, "UI", [uid("\(series.name)/instance/\(index + 1)")])
            set(0x0008, 0x0020, "DA", [series.studyDate])
            set(0x0008, 0x0021, "DA", [series.studyDate])
            set(0x0008, 0x0030, "TM", ["093000"])
            set(0x0008, 0x0050, "SH", [series.accession])
            set(0x0008, 0x1030, "LO", ["dicomserve demo"])
            set(0x0008, 0x103E, "LO", [series.description])
            set(0x0010, 0x0010, "PN", [series.patientName])
            set(0x0010, 0x0020, "LO", [series.patientID])
            set(0x0018, 0x0050, "DS", [format2(series.spacing)])
            set(0x0020, 0x000D, "UI", [study])
            set(0x0020, 0x000E, "UI", [seriesUID])
            set(0x0020, 0x0010, "SH", [series.accession])
            set(0x0020, 0x0011, "IS", ["1"])
            set(0x0020, 0x0013, "IS", ["\(index + 1)"])
            set(0x0020, 0x0032, "DS", slicePosition.map(format2))
            set(0x0020, 0x0037, "DS", orientation.map(format2))
            set(0x0020, 0x1041, "DS", [format2(offset)])
            // Anatomy moves a few rows from slice to slice: a vertical roll of the real image.
            let shift = ((index - series.slices / 2) / 3 % format.rows + format.rows) % format.rows
            let split = shift * rowBytes
            let pixels = Array(frameBytes[split...] + frameBytes[..<split])
            do {
                return try Part10Writer.write(dataSet, pixelData: pixels, bitsAllocated: format.bitsAllocated)
            } catch {
                throw CommandFailure.other("\(series.name) slice \(index + 1): \(error)")
            }
        }
    }

    /// A UID under 2.25 (PS3.5 B.2) derived from `name`: the same name always gives the same UID.
    static func uid(_ name: String) -> String {
        func fnv1a(_ seed: UInt64) -> UInt64 {
            var hash = seed
            for byte in ("dicomserve-demo/" + name).utf8 {
                hash ^= UInt64(byte)
                hash &*= 0x100_0000_01B3
            }
            return hash
        }
        let value = UInt128(fnv1a(0xCBF2_9CE4_8422_2325)) << 64 | UInt128(fnv1a(0x8422_2325_CBF2_9CE4))
        return "2.25.\(value)"
    }

    static func format2(_ value: Double) -> String {
        String(format: "%.3f", value)
    }
}
