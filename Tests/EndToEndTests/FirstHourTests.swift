import Foundation
import TestSupport
import Testing

/// What a newcomer and an operator meet first: strict settings that name their source, errors in plain
/// words, the window always reported, health that follows Redis on its own (issue 20's findings).
@Suite(.timeLimit(.minutes(5)))
struct FirstHourTests {
    static let mr = ServeEndToEndTests.corpus.appendingPathComponent("pydicom/MR_small.dcm").path

    /// Runs `dicomserve serve` with a deadline: a regression that lets a bad setting through starts a
    /// real server, which is killed after 20 s instead of hanging the suite.
    static func serveRefusal(_ arguments: [String] = [], environment: [String: String] = [:]) throws -> (status: Int32, error: String) {
        // In a directory of its own: should a regression let it start, its default ./data lands there.
        let directory = CommandLineTests.temporary("-refusal")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try TestChildren.runToEnd(
            CommandLineTests.binary,
            ["serve", "--presets", CommandLineTests.presets] + arguments,
            // Only this test's DICOMSERVE_* variables: the parent's must not decide the outcome.
            environment: ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("DICOMSERVE_") }.merging(environment) { $1 },
            directory: directory,
            deadline: .seconds(20)
        )
        #expect(!run.timedOut, "serve was refused within 20 s, not started")
        return (run.status, String(decoding: run.error, as: UTF8.self))
    }

    static func configFile(_ json: String) throws -> String {
        let path = CommandLineTests.temporary(".json")
        try Data(json.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test(
        arguments: [
            // (environment, config file, the words the one line must hold)
            (["DICOMSERVE_PORT": "abc"], nil, ["environment variable DICOMSERVE_PORT=\"abc\"", "whole number from 0 to 65535"]),
            (["DICOMSERVE_MAX_UPLOAD_MB": "lots"], nil, ["DICOMSERVE_MAX_UPLOAD_MB=\"lots\"", "whole number"]),
            (["DICOMSERVE_RATE_LIMIT": "fast"], nil, ["DICOMSERVE_RATE_LIMIT=\"fast\"", "N/SECONDS"]),
            (["DICOMSERVE_PROT": "8080"], nil, ["DICOMSERVE_PROT is not a setting", "did you mean DICOMSERVE_PORT?"]),
            ([:], #"{"port": "abc"}"#, [#"key "port" = "abc""#, "whole number"]),
            ([:], #"{"port": 70000}"#, [#"key "port" = 70000"#, "from 0 to 65535"]),
            ([:], #"{"prot": 8080}"#, [#"unknown key "prot""#, #"did you mean "port"?"#]),
            ([:], #"{"corsOrigins": "https://a.example"}"#, [#"key "corsOrigins""#, "an array of strings"]),
            ([:], #"{"logLevel": "loud"}"#, [#"key "logLevel" = "loud""#, "trace, debug, info"]),
            (["DICOMSERVE_PNG_COMPRESSION": "tiny"], nil, ["DICOMSERVE_PNG_COMPRESSION=\"tiny\"", "fast, balanced or small"]),
            ([:], "[1, 2]", ["is not a JSON object"]),
        ] as [([String: String], String?, [String])]
    )
    func aBadSettingStopsStartUpNamingItsSource(environment: [String: String], config: String?, words: [String]) throws {
        let file = try config.map(Self.configFile)
        defer { file.map { try? FileManager.default.removeItem(atPath: $0) } }
        let result = try Self.serveRefusal(file.map { ["--config", $0] } ?? [], environment: environment)
        #expect(result.status == 2, "exit 2 for a usage error: \(result.error)")
        for word in words { #expect(result.error.contains(word), "\(result.error)") }
        if let file { #expect(result.error.contains("config file \(file)"), "the file is named: \(result.error)") }
        #expect(result.error.split(separator: "\n").count == 1, "one line: \(result.error)")
    }

    @Test func theSettingsGivenAreLoggedWithTheirSource() async throws {
        let dataDir = CommandLineTests.temporary("-sources")
        let config = try Self.configFile(#"{"thumbnailSize": 128, "corsOrigins": ["https://viewer.example"]}"#)
        defer {
            try? FileManager.default.removeItem(atPath: dataDir)
            try? FileManager.default.removeItem(atPath: config)
        }
        let server = try await ServerProcess(
            dataDir: dataDir,
            environment: [
                "DICOMSERVE_CONFIG": config, "DICOMSERVE_RENDERED_TTL": "600", "DICOMSERVE_CORS_ORIGINS": "https://a.example,https://b.example",
            ]
        )
        server.stop()
        let log = server.logText
        #expect(log.contains(#"thumbnailSize=128 (config file \#(config), key "thumbnailSize")"#), "\(log)")
        #expect(log.contains(#"renderedTtl="600" (environment variable DICOMSERVE_RENDERED_TTL)"#), "\(log)")
        // The variable beats the file, and a list in a variable is comma-separated.
        #expect(log.contains(#"corsOrigins="https://a.example,https://b.example" (environment variable DICOMSERVE_CORS_ORIGINS)"#), "\(log)")
        #expect(log.contains(#"cors=list(["https://a.example", "https://b.example"])"#), "\(log)")
        #expect(log.contains("port=\(server.port) (--port)"), "\(log)")
    }

    @Test func aWrongWorkingDirectoryIsSaidNotSilent() async throws {
        let directory = CommandLineTests.temporary("-cwd")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = try await ServerProcess(dataDir: nil, directory: directory)
        server.stop()
        #expect(server.logText.contains("created an empty data directory"), "\(server.logText)")
        #expect(FileManager.default.fileExists(atPath: directory + "/data/catalog.sqlite"))
    }

    @Test func aDataDirectoryThatCannotBeUsedIsAnEnvironmentFailure() throws {
        let file = CommandLineTests.temporary(".file")
        _ = FileManager.default.createFile(atPath: file, contents: Data())
        defer { try? FileManager.default.removeItem(atPath: file) }
        let result = try Self.serveRefusal(["--data-dir", file + "/data"])
        #expect(result.status == 4, "\(result.error)")
        #expect(result.error.contains("cannot use the data directory \(file)/data: \(file) is a file, not a directory"), "\(result.error)")
        #expect(!result.error.contains("NSCocoaErrorDomain") && !result.error.contains("Error Domain"))
    }

    /// The window comes from the file here (MR_small: Window Center 600, Width 1600, as dcmdump shows),
    /// and both APIs say so, as they do for a preset.
    @Test func theWindowUsedIsAlwaysReported() async throws {
        let dataDir = CommandLineTests.temporary("-window")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        #expect(try CommandLineTests.dicomserve("import", Self.mr, "--data-dir", dataDir).status == 0)
        let server = try await ServerProcess(dataDir: dataDir)
        let image = try #require(CommandLineTests.uid(of: Self.mr))

        let rendered = try await server.get("/api/v1/dicom/images/\(image)/rendered")
        #expect(rendered.status == 200)
        #expect(rendered.header("X-Window-Center") == "600" && rendered.header("X-Window-Width") == "1600", "\(rendered.headers)")
        for query in ["", "?preset=default"] {
            let json = try #require(try await server.get("/api/v1/dicom/images/\(image)\(query)").json as? [String: Any])
            #expect(json["level"] as? Double == 600 && json["window"] as? Double == 1600, "\(query): \(json.filter { $0.key != "image_data_url" })")
        }
        let lung = try #require(try await server.get("/api/v1/dicom/images/\(image)/thumbnail?preset=lung").json as? [String: Any])
        #expect(lung["level"] as? Double == -600 && lung["window"] as? Double == 1500)
        // A cached answer reports it too.
        let again = try await server.get("/api/v1/dicom/images/\(image)/rendered")
        #expect(again.header("X-Cache") == "l1" && again.header("X-Window-Center") == "600")
        server.stop()
    }

    @Test func requestMistakesAreNamedForWhatTheyAre() async throws {
        let dataDir = CommandLineTests.temporary("-mistakes")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        #expect(try CommandLineTests.dicomserve("import", Self.mr, "--data-dir", dataDir).status == 0)
        let server = try await ServerProcess(dataDir: dataDir)
        let image = try #require(CommandLineTests.uid(of: Self.mr))
        let cases = [
            ("/api/v1/dicom/images/\(image)?window=abc&level=40", "window must be a number, not \"abc\""),
            ("/api/v1/dicom/images/\(image)?window=abc", "window must be a number, not \"abc\""),
            ("/api/v1/dicom/images/\(image)?window=400", "window needs a level as well"),
            ("/api/v1/dicom/images/\(image)?level=40", "level needs a window as well"),
            ("/api/v1/dicom/studies?date_from=yesterday", "date_from must be a date, YYYY-MM-DD or YYYYMMDD, not \"yesterday\""),
            ("/api/v1/dicom/studies?date_to=2024-13-01", "date_to must be a date"),
        ]
        for (path, message) in cases {
            let response = try await server.get(path)
            let json = response.json as? [String: Any]
            let error = json?["error"] as? String ?? ""
            #expect(response.status == 400 && error.hasPrefix(message), "\(path): \(String(decoding: response.body, as: UTF8.self))")
        }
        #expect(try await server.get("/api/v1/dicom/studies?date_from=2004-01-01&date_to=20041231").status == 200)
        server.stop()
    }

    @Test func renderNamesAMistypedFlagAndRefusesAMislabelledFile() throws {
        let out = try CommandLineTests.dicomserve("render", Self.mr, "--out", "x.png")
        #expect(out.status == 2 && out.error.contains("Unknown option '--out'"), "\(out.error)")
        #expect(!out.error.contains("Missing expected argument"))
        let gif = CommandLineTests.temporary(".gif")
        let mislabelled = try CommandLineTests.dicomserve("render", Self.mr, "-o", gif)
        #expect(mislabelled.status == 2 && mislabelled.error.contains("name the file .png, .jpg or .jpeg"), "\(mislabelled.error)")
        #expect(!FileManager.default.fileExists(atPath: gif))
        let jpeg = CommandLineTests.temporary(".jpg")
        let contradicted = try CommandLineTests.dicomserve("render", Self.mr, "-o", jpeg, "--format", "png")
        #expect(contradicted.status == 2 && contradicted.error.contains("--format is png"), "\(contradicted.error)")
        let missing = try CommandLineTests.dicomserve("render", Self.mr)
        #expect(missing.status == 2 && missing.error.contains("give the output file"), "\(missing.error)")
    }

    @Test func importReportsRejectionsOnStandardErrorInWords() throws {
        let dataDir = CommandLineTests.temporary("-truncated")
        let truncated = CommandLineTests.temporary(".dcm")
        defer {
            try? FileManager.default.removeItem(atPath: dataDir)
            try? FileManager.default.removeItem(atPath: truncated)
        }
        // Cut inside an element value after the header: DCMTK's own words would be "I/O suspension …".
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.mr))
        try bytes.prefix(3000).write(to: URL(fileURLWithPath: truncated))
        let result = try CommandLineTests.dicomserve("import", truncated, "--data-dir", dataDir)
        #expect(result.status == 3)
        #expect(String(decoding: result.output, as: UTF8.self).contains("1 rejected"))
        #expect(!String(decoding: result.output, as: UTF8.self).contains("rejected \(truncated)"), "rejections are not on standard output")
        #expect(result.error.contains("dicomserve: rejected \(truncated): the file is truncated"), "\(result.error)")
        #expect(!result.error.contains("I/O suspension"))
    }

    /// Health follows Redis with no other traffic: the client probes it every second.
    @Test func healthFollowsRedisOnItsOwn() async throws {
        let redis = try RedisServer()
        let dataDir = CommandLineTests.temporary("-probe")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let server = try await ServerProcess(dataDir: dataDir, arguments: ["--redis-url", redis.url])
        func health() async throws -> String? {
            (try await server.get("/api/v1/health").json as? [String: Any])?["status"] as? String
        }
        /// Polls health (which never touches Redis itself) until it says `status`, for at most 10 s.
        func waitFor(_ status: String) async throws -> Bool {
            for _ in 0..<100 {
                if try await health() == status { return true }
                try await Task.sleep(for: .milliseconds(100))
            }
            return false
        }
        #expect(try await waitFor("ok"))
        redis.kill()
        #expect(try await waitFor("degraded"), "degraded once Redis is gone, without a request using it")
        try redis.restart()
        #expect(try await waitFor("ok"), "ok again once Redis is back, without a request using it")
        server.stop()
    }

    /// A normal SIGTERM writes the audit rows once and says nothing is wrong.
    @Test func shutdownWritesTheAuditOnceWithoutAnError() async throws {
        let dataDir = CommandLineTests.temporary("-drain")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        var server = try await ServerProcess(dataDir: dataDir)
        for _ in 0..<5 { #expect(try await server.get("/api/v1/dicom/studies").status == 200) }
        server.stop()
        #expect(server.process.terminationStatus == 0)
        #expect(!server.logText.contains(" error "), "\(server.logText)")
        server = try await ServerProcess(dataDir: dataDir)
        let page = try #require(try await server.get("/api/v1/audit?limit=1000").json as? [String: Any])
        let rows = try #require(page["entries"] as? [[String: Any]])
        #expect(rows.filter { $0["route"] as? String == "/api/v1/dicom/studies" }.count == 5, "each access written once")
        server.stop()
    }
}
