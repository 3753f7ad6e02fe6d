import DicomCodec
import ParseWorker

/// `--parse-isolation`, `--parse-cpu-seconds` and `--parse-memory-mb`, shared by `serve` and `import`.
struct ParseIsolationSettings {
    var isolated = true
    var resources = WorkerResources()

    init(isolation: String?, cpuSeconds: Int?, memoryMb: Int?) throws {
        switch isolation?.lowercased() {
        case nil, "on", "true": isolated = true
        case "off", "false": isolated = false
        case let other?: throw CommandFailure.usage("--parse-isolation \(other): must be on or off")
        }
        if let cpuSeconds { resources.cpuSecondsPerFile = try ServeSettings.parseCpuSeconds.checked(cpuSeconds) }
        if let memoryMb { resources.addressSpaceBytes = try ServeSettings.parseMemoryMb.checked(memoryMb) << 20 }
    }

    init(_ reader: SettingsReader) throws {
        do {
            try self.init(isolation: try reader.string(ServeSettings.parseIsolation), cpuSeconds: nil, memoryMb: nil)
        } catch {
            throw reader.refusal(ServeSettings.parseIsolation, "must be on or off")
        }
        resources.cpuSecondsPerFile = try reader.value(ServeSettings.parseCpuSeconds)
        resources.addressSpaceBytes = try reader.value(ServeSettings.parseMemoryMb) << 20
    }

    /// The worker pool, started once to prove the workers can run here (nil when isolation is off).
    func pool(limits: DecodingLimits) throws -> ParseWorkerPool? {
        guard isolated else { return nil }
        let configuration = ParseWorkerPool.Configuration(
            executable: ParseWorkerPool.currentExecutable,
            settings: WorkerSettings(limits: limits, resources: resources)
        )
        do {
            let pool = try ParseWorkerPool(configuration)
            try pool.verify()
            return pool
        } catch {
            throw CommandFailure.other("\(error) (--parse-isolation off runs parsers in process, without this protection)")
        }
    }

    static func summary(_ configuration: ParseWorkerPool.Configuration) -> String {
        let resources = configuration.settings.resources
        return "workers, \(resources.cpuSecondsPerFile) s CPU and \(resources.addressSpaceBytes >> 20) MiB per file"
    }
}
