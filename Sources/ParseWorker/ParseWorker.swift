import DicomCodec
import DicomStorage
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The child side: what `dicomserve parse-worker` runs. It applies its resource limits, says it is
/// ready, then reads one file per path it is sent, with a fresh CPU-time allowance for each, and
/// answers with the `InstanceReading`. A fault in a parser kills only this process; the parent reports
/// the file it was reading as rejected and starts another worker.
public enum ParseWorker {
    /// The subcommand of `dicomserve` that runs a worker.
    public static let commandName = "parse-worker"

    /// Serves requests on stdin/stdout until stdin closes; returns the exit status.
    public static func serve(_ settings: WorkerSettings) -> Int32 {
        // The protocol gets its own descriptor and fd 1 becomes stderr, so that anything a library prints
        // goes to the log instead of corrupting the answers.
        let output = dup(STDOUT_FILENO)
        guard output >= 0, dup2(STDERR_FILENO, STDOUT_FILENO) >= 0 else { return 71 }
        func send(_ message: WorkerMessage) -> Bool {
            guard let payload = try? JSONEncoder().encode(message) else { return false }
            return WorkerWire.send(Array(payload), to: output)
        }
        // Whatever the parent left: the signals the limits are enforced with must end this process.
        var unblocked = sigset_t()
        sigemptyset(&unblocked)
        for deadly in [SIGXCPU, SIGSEGV, SIGBUS, SIGABRT] {
            signal(deadly, SIG_DFL)
            sigaddset(&unblocked, deadly)
        }
        sigprocmask(SIG_UNBLOCK, &unblocked, nil)
        do {
            try ResourceLimits.apply(settings.resources)
        } catch {
            _ = send(.unusable(error.description))
            return 70
        }
        guard send(.ready) else { return 0 }
        let reader = InProcessInstanceReader(limits: settings.limits)
        while case .message(let path) = WorkerWire.receive(from: STDIN_FILENO, deadline: nil) {
            do {
                try ResourceLimits.allowCPU(seconds: settings.resources.cpuSecondsPerFile)
            } catch {
                _ = send(.unusable(error.description))
                return 70
            }
            guard send(.reading(reader.read(path: String(decoding: path, as: UTF8.self)))) else { return 0 }
        }
        return 0
    }
}

/// setrlimit for the worker. Every call must succeed: a worker running without its limits would be
/// isolation in name only, so a failure (a seccomp filter denying `prlimit64`, say) is fatal and said.
enum ResourceLimits {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func apply(_ resources: WorkerResources) throws(Failure) {
        try set(RLIMIT_AS, "RLIMIT_AS", to: rlim_t(resources.addressSpaceBytes))
        try set(RLIMIT_STACK, "RLIMIT_STACK", to: rlim_t(resources.stackBytes))
        // A worker writes no files and leaves no core dumps of patient data behind.
        try set(RLIMIT_FSIZE, "RLIMIT_FSIZE", to: 0)
        try set(RLIMIT_CORE, "RLIMIT_CORE", to: 0)
        try allowCPU(seconds: resources.cpuSecondsPerFile)
    }

    /// Sets the soft CPU limit to what was used so far plus `seconds`; past it the kernel sends SIGXCPU,
    /// which ends the worker. The hard limit stays, so the soft one can be moved on for the next file.
    static func allowCPU(seconds: Int) throws(Failure) {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        let used = Int(usage.ru_utime.tv_sec) + Int(usage.ru_stime.tv_sec) + 1
        var current = rlimit()
        guard getrlimit(resource(RLIMIT_CPU), &current) == 0 else {
            throw Failure(description: "getrlimit(RLIMIT_CPU): \(String(cString: strerror(errno)))")
        }
        var limit = rlimit(rlim_cur: min(rlim_t(used + max(1, seconds)), current.rlim_max), rlim_max: current.rlim_max)
        guard setrlimit(resource(RLIMIT_CPU), &limit) == 0 else {
            throw Failure(description: "setrlimit(RLIMIT_CPU) failed: \(String(cString: strerror(errno)))")
        }
    }

    private static func set(_ which: __rlimit_resource, _ name: String, to value: rlim_t) throws(Failure) {
        var current = rlimit()
        guard getrlimit(resource(which), &current) == 0 else { throw Failure(description: "getrlimit(\(name)): \(String(cString: strerror(errno)))") }
        // Lower only: never raise what the service manager already set lower.
        let soft = min(value, current.rlim_max)
        var limit = rlimit(rlim_cur: soft, rlim_max: soft)
        guard setrlimit(resource(which), &limit) == 0 else {
            throw Failure(description: "setrlimit(\(name)) failed: \(String(cString: strerror(errno))) (is prlimit64 denied by a seccomp filter?)")
        }
    }

    private static func resource(_ which: __rlimit_resource) -> __rlimit_resource_t { __rlimit_resource_t(which.rawValue) }
}
