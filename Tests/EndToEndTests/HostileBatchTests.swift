import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The hardening issue's findings, one of each class, against one real server process: every upload is
/// rejected with a reason (or stored and then refused at render), every request answered 4xx with the
/// JSON body, the process is never restarted, and a query made while the worst upload is being parsed
/// answers within a second.
@Suite(.serialized, .timeLimit(.minutes(10))) struct HostileBatchTests {
    typealias H = HostileFiles

    /// 500,000 tiny private elements (the element limit is 250,000).
    static func manyElements() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(500_000 * 10)
        for index in 0..<500_000 {
            let group = UInt16(0x0009 + 2 * (index / 60_000))
            bytes += H.element(group, UInt16(0x1000 + index % 60_000), "LO", Array("ab".utf8))
        }
        return H.file(H.identity(uid: "1.2.3.24") + bytes)
    }

    /// A deflated data set that inflates to 520 MiB (the default bound is 512 MiB), 0.5 MiB on the wire.
    static func deflateBomb() throws -> [UInt8] {
        let output = NSTemporaryDirectory() + "/bomb-\(UUID().uuidString)"
        defer { unlink(output) }
        let header = H.identity(uid: "1.2.3.26") + H.le16(0x0009) + H.le16(0x1010) + Array("OB".utf8) + [0, 0] + H.le32(520 << 20)
        let script = """
            import sys, zlib
            c = zlib.compressobj(1, zlib.DEFLATED, -15)
            out = open(sys.argv[1], 'wb')
            out.write(c.compress(bytes.fromhex(sys.argv[2])))
            block = bytes(1 << 20)
            for _ in range(520):
                out.write(c.compress(block))
            out.write(c.flush())
            """
        let run = try DeploymentTests.run("/usr/bin/python3", ["-c", script, output, header.map { String(format: "%02x", $0) }.joined()])
        try #require(run.status == 0, "\(run.error)")
        return H.file([], transferSyntax: H.deflated) + [UInt8](try Data(contentsOf: URL(fileURLWithPath: output)))
    }

    static func upload(_ base: String, _ bytes: [UInt8]) async throws -> ServerProcess.Response {
        try await ServerProcess.request(
            base + "/api/v1/dicom/instances",
            method: "POST",
            headers: ["Content-Type": "application/dicom"],
            body: Data(bytes)
        )
    }

    static func reason(_ response: ServerProcess.Response) -> String? {
        ((response.json as? [String: Any])?["details"] as? [String: String])?["reason"]
    }

    @Test func aBatchOfHostileUploadsAndRequestsLeavesTheServerServing() async throws {
        let dataDir = CommandLineTests.temporary("-hostile")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        #expect(try CommandLineTests.dicomserve("import", CommandLineTests.ct, "--data-dir", dataDir).status == 0)
        let server = try await ServerProcess(dataDir: dataDir, arguments: ["--rate-limit", "off", "--parse-cpu-seconds", "2"])
        defer { server.stop() }
        let pid = server.process.processIdentifier
        let base = server.base

        // The worst first: a file that keeps a parse worker busy until its CPU allowance runs out.
        let slow = HostileFiles.rleMultiFrame(uid: "1.2.3.20", rows: 1024, columns: 1024, frames: 2_500)
        let worst = Task { try await Self.upload(base, slow) }
        try await Task.sleep(for: .milliseconds(300))
        let clock = ContinuousClock()
        let asked = clock.now
        #expect(try await server.get("/dicomweb/studies?PatientID=*").status == 200)
        #expect(clock.now - asked < .seconds(1), "QIDO while the worst upload is parsed")

        let rejected =
            H.refusedAtIngest() + [
                ("elements", Self.manyElements()),
                ("deflate bomb", try Self.deflateBomb()),
                ("not DICOM", Array(repeating: 0x41, count: 4096)),
            ]
        for (name, bytes) in rejected {
            let response = try await Self.upload(base, bytes)
            #expect(response.status == 422, "\(name): \(response.status)")
            #expect(Self.reason(response)?.isEmpty == false, "\(name) is rejected with a reason")
        }
        // 120,000 empty fragments: walked linearly now; whatever the outcome, it is quick and not a 5xx.
        let fragments = H.file(
            H.identity(uid: "1.2.3.25") + H.imagePixel(rows: 2, columns: 2, bits: 8) + H.encapsulated(Array(repeating: [], count: 120_000))
        )
        let started = clock.now
        #expect([200, 422].contains(try await Self.upload(base, fragments).status))
        #expect(clock.now - started < .seconds(10))

        // Stored, then refused at render (finding 1): a rescale that overflows to infinity.
        let uid = "1.2.826.0.1.3680043.8.498.99"
        let overflow = H.file(
            H.identity(uid: uid) + H.imagePixel(rows: 2, columns: 2, bits: 32) + H.text(0x0028, 0x1052, "DS", "0")
                + H.text(0x0028, 0x1053, "DS", "1e300")
                + H.pixelData([UInt32(0), 1, 0x7FFF_FFFF, 0xFFFF_FFFF].flatMap { H.le32($0) }),
            uid: uid
        )
        #expect(try await Self.upload(base, overflow).status == 200)
        for path in ["/api/v1/dicom/images/\(uid)/rendered", "/api/v1/dicom/images/\(uid)/thumbnail"] {
            BadInputOverHTTPTests.expectClientError(try BadInputOverHTTPTests.get(path, port: server.port), path, dataDir: dataDir)
        }

        // Requests: duplicate frames, a repeated QIDO key, 2,001 parts in one STOW, a Host header that
        // tries to write JSON.
        let instance = try #require(
            try await server.get("/dicomweb/studies/1.2.826.0.1.3680043.8.498.1/series/1.2.826.0.1.3680043.8.498.2/instances").json
                as? [[String: Any]]
        )
        #expect(!instance.isEmpty)
        let frames =
            "/dicomweb/studies/1.2.826.0.1.3680043.8.498.1/series/1.2.826.0.1.3680043.8.498.2/instances/\(uid)/frames/"
            + Array(repeating: "1", count: 1_000).joined(separator: ",")
        BadInputOverHTTPTests.expectClientError(try BadInputOverHTTPTests.get(frames, port: server.port), "duplicate frames", dataDir: dataDir)
        let repeated = "/dicomweb/studies?" + (0..<1_100).map { "PatientID=\($0)" }.joined(separator: "&")
        BadInputOverHTTPTests.expectClientError(try BadInputOverHTTPTests.get(repeated, port: server.port), "repeated key", dataDir: dataDir)
        let tiny = Data(H.file(H.identity(uid: "1.2.3.27")))
        let parts = try await server.stow(Array(repeating: tiny, count: 2_001))
        #expect(parts.status == 400, "2,001 parts")
        let request =
            "GET /dicomweb/studies/1.2.826.0.1.3680043.8.498.1/series HTTP/1.1\r\nHost: evil\",\"00100010\":{\"vr\":\"PN\"}\r\nConnection: close\r\n\r\n"
        let injected = try #require(try BadInputOverHTTPTests.raw(Array(request.utf8), port: server.port))
        #expect(injected.status == 200 && !injected.body.contains("evil"))

        // A chunked body whose chunk size is not hexadecimal (finding 18): 400, not the 500 default.
        let chunked =
            "POST /api/v1/dicom/instances HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/dicom\r\n"
            + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n4\r\nDICM\r\nZZ\r\nnot a chunk\r\n0\r\n\r\n"
        if let answer = try BadInputOverHTTPTests.raw(Array(chunked.utf8), port: server.port) {
            #expect((400..<500).contains(answer.status), "malformed chunked body: \(answer.status)")
        }

        // The worst upload ended as a rejection with its reason; the same process serves on.
        let response = try await worst.value
        #expect(response.status == 422)
        #expect(Self.reason(response)?.contains("CPU-time limit") == true, "\(Self.reason(response) ?? "")")
        #expect(server.process.isRunning && server.process.processIdentifier == pid)
        let health = try #require(try await server.get("/api/v1/health").json as? [String: Any])
        #expect(health["status"] as? String == "ok")
        let studies = try #require(try await server.get("/api/v1/dicom/studies").json as? [String: Any])
        #expect((studies["total"] as? Int ?? 0) >= 2, "the imported CT and the stored overflow image are both there")
    }
}
