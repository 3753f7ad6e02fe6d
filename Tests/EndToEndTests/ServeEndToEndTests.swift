import CImageCodecs
import Foundation
import TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real `dicomserve serve` process on a free loopback port, driven over HTTP.
@Suite(.serialized, .timeLimit(.minutes(10))) struct ServeEndToEndTests {
    static let corpus = CommandLineTests.repositoryRoot.appendingPathComponent(".testdata/dicom")

    static func file(_ name: String) throws -> Data {
        try #require(FileManager.default.contents(atPath: corpus.appendingPathComponent(name).path))
    }

    static func object(_ response: ServerProcess.Response) throws -> [String: Any] {
        try #require(response.json as? [String: Any], "\(String(decoding: response.body, as: UTF8.self).prefix(300))")
    }

    /// The JSON error body.
    static func expectError(_ response: ServerProcess.Response, _ status: Int, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(response.status == status, sourceLocation: sourceLocation)
        let body = response.json as? [String: Any]
        #expect(body?["error"] is String && body?["details"] is [String: Any] && body?["path"] is String, sourceLocation: sourceLocation)
    }

    @Test func storeSearchRetrieveAndRender() async throws {
        let dataDir = CommandLineTests.temporary("-e2e")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let server = try await ServerProcess(dataDir: dataDir, arguments: ["--max-upload-mb", "8"])

        // STOW-RS: two real files and a truncated one in one request → 202 with the failure listed.
        let stored = try await server.stow([
            try Self.file("pydicom-data/693_UNCR.dcm"), try Self.file("pydicom/MR_truncated.dcm"), try Self.file("pydicom-data/emri_small.dcm"),
        ])
        #expect(stored.status == 202)
        let storeResult = try #require(stored.json as? [String: [String: Any]])
        #expect((storeResult["00081199"]?["Value"] as? [Any])?.count == 2)
        #expect((storeResult["00081198"]?["Value"] as? [Any])?.count == 1)

        // QIDO-RS.
        let studies = try #require(try await server.get("/dicomweb/studies?ModalitiesInStudy=CT").json as? [[String: [String: Any]]])
        #expect(studies.count == 1)
        let study = try #require((studies.first?["0020000D"]?["Value"] as? [String])?.first)
        let instances = try #require(try await server.get("/dicomweb/studies/\(study)/instances").json as? [[String: [String: Any]]])
        let series = try #require((instances.first?["0020000E"]?["Value"] as? [String])?.first)
        let sop = try #require((instances.first?["00080018"]?["Value"] as? [String])?.first)
        let instancePath = "/dicomweb/studies/\(study)/series/\(series)/instances/\(sop)"

        // Metadata and frames.
        let metadata = try #require(try await server.get("/dicomweb/studies/\(study)/series/\(series)/metadata").json as? [[String: [String: Any]]])
        #expect((metadata.first?["00280010"]?["Value"] as? [Int])?.first == 512)
        let frames = try await server.get(instancePath + "/frames/1", accept: "multipart/related; type=application/octet-stream; transfer-syntax=*")
        #expect(frames.status == 200)
        #expect(frames.body.count > 512 * 512 * 2, "one uncompressed 512² 16-bit frame plus multipart framing")

        // WADO-RS rendered PNG is byte-for-byte what the CLI renders from the same file.
        let png = CommandLineTests.temporary(".png")
        defer { try? FileManager.default.removeItem(atPath: png) }
        let cli = try CommandLineTests.dicomserve(
            "render",
            Self.corpus.appendingPathComponent("pydicom-data/693_UNCR.dcm").path,
            "--window",
            "-600,1500",
            "-o",
            png
        )
        #expect(cli.status == 0, "\(cli.error)")
        let rendered = try await server.get(instancePath + "/rendered?window=-600,1500", accept: "image/png")
        #expect(rendered.status == 200 && rendered.header("Content-Type") == "image/png")
        #expect(rendered.body == FileManager.default.contents(atPath: png))

        // The JSON API shapes.
        let seriesList = try Self.object(try await server.get("/api/v1/dicom/studies/\(study)/series"))
        #expect((seriesList["series"] as? [[String: Any]])?.first?["series_uid"] as? String == series)
        let images = try Self.object(try await server.get("/api/v1/dicom/series/\(series)/images"))
        #expect((images["images"] as? [[String: Any]])?.first?["image_uid"] as? String == sop)
        let image = try Self.object(try await server.get("/api/v1/dicom/images/\(sop)?preset=lung"))
        let dataURL = try #require(image["image_data_url"] as? String)
        #expect(dataURL.hasPrefix("data:image/png;base64,"))
        let pngBytes = try #require(Data(base64Encoded: String(dataURL.dropFirst("data:image/png;base64,".count))).map { [UInt8]($0) })
        var width: UInt32 = 0
        var height: UInt32 = 0
        var channels: UInt32 = 0
        #expect(cimg_png_info(pngBytes, pngBytes.count, &width, &height, &channels) == CIMG_OK && width == 512 && height == 512)
        #expect(image["window"] as? Double == 1500 && image["level"] as? Double == -600)
        #expect(image["cached"] as? Bool == true, "the lung preset is the window WADO-RS rendered above: one cache entry")

        // Errors, each with the JSON body; the server stays healthy.
        Self.expectError(try await server.get("/api/v1/dicom/images/1.2.3.4"), 404)
        Self.expectError(try await server.get("/api/v1/dicom/images/../../etc/passwd"), 404)
        Self.expectError(try await server.get("/api/v1/dicom/images/\(sop)?preset=nope"), 400)
        Self.expectError(try await server.get(instancePath + "/rendered", accept: "application/pdf"), 406)
        let tooLarge = try await server.stow([Data(count: 9 << 20)])
        Self.expectError(tooLarge, 413)
        Self.expectError(try await server.post("/dicomweb/studies", contentType: "application/json", body: Data("{}".utf8)), 415)
        let notDicom = try await server.post("/api/v1/dicom/instances", contentType: "application/dicom", body: Data("not a DICOM file".utf8))
        Self.expectError(notDicom, 422)
        #expect(try await server.get("/api/v1/health").status == 200)
        server.stop()
        #expect(server.process.terminationStatus == 0)
    }

    /// An upload whose body is held back is in flight for as long as the test wants: SIGTERM arrives
    /// while the server waits for the rest, the rest is sent, the instance is stored and acknowledged,
    /// and only then does the process exit 0.
    @Test func drainsAnInFlightRequestOnSIGTERM() async throws {
        let dataDir = CommandLineTests.temporary("-serve")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let server = try await ServerProcess(dataDir: dataDir)
        let body = try [UInt8](Data(contentsOf: Self.corpus.appendingPathComponent("pydicom/CT_small.dcm")))
        let socket = try #require(LoopbackSocket.connect(port: server.port, receiveTimeoutSeconds: 30))
        defer { close(socket) }
        func send(_ bytes: [UInt8]) { _ = bytes.withUnsafeBytes { write(socket, $0.baseAddress, $0.count) } }
        send(
            Array(
                "POST /api/v1/dicom/instances HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/dicom\r\nContent-Length: \(body.count)\r\nConnection: close\r\n\r\n"
                    .utf8
            )
        )
        send(Array(body.prefix(body.count / 2)))
        // In flight: the upload (waiting for its body) and the metrics request itself.
        var sawInFlight = false
        let deadline = ContinuousClock.now + .seconds(30)
        while !sawInFlight, ContinuousClock.now < deadline {
            let metrics = try? Self.object(try await server.get("/api/v1/metrics"))
            sawInFlight = (metrics?["active_requests"] as? Int ?? 0) >= 2
            if !sawInFlight { try await Task.sleep(for: .milliseconds(20)) }
        }
        try #require(sawInFlight, "the held upload is counted in flight")
        kill(server.process.processIdentifier, SIGTERM)
        try await Task.sleep(for: .milliseconds(300))  // the drain has begun; the upload must still be taken
        #expect(server.process.isRunning, "the process waits for the request in flight")
        send(Array(body.suffix(from: body.count / 2)))
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(socket, &buffer, buffer.count)
            guard count > 0 else { break }
            answer += buffer.prefix(count)
        }
        let text = String(decoding: answer, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200"), "\(text.prefix(300))")
        #expect(text.contains("\"stored\""), "the instance was stored: \(text.suffix(300))")
        for _ in 0..<300 where server.process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!server.process.isRunning)
        #expect(server.process.terminationStatus == 0)
    }
}

