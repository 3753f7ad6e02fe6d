import DicomCodec
import DicomImaging
import Foundation
import TestSupport
import Testing

/// Deterministic mutation fuzzing: small real files in every codec with bytes flipped, inserted and cut.
/// Any typed outcome is acceptable; a crash, hang or untyped error fails the test process.
/// `DICOMSERVE_FUZZ_ITERATIONS` raises the 60 mutations per seed for a longer local campaign.
struct MutationFuzzTests {
    static let seeds = [
        "pydicom/MR_small.dcm", "pydicom/MR_small_RLE.dcm", "pydicom/MR_small_jpeg_ls_lossless.dcm",
        "pydicom/MR_small_jp2klossless.dcm", "pydicom/SC_rgb_small_odd_jpeg.dcm", "pydicom-data/emri_small_jpeg_2k_lossless.dcm",
        "dcmtk-made/jpegls_fragments_no_offset_table.dcm", "pydicom/SC_rgb_rle_2frame.dcm", "synthetic/one_bit_multiframe.dcm",
    ]

    @Test(arguments: seeds)
    func mutatedFilesFailCleanly(_ seed: String) throws {
        let original = TestData.bytes(TestData.path("dicom/\(seed)"))
        try #require(!original.isEmpty)
        var generator = SplitMix64(seed: UInt64(seed.utf8.reduce(0) { $0 &* 31 &+ Int($1) }.magnitude))
        let path = TestData.temporaryFile(".dcm")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let limits = DecodingLimits(maxFramePixels: 1 << 22, maxFrames: 256)
        var outcomes: [String: Int] = [:]
        let iterations = ProcessInfo.processInfo.environment["DICOMSERVE_FUZZ_ITERATIONS"].flatMap(Int.init) ?? 60
        for _ in 0..<iterations {
            var bytes = original
            for _ in 0..<Int.random(in: 1...8, using: &generator) {
                // Mutate past the preamble so most inputs reach the parser.
                let position = Int.random(in: 132..<bytes.count, using: &generator)
                switch Int.random(in: 0..<4, using: &generator) {
                case 0: bytes[position] = UInt8.random(in: 0...255, using: &generator)
                case 1: bytes[position] ^= 0xFF
                case 2: bytes.insert(contentsOf: [0xFF, 0xFF, 0xFF, 0xFF], at: position)
                default: bytes.removeSubrange(position..<min(bytes.count, position + Int.random(in: 1...64, using: &generator)))
                }
            }
            #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
            do {
                let file = try DicomFile(path: path, limits: limits)
                let info = try file.frameInfo()
                _ = try InstanceRenderer().render(file, frame: min(info.numberOfFrames, 2))
                outcomes["rendered", default: 0] += 1
            } catch {
                outcomes[error.kind.rawValue, default: 0] += 1
                // A refusal is a kind a caller can act on, said in words; `internalError` means a C++
                // exception or a failure the shim could not classify, which is a bug to look at.
                #expect(error.kind != .internalError, "\(seed): \(error.message)")
                #expect(!error.message.isEmpty, "\(seed): a \(error.kind) refusal without a message")
            }
        }
        // The mutations reach the parser: some inputs must be refused (were none, the mutator or the
        // limits would be broken and the test would check nothing).
        #expect(outcomes.filter { $0.key != "rendered" }.values.reduce(0, +) > 0, "\(seed): nothing refused: \(outcomes)")
    }
}
