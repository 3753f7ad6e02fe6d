import Foundation
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The real `dicomserve serve` process on a free loopback port: HTTP, then a graceful SIGTERM.
struct ServeEndToEndTests {
    static func freePort() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                guard bind(descriptor, socketAddress, length) == 0, getsockname(descriptor, socketAddress, &length) == 0 else {
                    throw CocoaError(.fileWriteUnknown)
                }
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    static func get(_ url: String) async throws -> (Int, Data) {
        let (data, response) = try await URLSession.shared.data(from: URL(string: url)!)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    @Test func servesOverHTTPAndDrainsOnSIGTERM() async throws {
        let dataDir = CommandLineTests.temporary("-serve")
        let log = CommandLineTests.temporary(".log")
        defer {
            try? FileManager.default.removeItem(atPath: dataDir)
            try? FileManager.default.removeItem(atPath: log)
        }
        let cr = CommandLineTests.repositoryRoot.appendingPathComponent(".testdata/dicom/pydicom-data/RG1_UNCR.dcm").path
        #expect(try CommandLineTests.dicomserve("import", CommandLineTests.ct, cr, "--data-dir", dataDir).status == 0)

        let port = try Self.freePort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLineTests.binary)
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "\(port)", "--data-dir", dataDir, "--presets", CommandLineTests.presets]
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let base = "http://127.0.0.1:\(port)"
        var ready = false
        for _ in 0..<100 where !ready {
            ready = (try? await Self.get(base + "/api/v1/health"))?.0 == 200
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        try #require(ready, "the server did not answer within 10 s")

        let (status, body) = try await Self.get(base + "/api/v1/dicom/studies?modality=CR")
        #expect(status == 200)
        let studies = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect(studies["total"] as? Int == 1)

        // A large render in flight when SIGTERM arrives still completes; then the process exits 0.
        let images = try await Self.get(base + "/api/v1/dicom/studies?modality=CR").1
        let study = try #require(
            ((try JSONSerialization.jsonObject(with: images) as? [String: Any])?["studies"] as? [[String: Any]])?.first?["study_uid"] as? String
        )
        let series = try await Self.get(base + "/api/v1/dicom/studies/\(study)/series").1
        let seriesUID = try #require(
            (((try JSONSerialization.jsonObject(with: series) as? [String: Any])?["series"] as? [[String: Any]])?.first)?["series_uid"] as? String
        )
        let list = try await Self.get(base + "/api/v1/dicom/series/\(seriesUID)/images").1
        let image = try #require(
            (((try JSONSerialization.jsonObject(with: list) as? [String: Any])?["images"] as? [[String: Any]])?.first)?["image_uid"] as? String
        )
        let inFlight = Task { try await Self.get(base + "/api/v1/dicom/images/\(image)?format=png") }
        // Wait until the server has logged the request, then ask it to stop.
        for _ in 0..<200 {
            if (try? String(contentsOfFile: log, encoding: .utf8))?.contains("/api/v1/dicom/images/\(image)?format=png") == true { break }
            try await Task.sleep(for: .milliseconds(5))
        }
        kill(process.processIdentifier, SIGTERM)
        let (renderStatus, renderBody) = try await inFlight.value
        #expect(renderStatus == 200)
        let rendered = try #require(try JSONSerialization.jsonObject(with: renderBody) as? [String: Any])
        #expect((rendered["image_data_url"] as? String)?.hasPrefix("data:image/png;base64,") == true)
        for _ in 0..<100 where process.isRunning { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!process.isRunning)
        #expect(process.terminationStatus == 0)
    }
}
