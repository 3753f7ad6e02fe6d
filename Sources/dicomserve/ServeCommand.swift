import ArgumentParser
import DicomServer
import Foundation
import Logging

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the catalogued studies over HTTP (the JSON API under /api/v1).",
        discussion: """
            Every option can also be set with an environment variable (DICOMSERVE_HOST, DICOMSERVE_PORT, \\
            DICOMSERVE_DATA_DIR, DICOMSERVE_PRESETS, DICOMSERVE_RENDER_THREADS); a flag wins over the environment. \\
            SIGTERM or SIGINT drain in-flight requests, then the process exits 0.
            """
    )

    @Option(help: "Address to listen on (env DICOMSERVE_HOST; default 127.0.0.1).") var host: String?
    @Option(help: "Port (env DICOMSERVE_PORT; default 8080).") var port: Int?
    @Option(help: "Data directory with catalog.sqlite and objects/ (env DICOMSERVE_DATA_DIR; default ./data).") var dataDir: String?
    @Option(help: "Presets directory (env DICOMSERVE_PRESETS; default ./presets).") var presets: String?
    @Option(help: "Render threads (env DICOMSERVE_RENDER_THREADS; default: the number of cores).") var renderThreads: Int?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var configuration = ServerConfiguration(version: "0.1.0")
        configuration.host = host ?? environment["DICOMSERVE_HOST"] ?? configuration.host
        configuration.port = try port ?? environment["DICOMSERVE_PORT"].map(Self.port) ?? configuration.port
        configuration.dataDirectory = dataDir ?? environment["DICOMSERVE_DATA_DIR"] ?? configuration.dataDirectory
        configuration.presetsDirectory = presets ?? environment["DICOMSERVE_PRESETS"] ?? PresetLocation.defaultDirectory()
        configuration.renderThreads = try renderThreads ?? environment["DICOMSERVE_RENDER_THREADS"].map(Self.threads) ?? configuration.renderThreads

        var logger = Logger(label: "dicomserve")
        logger.logLevel = .info
        logger.info(
            "starting",
            metadata: [
                "host": "\(configuration.host)", "port": "\(configuration.port)", "data-dir": "\(configuration.dataDirectory)",
                "presets": "\(configuration.presetsDirectory)", "render-threads": "\(configuration.renderThreads)",
            ]
        )
        do {
            try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        } catch {
            throw CommandFailure.other("cannot create the data directory \(configuration.dataDirectory): \(error.localizedDescription)")
        }
        let (application, service) = try buildApplication(configuration, logger: logger)
        try await application.runService()
        try await service.pool.shutdown()
    }

    static func port(_ text: String) throws -> Int {
        guard let port = Int(text), (0...65_535).contains(port) else { throw CommandFailure.usage("DICOMSERVE_PORT must be 0–65535") }
        return port
    }

    static func threads(_ text: String) throws -> Int {
        guard let count = Int(text), count >= 1 else { throw CommandFailure.usage("DICOMSERVE_RENDER_THREADS must be ≥ 1") }
        return count
    }
}
