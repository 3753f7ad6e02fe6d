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
    @Option(help: "Files imported at once (default: the number of cores).") var jobs = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Parse files in worker processes under resource limits: on or off (default on).") var parseIsolation = "on"
    @Option(help: "CPU seconds a parse worker may spend on one file (default 60).") var parseCpuSeconds = 60
    @Option(help: "Address space of a parse worker, MiB (default 4096).") var parseMemoryMb = 4096

    func validate() throws {
        if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
    }

    func run() async throws {
        let catalog: SQLiteCatalog
        let store: FileObjectStore
        do {
            try FileManager.default.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
            catalog = try SQLiteCatalog(path: dataDir + "/catalog.sqlite")
            store = try FileObjectStore(root: dataDir + "/objects")
        } catch {
            throw CommandFailure.other("cannot open the data directory \(dataDir): \(error)")
        }
        store.removeStaleTemporaryFiles()
        let files = Importer.files(under: paths)
        let isolation = try ParseIsolationSettings(isolation: parseIsolation, cpuSeconds: parseCpuSeconds, memoryMb: parseMemoryMb)
        let workers = try isolation.pool(limits: .default)
        defer { workers?.shutdown() }
        let importer = Importer(catalog: catalog, store: store, reader: workers ?? InProcessInstanceReader(), inPlace: inPlace)
        let showsProgress = isatty(STDERR_FILENO) == 1
        let started = ContinuousClock.now
        let summary = await importer.importFiles(files, source: "import", parallelism: jobs) { done, summary in
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
        for (path, reason) in summary.rejected.prefix(50) { print("  rejected \(path): \(reason)") }
        if summary.rejected.count > 50 { print("  … and \(summary.rejected.count - 50) more (see the ingestion log)") }
        if !summary.rejected.isEmpty { throw ExitCode(3) }
    }
}
