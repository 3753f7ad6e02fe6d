import CSpawn
import DicomCodec
import DicomStorage
import Foundation
import ServiceLifecycle
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Reads uploads and imports in worker processes (`dicomserve parse-worker`), each under CPU-time,
/// address-space and stack limits, so that a crash, a runaway loop or an allocation storm in DCMTK or
/// a codec costs the one file being read: it is rejected with the reason, and the next file gets a new
/// worker. Workers are reused between files (starting one costs milliseconds) and at most
/// `maximumIdle` wait between uploads.
public final class ParseWorkerPool: InstanceReader, Service {
    public struct Configuration: Sendable {
        /// The `dicomserve` binary (normally this very process's).
        public var executable: String
        public var settings: WorkerSettings
        /// Workers kept waiting between files.
        public var maximumIdle: Int
        /// A worker is replaced after this many files, so nothing a parser leaks accumulates.
        public var filesPerWorker: Int

        public init(executable: String, settings: WorkerSettings, maximumIdle: Int = 4, filesPerWorker: Int = 500) {
            self.executable = executable
            self.settings = settings
            self.maximumIdle = maximumIdle
            self.filesPerWorker = filesPerWorker
        }
    }

    public let configuration: Configuration
    private let idle = Mutex<[WorkerProcess]>([])
    private let arguments: [String]

    /// Why a worker could not be used at all (not a fault of the file).
    public struct Unavailable: Error, CustomStringConvertible {
        public var description: String
    }

    public init(_ configuration: Configuration) throws {
        self.configuration = configuration
        let settings = try JSONEncoder().encode(configuration.settings)
        arguments = [configuration.executable, ParseWorker.commandName, "--settings", String(decoding: settings, as: UTF8.self)]
        // A write to a worker that just died must fail with EPIPE, not kill the server with SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
    }

    /// The binary of the running process, for starting workers of the same version.
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }

    /// Starts one worker and waits for it to report its limits applied: run at start-up, so that a
    /// sandbox that forbids them (a seccomp filter denying `prlimit64`) stops the service with the
    /// reason instead of rejecting every upload later.
    public func verify() throws(Unavailable) {
        let worker = try start()
        release(worker)
    }

    public func read(path: String) -> InstanceReading {
        let worker: WorkerProcess
        do {
            worker = try idle.withLock { $0.popLast() } ?? start()
        } catch let error as Unavailable {
            return .rejected(reason: "the file could not be read: \(error.description)", identity: nil)
        } catch {
            return .rejected(reason: "the file could not be read: \(error)", identity: nil)
        }
        guard WorkerWire.send(Array(path.utf8), to: worker.input) else {
            worker.kill()
            return .rejected(reason: "the parse worker stopped before reading the file: \(worker.ending)", identity: nil)
        }
        let limit = configuration.settings.resources.wallClockLimit
        switch WorkerWire.receive(from: worker.output, deadline: .now + limit) {
        case .message(let payload):
            guard case .reading(let reading)? = try? JSONDecoder().decode(WorkerMessage.self, from: Data(payload)) else {
                worker.kill()
                return .rejected(reason: "the parse worker answered something unreadable", identity: nil)
            }
            worker.filesRead += 1
            release(worker)
            return reading
        case .closed:
            worker.kill()
            if worker.endedBy == SIGXCPU {
                let seconds = configuration.settings.resources.cpuSecondsPerFile
                return .rejected(reason: "reading the file exceeded its CPU-time limit (\(seconds) s)", identity: nil)
            }
            return .rejected(reason: "the parser failed on the file and was stopped (\(worker.ending))", identity: nil)
        case .timedOut:
            worker.kill()
            return .rejected(reason: "parsing the file took longer than \(limit.components.seconds) s", identity: nil)
        case .oversized(let bytes):
            worker.kill()
            return .rejected(reason: "the parse worker's answer is too large (\(bytes) bytes)", identity: nil)
        }
    }

    /// Stops the waiting workers (they also stop by themselves when this process ends: stdin closes).
    public func shutdown() {
        let workers = idle.withLock { workers in
            defer { workers.removeAll() }
            return workers
        }
        for worker in workers { worker.finish() }
    }

    /// Waits for the group's graceful shutdown, then stops the idle workers.
    public func run() async throws {
        try? await gracefulShutdown()
        shutdown()
    }

    deinit { shutdown() }

    private func release(_ worker: WorkerProcess) {
        let kept =
            worker.filesRead < configuration.filesPerWorker
            && idle.withLock { workers in
                guard workers.count < configuration.maximumIdle else { return false }
                workers.append(worker)
                return true
            }
        if !kept { worker.finish() }
    }

    private func start() throws(Unavailable) -> WorkerProcess {
        let worker = try WorkerProcess(arguments: arguments)
        switch WorkerWire.receive(from: worker.output, deadline: .now + .seconds(30)) {
        case .message(let payload):
            switch try? JSONDecoder().decode(WorkerMessage.self, from: Data(payload)) {
            case .ready?: return worker
            case .unusable(let reason)?:
                worker.kill()
                throw Unavailable(description: "the parse worker cannot run: \(reason)")
            default:
                worker.kill()
                throw Unavailable(description: "the parse worker did not start properly")
            }
        default:
            worker.kill()
            throw Unavailable(description: "the parse worker did not start (\(worker.ending))")
        }
    }
}

