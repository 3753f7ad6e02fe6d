import DicomCodec
import DicomStorage
import DicomWeb
import Foundation
import Hummingbird
import HummingbirdTesting
import TestSupport
import Testing

@testable import DicomArchive
@testable import DicomServer

/// WADO-RS frames in a transfer syntax other than the stored one (PS3.18 8.7.3.5), as OHIF asks for
/// them, checked by an independent decoder (pydicom with pylibjpeg's libjpeg and OpenJPEG plugins).
@Suite(.timeLimit(.minutes(10)))
struct TranscodedFramesTests {
    static let files = [
        "pydicom-data/693_J2KR.dcm", "pydicom/CT_small.dcm", "dcmtk-made/jpeg_baseline_grey8.dcm", "pydicom-data/SC_rgb.dcm",
        "openjph-made/mr_htj2k_lossless.dcm",
    ]
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent(".testdata")

    static func framePath(_ row: InstanceRow) -> String { WADORenderedTests.path(row) + "/frames/1" }

    static func parts(_ response: TestResponse) throws -> [(headers: [String: String], body: [UInt8])] {
        let type = try #require(response.headers[.contentType].flatMap(MIMEType.init(parsing:)))
        let boundary = try #require(type.parameter("boundary"))
        return try Multipart.read(Array(response.body.readableBytesView), boundary: boundary, maximumParts: 100).map { part in
            (Dictionary(part.headers.map { ($0.name.lowercased(), $0.value) }, uniquingKeysWith: { a, _ in a }), part.body)
        }
    }

