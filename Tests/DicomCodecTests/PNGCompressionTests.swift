import CImageCodecs
import DicomCodec
import DicomImaging
import Foundation
import TestSupport
import Testing

/// Every PNG setting on real frames (CT, MR, CR, colour): libpng and Pillow, two independent decoders,
/// read back exactly the rendered pixels.
@Suite(.enabled(if: TestData.isPresent, "needs scripts/fetch-test-data"))
struct PNGCompressionTests {
    static let frames: [(name: String, file: String)] = [
        ("ct", "dicom/pydicom-data/693_UNCR.dcm"), ("mr", "dicom/pydicom-data/MR2_UNCR.dcm"),
        ("cr", "dicom/pydicom-data/RG1_UNCR.dcm"), ("rgb", "dicom/pydicom-data/SC_rgb.dcm"),
        ("ybr", "dicom/pydicom/SC_ybr_full_422_uncompressed.dcm"), ("ybr-colour", "dicom/pydicom/examples_ybr_color.dcm"),
    ]
    static let settings: [(name: String, options: PNGOptions)] =
        PNGCompression.allCases.map { ($0.rawValue, $0.options) } + [
            ("isal0-paeth", PNGOptions(deflater: .isal(level: 0), filter: .paeth)),
            ("isal3-sub", PNGOptions(deflater: .isal(level: 3), filter: .sub)),
            ("libdeflate12-average", PNGOptions(deflater: .libdeflate(level: 12), filter: .average)),
            ("zlib-rle-up", PNGOptions(deflater: .zlib(level: 1, strategy: .rle), filter: .up)),
            ("libpng-defaults", .libpngDefaults),
        ]

    @Test func everySettingDecodesToTheRenderedPixelsInLibpngAndPillow() throws {
        let directory = TestData.temporaryFile("-png")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let encoder = ImageEncoder()
        var written = 0
        for frame in Self.frames {
            let path = TestData.path(frame.file)
            try #require(FileManager.default.fileExists(atPath: path), "\(frame.file) is part of the fetched corpus")
            let image = try InstanceRenderer().render(DicomFile(path: path))
            for setting in Self.settings {
                // libdeflate's slowest level on the 3.6-megapixel CR would take seconds for nothing new.
                if frame.name == "cr" && setting.name.hasPrefix("libdeflate12") { continue }
                let png = try encoder.encodePNG(image, options: setting.options)
                #expect(Self.decodeWithLibpng(png, channels: image.channels) == image.pixels, "\(frame.name), \(setting.name): libpng")
                let stem = "\(directory)/\(frame.name)-\(setting.name)"
                try Data(png).write(to: URL(fileURLWithPath: stem + ".png"))
                try Data(image.pixels).write(to: URL(fileURLWithPath: stem + ".raw"))
                written += 1
            }
        }
        let python = TestData.repositoryRoot.appendingPathComponent(".testdata/venv/bin/python").path
        let script = TestData.repositoryRoot.appendingPathComponent("Tests/Interop/png_pixels_equal.py").path
        let result = try run(python, [script, directory])
        let report = String(decoding: result.output, as: UTF8.self)
        #expect(result.status == 0, "Pillow: \(report) \(result.error)")
        #expect(report.contains("\(written) checked, 0 differ"))
    }

    @Test func theDefaultIsFastAndEachNameIsDistinct() {
        #expect(ImageEncoder().png == PNGCompression.fast.options)
        #expect(Set(PNGCompression.allCases.map(\.options)).count == PNGCompression.allCases.count)
    }

    static func decodeWithLibpng(_ png: [UInt8], channels: Int) -> [UInt8]? {
        var (width, height, native): (UInt32, UInt32, UInt32) = (0, 0, 0)
        guard cimg_png_info(png, png.count, &width, &height, &native) == CIMG_OK, Int(native) == channels else { return nil }
        var pixels = [UInt8](repeating: 0, count: Int(width) * Int(height) * channels)
        guard cimg_png_decode(png, png.count, UInt32(channels), &pixels, pixels.count) == CIMG_OK else { return nil }
        return pixels
    }
}
