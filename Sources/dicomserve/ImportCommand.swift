import ArgumentParser
import DicomStorage
import Foundation
import LocalStorage
import ParseWorker

struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Import DICOM files and directories (recursively) into the data directory's catalog.",
        discussion: """
            Each file is parsed, copied atomically into <data-dir>/objects (or, with --in-place, indexed where it \\
            is) and recorded; every file tried goes into the ingestion log. Bad files are rejected with a reason \\
            and the rest of the batch continues. Importing the same instance again changes nothing; a different \\
            file with the same SOP Instance UID replaces it.

            Exit status: 0 when every file was imported, 3 when some were rejected, 2 for usage errors.
            """
    )

    @Argument(help: "Files or directories.") var paths: [String]
    @Option(help: "The data directory (catalog and objects).") var dataDir = "./data"
    @Flag(help: "Index files where they are instead of copying them.") var inPlace = false
    // Optional, so that the help shows each default once, in words.
    @Option(help: "Files imported at once (default: the number of cores).") var jobs: Int?
    @Option(help: "Parse files in worker processes under resource limits: on or off (default on).") var parseIsolation: String?
    @Option(help: "CPU seconds a parse worker may spend on one file (default 60).") var parseCpuSeconds: Int?
    @Option(help: "Address space of a parse worker, MiB (default 4096).") var parseMemoryMb: Int?

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    func run() async throws {
        let catalog: SQLiteCatalog
        let store: FileObjectStore
        try DataDirectory.prepare(dataDir)
        do {
            catalog = try SQLiteCatalog(path: dataDir + "/catalog.sqlite")
            store = try FileObjectStore(root: dataDir + "/objects")
        } catch {
            throw CommandFailure.environment("cannot open the archive in \(dataDir): \(error)")
        }
        store.removeStaleTemporaryFiles()
        let files = Importer.files(under: paths)
        let isolation = try ParseIsolationSettings(isolation: parseIsolation, cpuSeconds: parseCpuSeconds, memoryMb: parseMemoryMb)
        let workers = try isolation.pool(limits: .default)
        defer { workers?.shutdown() }
        let importer = Importer(catalog: catalog, store: store, reader: workers ?? InProcessInstanceReader(), inPlace: inPlace)
        let showsProgress = isatty(STDERR_FILENO) == 1
        let started = ContinuousClock.now
        let summary = await importer.importFiles(files, source: "import", parallelism: jobs ?? ProcessInfo.processInfo.activeProcessorCount) {
            done,
            summary in
            guard showsProgress else { return }
            let line =
                "\r[\(done)/\(files.count)] stored \(summary.stored), unchanged \(summary.unchanged), "
                + "replaced \(summary.replaced), rejected \(summary.rejected.count)"
            FileHandle.standardError.write(Data(line.utf8))
        }
        if showsProgress { FileHandle.standardError.write(Data("\n".utf8)) }
        let elapsed = (ContinuousClock.now - started).components
        let seconds = Double(elapsed.seconds) + Double(elapsed.attoseconds) / 1e18
        print(
            String(
                format: "%d files in %.1f s: %d stored, %d unchanged, %d replaced, %d rejected",
                summary.total,
                seconds,
                summary.stored,
                summary.unchanged,
                summary.replaced,
                summary.rejected.count
            )
        )
        // The summary is the result (standard output); each rejection is an error (standard error).
        for (path, reason) in summary.rejected.prefix(50) { Self.error("dicomserve: rejected \(path): \(reason)") }
        if summary.rejected.count > 50 { Self.error("dicomserve: … and \(summary.rejected.count - 50) more rejected (see the ingestion log)") }
        if !summary.rejected.isEmpty { throw ExitCode(3) }
    }

    private static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
