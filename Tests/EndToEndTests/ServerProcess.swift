import Foundation
import TestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// A real `dicomserve serve` process on a free loopback port, for end-to-end tests.
final class ServerProcess {
    let process = Process()
    let port: Int
    let log: String
    var base: String { "http://127.0.0.1:\(port)" }

    /// Starts the server over `dataDir` and waits until `/api/v1/health` answers. With `port`, the
    /// caller has arranged for the server to listen there (through the environment or a config file)
    /// and no `--port` flag is passed; with a nil `dataDir`, no `--data-dir` (the server's default, in
    /// `directory`).
    init(
        dataDir: String?,
        arguments: [String] = [],
        environment: [String: String] = [:],
        port: Int? = nil,
        directory: String? = nil
    ) async throws {
        self.port = try port ?? FreePort.loopback()
        log = CommandLineTests.temporary(".log")
        process.executableURL = URL(fileURLWithPath: CommandLineTests.binary)
        if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
        let portFlag = port == nil ? ["--port", "\(self.port)"] : []
        let dataFlag = dataDir.map { ["--data-dir", $0] } ?? []
        process.arguments =
            ["serve", "--host", "127.0.0.1", "--presets", CommandLineTests.presets] + dataFlag + portFlag + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = FileHandle.nullDevice
        try TestChildren.run(process)
        var ready = false
        for _ in 0..<150 where !ready && process.isRunning {
            ready = (try? await Self.request("\(base)/api/v1/health"))?.status == 200
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        if !ready {
            stop(SIGKILL)
            throw ServerFailure(message: "the server did not answer within 15 s: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
        }
    }

    struct ServerFailure: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// What the server has logged so far.
    var logText: String { (try? String(contentsOfFile: log, encoding: .utf8)) ?? "" }

    /// Sends a signal and waits (up to 10 s) for the process to end.
    func stop(_ signal: Int32 = SIGTERM) {
        guard process.isRunning else { return }
        kill(process.processIdentifier, signal)
        for _ in 0..<1000 where process.isRunning { usleep(10_000) }
    }

    deinit {
        stop(SIGKILL)
        try? FileManager.default.removeItem(atPath: log)
    }

    struct Response {
        var status: Int
        var headers: [String: String]
        var body: Data

        func header(_ name: String) -> String? {
            headers.first { $0.key.caseInsensitiveCompare(name) == .orderedSame }?.value
        }

        var json: Any? { try? JSONSerialization.jsonObject(with: body) }
    }

    static func request(_ url: String, method: String = "GET", headers: [String: String] = [:], body: Data? = nil) async throws -> Response {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.httpBody = body
        request.timeoutInterval = 60
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let (data, response) = try await URLSession.shared.data(for: request)
        let http = response as? HTTPURLResponse
        var fields: [String: String] = [:]
        for (name, value) in http?.allHeaderFields ?? [:] { fields["\(name)"] = "\(value)" }
        return Response(status: http?.statusCode ?? 0, headers: fields, body: data)
    }

    func get(_ path: String, accept: String? = nil) async throws -> Response {
        try await Self.request(base + path, headers: accept.map { ["Accept": $0] } ?? [:])
    }

    func post(_ path: String, contentType: String, body: Data) async throws -> Response {
        try await Self.request(base + path, method: "POST", headers: ["Content-Type": contentType], body: body)
    }

    /// A STOW-RS request of Part 10 files.
    func stow(_ files: [Data], path: String = "/dicomweb/studies") async throws -> Response {
        try await Self.stow(files, to: base + path)
    }

    static func stow(_ files: [Data], to url: String) async throws -> Response {
        let boundary = "e2e-\(UUID().uuidString)"
        var body = Data()
        for file in files {
            body.append(Data("--\(boundary)\r\nContent-Type: application/dicom\r\n\r\n".utf8))
            body.append(file)
            body.append(Data("\r\n".utf8))
        }
        body.append(Data("--\(boundary)--\r\n".utf8))
        return try await request(
            url,
            method: "POST",
            headers: ["Content-Type": "multipart/related; type=\"application/dicom\"; boundary=\(boundary)", "Accept": "application/dicom+json"],
            body: body
        )
    }

}