/// One worker child process and the two pipes to it. Used by one thread at a time (taken from the idle
/// list, used, put back), hence unchecked.
final class WorkerProcess: @unchecked Sendable {
    let pid: pid_t
    let input: Int32
    let output: Int32
    var filesRead = 0
    /// How the process ended, once it has been reaped.
    private(set) var ending = "still running"
    /// The signal that ended the process, once reaped.
    private(set) var endedBy: Int32?
    private var reaped = false

    init(arguments: [String]) throws(ParseWorkerPool.Unavailable) {
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        var input: Int32 = -1
        var output: Int32 = -1
        let status = cspawn_with_pipes(arguments[0], argv, &pid, &input, &output)
        guard status == 0 else { throw .init(description: "cannot start \(arguments[0]): \(String(cString: strerror(status)))") }
        self.pid = pid
        self.input = input
        self.output = output
    }

    /// Kills the worker (it may be stuck) and reaps it.
    func kill() {
        if !reaped { Glibc.kill(pid, SIGKILL) }
        reap()
    }

    /// Closes its stdin (the worker exits) and reaps it.
    func finish() {
        close(input)
        reap(closed: true)
    }

    private func reap(closed: Bool = false) {
        guard !reaped else { return }
        if !closed { close(input) }
        close(output)
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        reaped = true
        ending = Self.describe(status)
        if status & 0x7F != 0 { endedBy = status & 0x7F }
    }

    deinit { if !reaped { kill() } }

    /// waitpid's status in words (the W* macros are not imported into Swift).
    static func describe(_ status: Int32) -> String {
        let signal = status & 0x7F
        if signal == 0 { return "exit status \((status >> 8) & 0xFF)" }
        let names: [Int32: String] = [
            SIGSEGV: "SIGSEGV, a crash", SIGBUS: "SIGBUS, a crash", SIGABRT: "SIGABRT, an abort", SIGILL: "SIGILL, a trap",
            SIGFPE: "SIGFPE", SIGXCPU: "SIGXCPU, the CPU-time limit", SIGKILL: "SIGKILL", SIGTRAP: "SIGTRAP, a trap",
            // A library's last words (an assertion message) to a standard error that is a regular file
            // run into the worker's zero file-size limit before its abort does.
            SIGXFSZ: "SIGXFSZ, a write past the file-size limit (a library's failure message, usually before an abort)",
        ]
        return "signal \(signal): \(names[signal] ?? "unexpected")"
    }
}
