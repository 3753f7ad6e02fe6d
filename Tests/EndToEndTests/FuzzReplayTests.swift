import Foundation
import TestSupport
import Testing

/// The fuzz targets (Sources/DicomFuzz) built without libFuzzer replay inputs: every committed seed and
/// crash fixture, the test corpus and the hostile files, through each parser. A fixed crash stays fixed.
@Suite(.timeLimit(.minutes(10)))
struct FuzzReplayTests {
    static let binary = Bundle.main.bundleURL.appendingPathComponent("DicomFuzz").path
    static let fixtures = CommandLineTests.repositoryRoot.appendingPathComponent("Tests/Fixtures")

    static func replay(_ target: String, _ paths: [String]) throws -> DeploymentTests.Run {
        try DeploymentTests.run(binary, [target] + paths)
    }

    /// The codestream targets' seeds are small codestreams (ojph_compress, opj_compress) wrapped in a file.
    @Test(arguments: ["multipart", "qido", "headers", "jpeg2000", "htj2k"])
    func textTargetsReplayTheirSeeds(target: String) throws {
        let run = try Self.replay(target, [Self.fixtures.appendingPathComponent("fuzz/\(target)").path])
        #expect(run.status == 0, "\(run.error)")
        #expect(run.output.contains("\(target): "), "\(run.output)")
        #expect(!run.output.contains(": 0 inputs"), "\(run.output)")
    }

    @Test(arguments: ["dicom-file", "render", "encoding-scanner", "pixel-data-locator"])
    func dicomTargetsReplayTheCorpusAndTheHostileFiles(target: String) throws {
        typealias H = HostileFiles
        let hostile =
            (H.refusedAtIngest().map(\.bytes) + [
                H.file(
                    H.identity(uid: "1.2.3.13") + H.imagePixel(rows: 2, columns: 2, bits: 8) + H.encapsulated(Array(repeating: [], count: 120_000))
                )
            ]).map { H.write($0, name: "replay") }
        defer { for path in hostile { try? FileManager.default.removeItem(atPath: path) } }
        var paths = hostile + [Self.fixtures.path, ServeEndToEndTests.corpus.appendingPathComponent("pydicom").path]
        let crashes = Self.fixtures.appendingPathComponent("fuzz/\(target)").path
        if FileManager.default.fileExists(atPath: crashes) { paths.append(crashes) }
        let run = try Self.replay(target, paths)
        #expect(run.status == 0, "\(run.error.suffix(2000))")
        #expect(run.output.contains("\(target): "), "\(run.output)")
    }
}
