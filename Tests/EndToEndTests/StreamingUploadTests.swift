import Foundation
import TestSupport
import Testing

/// Upload bodies are streamed to disk and split there: the server's peak memory for a 100 MB STOW grows
/// by about one part (the importer reads one at a time), not by the body.
@Suite(.serialized, .timeLimit(.minutes(10))) struct StreamingUploadTests {
    /// A native 8-bit image of `side`² pixels: a part of `side`² bytes and a little.
    static func image(uid: String, side: UInt16) -> Data {
        let pixels = [UInt8](repeating: 7, count: Int(side) * Int(side))
        return Data(
            HostileFiles.file(
                HostileFiles.identity(uid: uid) + HostileFiles.imagePixel(rows: side, columns: side, bits: 8) + HostileFiles.pixelData(pixels),
                uid: uid
            )
        )
    }

    static func status(_ pid: pid_t, _ field: String) -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        let line = text.split(separator: "\n").first { $0.hasPrefix(field + ":") }
        return line?.split(separator: " ").compactMap { Int($0) }.first.map { $0 << 10 }  // kB → bytes
    }

    @Test func a100MBSTOWCostsAboutOnePartOfMemory() async throws {
        let dataDir = CommandLineTests.temporary("-stream")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let server = try await ServerProcess(dataDir: dataDir, arguments: ["--max-upload-mb", "200"])
        defer { server.stop() }
        let pid = server.process.processIdentifier
        let parts = (0..<4).map { Self.image(uid: "1.2.826.0.1.3680043.8.498.90\($0)", side: 5_000) }  // 4 × 25 MB
        let largest = try #require(parts.map(\.count).max())
        // Warm the paths once with a small upload, then measure the peak from here (clear_refs 5 resets VmHWM).
        #expect(try await server.stow([Self.image(uid: "1.2.826.0.1.3680043.8.498.899", side: 256)]).status == 200)
        try "5".write(toFile: "/proc/\(pid)/clear_refs", atomically: false, encoding: .utf8)
        let before = try #require(Self.status(pid, "VmRSS"))
        let response = try await server.stow(parts)
        #expect(response.status == 200)
        let peak = try #require(Self.status(pid, "VmHWM"))
        let growth = peak - before
        print("streaming upload: peak RSS grew \(growth >> 20) MiB for a STOW of 4 × \(largest >> 20) MiB")
        #expect(
            growth <= largest * 13 / 10,
            "peak grew by \(growth >> 20) MiB for a \(parts.reduce(0) { $0 + $1.count } >> 20) MiB STOW of \(largest >> 20) MiB parts"
        )
        let studies = try #require(try await server.get("/api/v1/dicom/studies").json as? [String: Any])
        #expect((studies["studies"] as? [[String: Any]])?.first?["instance_count"] as? Int == 5 || studies["total"] as? Int == 1)
    }
}