/// `dicomserve serve` settings: flags > DICOMSERVE_* environment > JSON config file > defaults.
@Suite(.serialized, .timeLimit(.minutes(10))) struct ServeConfigurationTests {
    @Test func flagsBeatEnvironmentBeatsConfigFile() async throws {
        let dataDir = CommandLineTests.temporary("-config")
        let config = CommandLineTests.temporary(".json")
        defer {
            try? FileManager.default.removeItem(atPath: dataDir)
            try? FileManager.default.removeItem(atPath: config)
        }
        let cr = ServeEndToEndTests.corpus.appendingPathComponent("pydicom-data/RG1_UNCR.dcm").path
        #expect(try CommandLineTests.dicomserve("import", cr, "--data-dir", dataDir).status == 0)
        let (filePort, environmentPort) = (try FreePort.loopback(), try FreePort.loopback())
        try Data(#"{"port": \#(filePort), "thumbnailSize": 64, "maxFramesPerRequest": 7}"#.utf8).write(to: URL(fileURLWithPath: config))

        // The file alone: its port and thumbnail size.
        let fromFile = try await ServerProcess(dataDir: dataDir, arguments: ["--config", config], port: filePort)
        let image = try #require(
            ((try ServeEndToEndTests.object(try await fromFile.get("/api/v1/dicom/studies")))["studies"] as? [[String: Any]])?.first?["study_uid"]
                as? String
        )
        let thumbnail = try await fromFile.get("/dicomweb/studies/\(image)/thumbnail", accept: "image/png")
        let bytes = [UInt8](thumbnail.body)
        var (width, height, channels): (UInt32, UInt32, UInt32) = (0, 0, 0)
        #expect(cimg_png_info(bytes, bytes.count, &width, &height, &channels) == CIMG_OK && max(width, height) == 64)
        // …and its frame limit (7) on the 10-frame MR: 7 frames pass, 8 do not, nor do all 10 as bulk data.
        let cine = ServeEndToEndTests.corpus.appendingPathComponent("pydicom-data/emri_small.dcm").path
        #expect(try CommandLineTests.dicomserve("import", cine, "--data-dir", dataDir).status == 0)
        let cineUID = try #require(CommandLineTests.uid(of: cine))
        let found = try #require(try await fromFile.get("/dicomweb/instances?SOPInstanceUID=\(cineUID)").json as? [[String: Any]])
        func attribute(_ tag: String) -> String { ((found.first?[tag] as? [String: Any])?["Value"] as? [String])?.first ?? "" }
        let instance = "/dicomweb/studies/\(attribute("0020000D"))/series/\(attribute("0020000E"))/instances/\(cineUID)"
        #expect(try await fromFile.get(instance + "/frames/1,2,3,4,5,6,7").status == 200)
        let eight = try await fromFile.get(instance + "/frames/1,2,3,4,5,6,7,8")
        #expect(
            eight.status == 400 && String(decoding: eight.body, as: UTF8.self).contains("at most 7"),
            "\(String(decoding: eight.body, as: UTF8.self))"
        )
        #expect(try await fromFile.get(instance + "/bulkdata/7FE00010").status == 400)
        fromFile.stop()

        // The environment beats the file (DICOMSERVE_CONFIG names the file too).
        let fromEnvironment = try await ServerProcess(
            dataDir: dataDir,
            environment: ["DICOMSERVE_CONFIG": config, "DICOMSERVE_PORT": "\(environmentPort)"],
            port: environmentPort
        )
        #expect(try await fromEnvironment.get("/api/v1/health").status == 200)
        fromEnvironment.stop()

        // A flag beats both.
        let fromFlag = try await ServerProcess(dataDir: dataDir, environment: ["DICOMSERVE_CONFIG": config, "DICOMSERVE_PORT": "\(environmentPort)"])
        #expect(try await fromFlag.get("/api/v1/health").status == 200)
        fromFlag.stop()
    }

    @Test func badSettingsAreUsageErrors() throws {
        let config = CommandLineTests.temporary(".json")
        defer { try? FileManager.default.removeItem(atPath: config) }
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: config))
        let badFile = try CommandLineTests.dicomserve("serve", "--config", config)
        #expect(badFile.status == 2 && badFile.error.contains("config file"), "\(badFile.error)")
        let badPort = try CommandLineTests.dicomserve("serve", "--port", "70000")
        #expect(badPort.status == 2 && badPort.error.contains("port"), "\(badPort.error)")
    }
}
