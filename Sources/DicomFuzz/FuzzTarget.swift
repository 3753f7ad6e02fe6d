import DicomCodec
import DicomImaging
import DicomWeb
import Foundation

/// The parsers untrusted bytes reach, each as a fuzz target: libFuzzer drives them (`make fuzz`), and
/// without the fuzzer the same binary replays files through them (`make test` replays the seed corpus
/// and every crash ever found, `Tests/Fixtures/fuzz`).
enum FuzzTarget: String, CaseIterable {
    /// The encoding scan, DCMTK's parser (through the shim), the JSON model and every frame decoded.
    case dicomFile = "dicom-file"
    /// A parsed file through the whole render pipeline (modality, VOI, presentation, resize) to PNG.
    case render
    /// The pre-parse walk over raw Part 10 bytes, on its own.
    case encodingScanner = "encoding-scanner"
    /// The locator that finds native Pixel Data without parsing.
    case pixelDataLocator = "pixel-data-locator"
    /// multipart/related bodies (STOW-RS), boundary "b".
    case multipart
    /// QIDO-RS query strings, as `name=value&…`.
    case qido
    /// Accept and Content-Type header values (the header scanner), one per line.
    case headers
    /// A JPEG 2000 codestream (OpenJPEG) as the one frame of a file whose header matches its SIZ marker,
    /// decoded in full and at reduced resolution.
    case jpeg2000
    /// An HTJ2K codestream (OpenJPEG's HT decoder), the same way. Not in `make test`'s list: Debian 12's
    /// OpenJPEG 2.5.0 asserts on inputs it finds within seconds (scripts/fuzz).
    case htj2k

    /// Limits small enough that a fuzzer spends its time on parsing, not on legitimately huge frames.
    static let limits = DecodingLimits(maxDecodedFrameBytes: 64 << 20, maxInflatedBytes: 64 << 20)

    func run(_ bytes: [UInt8]) {
        switch self {
        case .dicomFile:
            Self.withFile(bytes) { file in
                _ = try? file.dataSet()
                guard let frames = try? file.frameInfo().numberOfFrames else { return }
                for frame in 1...max(1, min(frames, 8)) { _ = try? file.decodeFrame(frame) }
            }
        case .render:
            Self.withFile(bytes) { file in
                guard let image = try? InstanceRenderer().render(file, request: RenderRequest(viewport: Viewport(width: 64, height: 64))) else {
                    return
                }
                _ = try? ImageEncoder().encodePNG(image)
            }
        case .encodingScanner:
            _ = try? EncodingScanner.scan(bytes, limits: Self.limits)
        case .pixelDataLocator:
            _ = PixelDataLocator.locate(in: bytes)
        case .multipart:
            _ = try? Multipart.read(bytes, boundary: "b", maximumParts: 2_000)
        case .qido:
            let text = String(decoding: bytes, as: UTF8.self)
            let items = text.split(separator: "&", omittingEmptySubsequences: false).map { pair in
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (name: String(parts[0]), value: parts.count > 1 ? String(parts[1]) : "")
            }
            _ = try? QIDOQuery(items: items)
        case .headers:
            let lines = String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
            _ = AcceptHeader(lines)
            for line in lines { _ = MIMEType(parsing: line) }
        case .jpeg2000, .htj2k:
            let syntax = self == .htj2k ? "1.2.840.10008.1.2.4.201" : "1.2.840.10008.1.2.4.90"
            Self.withFile(CodestreamFile.wrapping(bytes, transferSyntax: syntax)) { file in
                for reduction in [0, 2] { _ = try? file.decodeFrame(1, options: DecodeOptions(resolutionReduction: reduction)) }
            }
        }
    }

    /// DicomFile reads from a path: the input goes to one reused file in /dev/shm (memory) when there is one.
    private static func withFile(_ bytes: [UInt8], _ body: (DicomFile) -> Void) {
        let directory = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        let path = "\(directory)/dicomserve-fuzz-\(getpid()).dcm"
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else { return }
        defer { unlink(path) }
        guard let file = try? DicomFile(path: path, limits: limits) else { return }
        body(file)
    }
}
