import CImageCodecs
import Foundation
import TestSupport
import Testing

/// Renders fetched from the real server, decoded with libpng, against the independent references
/// (pydicom + pylibjpeg decoding, PS3.3 C.11 computed with numpy; scripts/testdata/make_references.py):
/// the whole path a viewer sees, not only the CLI's.
@Suite(.timeLimit(.minutes(5)))
struct RenderedOverHTTPTests {
    struct Reference: Decodable {
        var file: String
        var name: String
        var frame: Int
        var frames: Int
        var photometric: String
        var renderTolerance: Int
    }

    /// One single-frame file per photometric interpretation, the file's own window or min/max, MONOCHROME1,
    /// palette, RGB and the YBR forms, native and compressed.
    static let names = [
        "pydicom/CT_small.f1", "pydicom/MR_small.f1", "pydicom-data/RG1_J2KI.f1", "pydicom/examples_palette.f1",
        "pydicom/ExplVR_BigEnd.f1", "pydicom/SC_ybr_full_422_uncompressed.f1", "pydicom-data/US1_J2KI.f1",
    ]

    static let references: [Reference] = {
        let root = ServeEndToEndTests.corpus.deletingLastPathComponent()
        guard let data = FileManager.default.contents(atPath: root.appendingPathComponent("manifest.json").path),
            let all = try? JSONDecoder().decode([Reference].self, from: data)
        else { return [] }
        return all.filter { names.contains($0.name) }
    }()

    @Test func rendersMatchTheIndependentReferences() async throws {
        try #require(Self.references.count == Self.names.count, "every chosen reference is in the manifest")
        let root = ServeEndToEndTests.corpus.deletingLastPathComponent()
        let dataDir = CommandLineTests.temporary("-references")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let files = Self.references.map { root.appendingPathComponent($0.file).path }
        let imported = try TestChildren.runToEnd(CommandLineTests.binary, ["import", "--data-dir", dataDir] + files)
        #expect(imported.status == 0, "\(String(decoding: imported.error, as: UTF8.self))")
        let server = try await ServerProcess(dataDir: dataDir)
        for reference in Self.references {
            let uid = try #require(CommandLineTests.uid(of: root.appendingPathComponent(reference.file).path))
            let response = try await server.get("/api/v1/dicom/images/\(uid)/rendered?format=png")
            #expect(response.status == 200, "\(reference.name)")
            let png = [UInt8](response.body)
            var (width, height, channels): (UInt32, UInt32, UInt32) = (0, 0, 0)
            try #require(cimg_png_info(png, png.count, &width, &height, &channels) == CIMG_OK, "\(reference.name) is a PNG")
            var pixels = [UInt8](repeating: 0, count: Int(width * height * channels))
            try #require(cimg_png_decode(png, png.count, channels, &pixels, pixels.count) == CIMG_OK)
            let expected = [UInt8](
                FileManager.default.contents(atPath: root.appendingPathComponent("reference/\(reference.name).render").path) ?? Data()
            )
            #expect(expected.count == pixels.count, "\(reference.name): \(pixels.count) values, the reference has \(expected.count)")
            let difference = zip(pixels, expected).map { abs(Int($0) - Int($1)) }.max() ?? .max
            #expect(difference <= reference.renderTolerance, "\(reference.name) differs from the reference by up to \(difference)")
        }
        server.stop()
    }
}
