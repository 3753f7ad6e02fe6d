import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Hostile and malformed requests against the real server, sent as raw bytes over a socket (no client
/// library normalising paths): every answer is a 4xx with the JSON error body (or a closed connection
/// for what HTTP itself refuses), nothing leaks a file path, and the server stays healthy.
@Suite(.timeLimit(.minutes(10)))
struct BadInputOverHTTPTests {
    struct RawResponse {
        var status: Int
        var contentType: String?
        var body: String
    }

    /// Sends `request` as is and reads until the server closes (requests say `Connection: close`).
    /// nil when the server closed without an answer.
    static func raw(_ request: [UInt8], port: Int) throws -> RawResponse? {
        guard let descriptor = LoopbackSocket.connect(port: port) else { throw ServerProcess.ServerFailure(message: "cannot connect") }
        defer { close(descriptor) }
        var offset = 0
        while offset < request.count {
            let sent = request[offset...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { break }  // the server may refuse before reading everything
            offset += sent
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer[..<count]
        }
        let text = String(decoding: received, as: UTF8.self)
        guard text.hasPrefix("HTTP/1.1 "), let status = Int(text.dropFirst(9).prefix(3)) else { return nil }
        let parts = text.components(separatedBy: "\r\n\r\n")
        let headers = parts[0].split(separator: "\r\n")
        let contentType = headers.first { $0.lowercased().hasPrefix("content-type:") }.map { $0.dropFirst(13).trimmingCharacters(in: .whitespaces) }
        return RawResponse(status: status, contentType: contentType, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
    }

    static func get(_ target: String, headers: String = "", port: Int) throws -> RawResponse? {
        try raw(Array("GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(headers)Connection: close\r\n\r\n".utf8), port: port)
    }

    static func post(_ target: String, contentType: String?, body: [UInt8], port: Int) throws -> RawResponse? {
        let type = contentType.map { "Content-Type: \($0)\r\n" } ?? ""
        let head = "POST \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(type)Content-Length: \(body.count)\r\nConnection: close\r\n\r\n"
        return try raw(Array(head.utf8) + body, port: port)
    }

    /// A 4xx with the JSON error body that names no file.
    static func expectClientError(
        _ response: RawResponse?,
        _ what: String,
        dataDir: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let response else {
            Issue.record("\(what): no answer", sourceLocation: sourceLocation)
            return
        }
        #expect((400..<500).contains(response.status), "\(what): \(response.status) \(response.body)", sourceLocation: sourceLocation)
        #expect(response.contentType == "application/json", "\(what)", sourceLocation: sourceLocation)
        let body = (try? JSONSerialization.jsonObject(with: Data(response.body.utf8))) as? [String: Any]
        #expect(body?["error"] is String, "\(what): \(response.body)", sourceLocation: sourceLocation)
        #expect(!response.body.contains(dataDir) && !response.body.contains(".dcm"), "\(what) leaks a path", sourceLocation: sourceLocation)
    }

    @Test func hostileRequestsGetJSON4xxAndTheServerStaysHealthy() async throws {
        let dataDir = CommandLineTests.temporary("-data")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        #expect(try CommandLineTests.dicomserve("import", CommandLineTests.ct, "--data-dir", dataDir).status == 0)
        let server = try await ServerProcess(dataDir: dataDir, arguments: ["--rate-limit", "off", "--max-upload-mb", "1"])
        let port = server.port
        let studies = try #require(try await server.get("/api/v1/dicom/studies").json as? [String: Any])
        let study = try #require(((studies["studies"] as? [[String: Any]])?.first)?["study_uid"] as? String)
        let seriesList = try await server.get("/api/v1/dicom/studies/\(study)/series").json as? [String: Any]
        let series = try #require(((seriesList?["series"] as? [[String: Any]])?.first)?["series_uid"] as? String)
        let images = try await server.get("/api/v1/dicom/series/\(series)/images").json as? [String: Any]
        let image = try #require(((images?["images"] as? [[String: Any]])?.first)?["image_uid"] as? String)
        let instance = "/dicomweb/studies/\(study)/series/\(series)/instances/\(image)"

        let malformedUIDs = [
            "abc", "1..2", ".1.2", "1.2.", "1.02", String(repeating: "1.", count: 40) + "1", "1.2%00", "%2e%2e", "..%2F..%2Fcatalog.sqlite",
            "..", "1.2;DROP%20TABLE%20instance", "%C3%A9", "1.2%2F..%2F..",
        ]
        for uid in malformedUIDs {
            Self.expectClientError(try Self.get("/dicomweb/studies/\(uid)/metadata", port: port), "study UID \(uid)", dataDir: dataDir)
            Self.expectClientError(try Self.get("/api/v1/dicom/images/\(uid)/rendered", port: port), "image UID \(uid)", dataDir: dataDir)
        }
        let traversals = [
            "/dicomweb/studies/../../../../etc/passwd", "/api/v1/dicom/images/../../catalog.sqlite", "/dicomweb/studies/%2e%2e/%2e%2e/objects",
            "/objects/\(study)", "/../data/catalog.sqlite", "/dicomweb/studies/\(study)/series/..%2F..%2F..%2Fetc/metadata",
        ]
        for path in traversals { Self.expectClientError(try Self.get(path, port: port), "traversal \(path)", dataDir: dataDir) }

        let badParameters = [
            "\(instance)/rendered?viewport=100000,100000", "\(instance)/rendered?viewport=-5,10", "\(instance)/rendered?viewport=a,b",
            "\(instance)/rendered?window=abc", "\(instance)/rendered?window=40,0", "\(instance)/rendered?quality=0",
            "\(instance)/rendered?quality=1000", "\(instance)/frames/-1", "\(instance)/frames/0", "\(instance)/frames/1,abc",
            "\(instance)/frames/99999999999999999999", "\(instance)/frames/" + (1...1001).map { _ in "1" }.joined(separator: ","),
            "\(instance)/frames/2/rendered", "\(instance)/bulkdata/zzzz", "\(instance)/bulkdata/7FE00010FFFF",
            "/api/v1/dicom/images/\(image)?size=99999", "/api/v1/dicom/images/\(image)?size=0x0", "/api/v1/dicom/images/\(image)?preset=nope",
            "/api/v1/dicom/images/\(image)?format=gif", "/api/v1/dicom/studies?limit=-1", "/api/v1/dicom/studies?offset=x",
            "/api/v1/dicom/studies?date_from=yesterday", "/dicomweb/studies?limit=abc", "/dicomweb/studies?StudyDate=2020-13-45",
            "/dicomweb/studies?includefield=NotAKeyword", "/api/v1/dicom/ingestions?limit=100000",
        ]
        for target in badParameters { Self.expectClientError(try Self.get(target, port: port), target, dataDir: dataDir) }
        Self.expectClientError(
            try Self.get("\(instance)/rendered", headers: "Accept: application/x-nothing-we-make\r\n", port: port),
            "unacceptable Accept",
            dataDir: dataDir
        )

        let garbage = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 2_654_435_761 >> 7) }
        let uploads: [(String?, [UInt8], String)] = [
            ("multipart/related; type=\"application/dicom\"", garbage, "multipart without boundary"),
            ("multipart/related; type=\"application/dicom\"; boundary=xyz", garbage, "multipart without delimiters"),
            (
                "multipart/related; type=\"application/dicom\"; boundary=xyz", Array("--xyz\r\nContent-Type: application/dicom\r\n\r\nDICM".utf8),
                "truncated part"
            ),
            (
                "multipart/related; boundary=xyz",
                Array("--xyz\r\nContent-Type: application/dicom\r\n\r\n".utf8) + garbage + Array("\r\n--xyz--\r\n".utf8), "non-DICOM part"
            ),
            ("text/plain", Array("hello".utf8), "text/plain"),
            ("application/json", Array("{\"a\":1}".utf8), "JSON"),
            (nil, garbage, "no content type"),
            ("application/dicom", garbage, "garbage as application/dicom"),
            ("application/dicom", [UInt8](repeating: 0, count: 2 << 20), "over the 1 MiB upload limit"),
        ]
        for (type, body, what) in uploads {
            let stow = try Self.post("/dicomweb/studies", contentType: type, body: body, port: port)
            if stow?.contentType == "application/dicom+json" {
                // PS3.18's answer to a request whose parts all failed: 409 and the Failed SOP Sequence.
                #expect(stow?.status == 409, "STOW \(what)")
                #expect(stow?.body.contains("\"00081198\"") == true, "STOW \(what)")
            } else {
                Self.expectClientError(stow, "STOW \(what)", dataDir: dataDir)
            }
            Self.expectClientError(
                try Self.post("/api/v1/dicom/instances", contentType: type, body: body, port: port),
                "upload \(what)",
                dataDir: dataDir
            )
        }

        // A seeded, bounded random walk over route shapes and parameter values.
        var generator = SplitMix64(seed: 0xD1C0)
        let segments = [study, series, image, "1.2.3", "x", "%00", "..", "frames", "rendered", "metadata", "series", "instances", "-1", "0", "%FF"]
        let values = ["", "-1", "0", "1e9", "NaN", "%00", "1,2,3", "a,b", "99999999999999999999", "%C0%AF"]
        for _ in 0..<300 {
            let depth = Int(generator.next() % 6) + 1
            let path = (0..<depth).map { _ in segments[Int(generator.next() % UInt64(segments.count))] }.joined(separator: "/")
            let name = ["window", "viewport", "quality", "frame", "size", "preset", "limit", "offset"][Int(generator.next() % 8)]
            let value = values[Int(generator.next() % UInt64(values.count))]
            let prefix = ["/dicomweb/studies/", "/api/v1/dicom/images/", "/api/v1/dicom/studies/"][Int(generator.next() % 3)]
            guard let response = try Self.get("\(prefix)\(path)?\(name)=\(value)", port: port) else { continue }
            #expect(response.status < 500, "\(prefix)\(path)?\(name)=\(value): \(response.status) \(response.body)")
            if response.status >= 400 { Self.expectClientError(response, "\(prefix)\(path)", dataDir: dataDir) }
        }

        // Headers and request lines past the limits are refused by HTTP itself (no answer or a 4xx), and the
        // server carries on.
        let hugeHeader = try Self.get("/api/v1/health", headers: "X-Padding: \(String(repeating: "a", count: 200_000))\r\n", port: port)
        #expect(hugeHeader.map { (400..<500).contains($0.status) } ?? true)
        let hugeLine = try Self.get("\(instance)/frames/" + (1...50_000).map(String.init).joined(separator: ","), port: port)
        #expect(hugeLine.map { (400..<500).contains($0.status) } ?? true)

        #expect(try await server.get("/api/v1/health").status == 200)
        #expect(try await server.get("/api/v1/dicom/images/\(image)/rendered?preset=lung").status == 200)
        #expect(server.process.isRunning)
    }
    @Test func stalledClientsAreDisconnected() async throws {
        let dataDir = CommandLineTests.temporary("-data")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let server = try await ServerProcess(dataDir: dataDir, arguments: ["--idle-timeout", "1"])
        let descriptor = try #require(LoopbackSocket.connect(port: server.port))
        defer { close(descriptor) }
        // Half a request, then nothing (slowloris): the server closes the connection.
        let partial = Array("GET /api/v1/health HTTP/1.1\r\nHost: 127.".utf8)
        _ = partial.withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        let start = ContinuousClock.now
        var buffer = [UInt8](repeating: 0, count: 1024)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        #expect(count <= 0, "the connection is closed without an answer")
        #expect(ContinuousClock.now - start < .seconds(8), "closed by the idle timeout, not by the test's receive timeout")
        #expect(try await server.get("/api/v1/health").status == 200)
    }
}
