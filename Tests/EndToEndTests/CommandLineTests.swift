import CImageCodecs
import Foundation
import TestSupport
import Testing

/// The `dicomserve` binary as a person runs it: exit codes 0 ok, 2 usage, 3 unreadable/unsupported file.
@Suite(.timeLimit(.minutes(10)))
struct CommandLineTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let binary = Bundle.main.bundleURL.appendingPathComponent("dicomserve").path
    static let ct = repositoryRoot.appendingPathComponent(".testdata/dicom/pydicom-data/693_UNCR.dcm").path
    static let presets = repositoryRoot.appendingPathComponent("presets").path

    struct Result {
        var status: Int32
        var output: Data
        var error: String
    }

    /// Runs the binary to its end (at most two minutes: a refusal that regressed into a running server
    /// fails the test instead of hanging it).
    static func dicomserve(_ arguments: String...) throws -> Result {
        let run = try TestChildren.runToEnd(binary, arguments, directory: repositoryRoot.path)
        #expect(!run.timedOut, "dicomserve \(arguments.joined(separator: " ")) was still running after two minutes")
        return Result(status: run.status, output: run.output, error: String(decoding: run.error, as: UTF8.self))
    }

    static func temporary(_ suffix: String) -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("dicomserve-cli-\(UUID().uuidString)\(suffix)").path
    }

    static func pngSize(_ path: String) -> (UInt32, UInt32, UInt32)? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let bytes = [UInt8](data)
        var width: UInt32 = 0
        var height: UInt32 = 0
        var channels: UInt32 = 0
        guard cimg_png_info(bytes, bytes.count, &width, &height, &channels) == CIMG_OK else { return nil }
        return (width, height, channels)
    }

    @Test func rendersAPresetToPNG() throws {
        let output = Self.temporary(".png")
        defer { try? FileManager.default.removeItem(atPath: output) }
        let result = try Self.dicomserve("render", Self.ct, "--preset", "lung", "--presets", Self.presets, "-o", output)
        #expect(result.status == 0, "\(result.error)")
        let size = try #require(Self.pngSize(output))
        #expect(size == (512, 512, 1))
    }

    @Test func aliasesAndWindowsAndThumbnailsAndJPEG() throws {
        let output = Self.temporary(".jpg")
        defer { try? FileManager.default.removeItem(atPath: output) }
        #expect(
            try Self.dicomserve(
                "render",
                Self.ct,
                "--preset",
                "SOFT_TISSUE",
                "--presets",
                Self.presets,
                "--size",
                "128x128",
                "-o",
                output
            ).status == 0
        )
        let bytes = [UInt8](FileManager.default.contents(atPath: output) ?? Data())
        var width: UInt32 = 0
        var height: UInt32 = 0
        var channels: UInt32 = 0
        #expect(cimg_jpeg_info(bytes, bytes.count, &width, &height, &channels) == CIMG_OK)
        #expect((width, height, channels) == (128, 128, 1))
        // --format agreeing with the name (a contradiction is refused: FirstHourTests).
        let png = Self.temporary(".png")
        defer { try? FileManager.default.removeItem(atPath: png) }
        #expect(try Self.dicomserve("render", Self.ct, "--window", "-600,1500,SIGMOID", "--format", "png", "-o", png).status == 0)
        #expect(Self.pngSize(png) != nil)
    }

    @Test func apiKeysAreAppendedAtomicallyAndNamesStayUnique() throws {
        let file = Self.temporary(".keys")
        defer { try? FileManager.default.removeItem(atPath: file) }
        let first = try Self.dicomserve("api-key", "create", "--name", "viewer", "--scopes", "read", "--append", file)
        #expect(first.status == 0)
        let key = String(decoding: first.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(key.hasPrefix("dsk_"))
        #expect((try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int) == 0o600, "a new keys file is private")
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: file)
        #expect(try Self.dicomserve("api-key", "create", "--name", "robot", "--scopes", "write", "--append", file).status == 0)
        #expect((try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? Int) == 0o640, "the mode is kept")
        let lines = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n")
        #expect(lines.map { $0.split(separator: " ").prefix(2).joined(separator: " ") } == ["viewer read", "robot write"])
        let hashed = try DeploymentTests.run(Self.binary, ["api-key", "hash"], standardInput: key).output
        #expect(lines.first?.hasSuffix(hashed.trimmingCharacters(in: .whitespacesAndNewlines)) == true, "only the digest is stored")
        let again = try Self.dicomserve("api-key", "create", "--name", "viewer", "--append", file)
        #expect(again.status == 2)
        #expect(again.error.contains("already has a key named viewer"))
        #expect(try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").count == 2)
    }

    @Test func usageErrorsExitTwo() throws {
        let output = Self.temporary(".png")
        for arguments in [
            ["render", Self.ct, "--window", "40", "-o", output],
            ["render", Self.ct, "--window", "40,0", "-o", output],
            ["render", Self.ct, "--preset", "nosuch", "--presets", Self.presets, "-o", output],
            ["render", Self.ct, "--size", "0x10", "-o", output],
            ["render", Self.ct, "--preset", "lung", "--window", "1,2", "-o", output],
            ["render", Self.ct, "--format", "gif", "-o", output],
            ["render", Self.ct, "--png-compression", "zopfli", "-o", output],
            ["render", Self.ct], ["nosuchcommand"],
        ] {
            let result = try Self.dicomserve(arguments.first!, arguments.dropFirst().map { $0 }[...])
            #expect(result.status == 2, "\(arguments): \(result.error)")
            #expect(!result.error.isEmpty)
        }
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    @Test func unusableInputExitsThreeWithOneLine() throws {
        let junk = Self.temporary(".dcm")
        _ = FileManager.default.createFile(atPath: junk, contents: Data("not dicom at all".utf8))
        defer { try? FileManager.default.removeItem(atPath: junk) }
        for arguments in [
            ["render", junk, "-o", Self.temporary(".png")], ["info", junk], ["info", "/nonexistent.dcm"],
            ["render", Self.ct, "--frame", "2", "-o", Self.temporary(".png")],
        ] {
            let result = try Self.dicomserve(arguments.first!, arguments.dropFirst().map { $0 }[...])
            #expect(result.status == 3, "\(arguments)")
            #expect(result.error.hasPrefix("dicomserve: ") && result.error.filter { $0 == "\n" }.count == 1, "\(result.error)")
        }
    }

    @Test func infoPrintsTheDICOMJSONModel() throws {
        let result = try Self.dicomserve("info", Self.ct)
        #expect(result.status == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: result.output) as? [String: [String: Any]])
        #expect(json["00280010"]?["vr"] as? String == "US")
        #expect((json["00280010"]?["Value"] as? [Int]) == [512])
        #expect(json["7FE00010"]?["BulkDataURI"] as? String == "bulkdata:7FE00010")
        #expect(json["00080060"]?["Value"] as? [String] == ["CT"])
        #expect(json["00020010"] == nil, "meta information only with --meta")
        let meta = try Self.dicomserve("info", "--meta", "--compact", Self.ct)
        #expect(String(decoding: meta.output, as: UTF8.self).contains(#""00020010":{"vr":"UI","Value":["1.2.840.10008.1.2.1"]}"#))
    }

    @Test func infoSummaryIsOneLine() throws {
        let result = try Self.dicomserve("info", "--summary", Self.ct)
        let line = String(decoding: result.output, as: UTF8.self)
        #expect(result.status == 0)
        #expect(line.filter { $0 == "\n" }.count == 1)
        #expect(line.contains("CT, 512×512, MONOCHROME2 1×16-bit (stored 14, signed), 1 frame, Explicit VR Little Endian"))
    }

    static func dicomserve(_ first: String, _ rest: ArraySlice<String>) throws -> Result {
        let run = try TestChildren.runToEnd(binary, [first] + rest, directory: repositoryRoot.path)
        #expect(!run.timedOut, "dicomserve \(first) was still running after two minutes")
        return Result(status: run.status, output: Data(), error: String(decoding: run.error, as: UTF8.self))
    }
}