    @Test func framesComeInTheRequestedSyntaxAndDecodeToTheStoredPixels() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("transcoded-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await JSONAPITests.withArchive(files: Self.files) { router, archive in
            let rows = try archive.catalog.instances(inSeries: nil)
            var sources: [String: String] = [:]
            for file in Self.files {
                let uid = try DicomFile(path: Self.corpus.appendingPathComponent("dicom/\(file)").path).dataSet().string(.sopInstanceUID)
                sources[uid ?? ""] = file
            }
            let sourceOf = sources
            try await Application(router: router).test(.router) { client in
                for (index, row) in rows.enumerated() {
                    let source = try #require(sourceOf[row.sopInstanceUID])
                    try FileManager.default.copyItem(
                        at: Self.corpus.appendingPathComponent("dicom/\(source)"),
                        to: directory.appendingPathComponent("s\(index).dcm")
                    )
                    var syntaxes = ["1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202"]
                    if row.bitsAllocated == 8 { syntaxes.append("1.2.840.10008.1.2.4.50") }
                    for syntax in syntaxes where syntax != row.transferSyntaxUID {
                        let media = ["1.2.840.10008.1.2.4.80": "image/jls", "1.2.840.10008.1.2.4.50": "image/jpeg"][syntax] ?? "image/jphc"
                        // OHIF's form (octet-stream with the syntax) and the media type's own, quoted or not.
                        for accept in [
                            "multipart/related; type=\"application/octet-stream\"; transfer-syntax=\(syntax)",
                            "multipart/related; type=\(media); transfer-syntax=\(syntax)",
                        ] {
                            let response = try await client.execute(uri: Self.framePath(row), method: .get, headers: [.accept: accept]) { $0 }
                            #expect(response.status == .ok, "\(source) as \(accept): \(String(buffer: response.body))")
                            guard response.status == .ok else { continue }
                            let parts = try Self.parts(response)
                            #expect(parts.count == 1)
                            #expect(
                                parts.first?.headers["content-type"]?.contains("transfer-syntax=\(syntax)") == true,
                                "\(parts.first?.headers ?? [:])"
                            )
                            #expect(response.headers[.contentType]?.contains("transfer-syntax=\(syntax)") == true)
                            if let body = parts.first?.body {
                                try Data(body).write(to: directory.appendingPathComponent("s\(index).\(syntax).frame1"))
                            }
                        }
                    }
                }
                // JPEG baseline is lossy: never the answer unless named. image/jpeg alone means lossless JPEG (.70).
                let grey16 = try #require(rows.first { $0.bitsAllocated == 16 && $0.transferSyntaxUID == "1.2.840.10008.1.2.1" })
                let refused = try await client.execute(
                    uri: Self.framePath(grey16),
                    method: .get,
                    headers: [.accept: "multipart/related; type=\"image/jpeg\""]
                ) { $0 }
                #expect(refused.status == .notAcceptable)
                #expect(String(buffer: refused.body).contains("1.2.840.10008.1.2.4.80"), "the 406 names what can be produced")
                let baseline16 = try await client.execute(
                    uri: Self.framePath(grey16),
                    method: .get,
                    headers: [.accept: "multipart/related; type=\"image/jpeg\"; transfer-syntax=1.2.840.10008.1.2.4.50"]
                ) { $0 }
                #expect(baseline16.status == .notAcceptable, "16-bit samples do not fit JPEG baseline")
            }
            // The second request for a frame is answered from the cache.
            #expect(archive.caches.transcodedFrames.statistics.hits > 0)
        }
        let python = Self.corpus.appendingPathComponent("venv/bin/python").path
        let script = Self.corpus.deletingLastPathComponent().appendingPathComponent("Tests/Interop/transcoded_frames_check.py").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [script, directory.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try TestChildren.run(process)
        let report = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(report)")
        #expect(report.contains(" 0 failed"), "\(report)")
    }

    @Test func lossyBaselineOnlyForEightBitGreyAndRGB() {
        func syntaxes(_ bits: Int, _ stored: Int, _ samples: Int, _ photometric: String) -> Set<String> {
            Set(
                FrameEncoding.producible(bitsAllocated: bits, bitsStored: stored, samplesPerPixel: samples, photometric: photometric).map(
                    \.transferSyntaxUID
                )
            )
        }
        let lossless: Set = ["1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202"]
        #expect(syntaxes(8, 8, 1, "MONOCHROME2") == lossless.union(["1.2.840.10008.1.2.4.50"]))
        #expect(syntaxes(8, 8, 3, "RGB") == lossless.union(["1.2.840.10008.1.2.4.50"]))
        #expect(syntaxes(8, 8, 3, "YBR_FULL") == lossless, "native YBR would be converted as if it were RGB")
        #expect(syntaxes(8, 8, 1, "PALETTE COLOR") == lossless)
        #expect(syntaxes(16, 12, 1, "MONOCHROME2") == lossless)
        #expect(syntaxes(1, 1, 1, "MONOCHROME2").isEmpty)
        #expect(syntaxes(32, 32, 1, "MONOCHROME2").isEmpty)
    }

    @Test func ohifsAcceptVariantsStillGetTheStoredFrames() {
        let jls = RetrieveNegotiation.frames(
            AcceptHeader(["multipart/related; type=application/octet-stream; transfer-syntax=*"]),
            storedTransferSyntax: "1.2.840.10008.1.2.4.80",
            storedMediaType: "image/jls",
            transcodable: ["1.2.840.10008.1.2.4.201": "image/jphc"]
        )
        #expect(jls?.0 == .stored)
        let quoted = RetrieveNegotiation.frames(
            AcceptHeader(["multipart/related; type=\"application/octet-stream\"; transfer-syntax=1.2.840.10008.1.2.4.80"]),
            storedTransferSyntax: "1.2.840.10008.1.2.4.80",
            storedMediaType: "image/jls",
            transcodable: ["1.2.840.10008.1.2.4.201": "image/jphc"]
        )
        #expect(quoted?.0 == .stored)
        let htj2k = RetrieveNegotiation.frames(
            AcceptHeader(["multipart/related; type=\"application/octet-stream\"; transfer-syntax=1.2.840.10008.1.2.4.201"]),
            storedTransferSyntax: "1.2.840.10008.1.2.4.80",
            storedMediaType: "image/jls",
            transcodable: ["1.2.840.10008.1.2.4.201": "image/jphc"]
        )
        #expect(htj2k?.0 == .transcoded(transferSyntax: "1.2.840.10008.1.2.4.201"))
        let unknown = RetrieveNegotiation.frames(
            AcceptHeader(["multipart/related; type=\"application/octet-stream\"; transfer-syntax=1.2.840.10008.1.2.4.100"]),
            storedTransferSyntax: "1.2.840.10008.1.2.4.80",
            storedMediaType: "image/jls",
            transcodable: ["1.2.840.10008.1.2.4.201": "image/jphc"]
        )
        #expect(unknown == nil)
    }
}