extension CommandLineTests {
    @Test func importReportsAndExitsThreeWhenSomethingWasRejected() throws {
        let dataDir = Self.temporary("-data")
        let inbox = Self.temporary("-inbox")
        try FileManager.default.createDirectory(atPath: inbox, withIntermediateDirectories: true)
        defer {
            try? FileManager.default.removeItem(atPath: dataDir)
            try? FileManager.default.removeItem(atPath: inbox)
        }
        try FileManager.default.copyItem(atPath: Self.ct, toPath: inbox + "/ct.dcm")
        _ = FileManager.default.createFile(atPath: inbox + "/junk.dcm", contents: Data("junk".utf8))
        let first = try Self.dicomserve("import", inbox, "--data-dir", dataDir)
        #expect(first.status == 3)
        let text = String(decoding: first.output, as: UTF8.self)
        #expect(text.contains("2 files") && text.contains("1 stored") && text.contains("1 rejected"))
        #expect(first.error.contains("rejected \(inbox)/junk.dcm: "), "each rejection on standard error: \(first.error)")
        #expect(FileManager.default.fileExists(atPath: dataDir + "/catalog.sqlite"))
        try FileManager.default.removeItem(atPath: inbox + "/junk.dcm")
        let second = try Self.dicomserve("import", inbox, "--data-dir", dataDir)
        #expect(second.status == 0)
        #expect(String(decoding: second.output, as: UTF8.self).contains("1 unchanged"))
    }
}
