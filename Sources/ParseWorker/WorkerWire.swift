import DicomCodec
import DicomStorage
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// What travels between the server and a parse worker over the worker's stdin and stdout: messages of
/// a 4-byte big-endian length and a JSON body. The parent sends file paths; the worker answers each
/// with one `WorkerMessage`.
enum WorkerWire {
    /// A bound on any message, so a confused or compromised worker cannot make the parent allocate
    /// without limit (the JSON model of a 250,000-element data set is well below it).
    static let maximumMessageBytes = 256 << 20

    enum Received {
        case message([UInt8])
        /// The other side closed the pipe (the worker exited or crashed).
        case closed
        case timedOut
        case oversized(Int)
    }

    /// Writes one message; false when the other side is gone.
    static func send(_ payload: [UInt8], to descriptor: Int32) -> Bool {
        let length = UInt32(payload.count)
        let header = [UInt8(length >> 24), UInt8((length >> 16) & 0xFF), UInt8((length >> 8) & 0xFF), UInt8(length & 0xFF)]
        return writeAll(header, to: descriptor) && writeAll(payload, to: descriptor)
    }

    static func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 && errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    /// Reads one message, waiting at most until `deadline` (nil: without a bound).
    static func receive(from descriptor: Int32, deadline: ContinuousClock.Instant?) -> Received {
        var header = [UInt8](repeating: 0, count: 4)
        switch readExactly(&header, from: descriptor, deadline: deadline) {
        case .message: break
        case let other: return other
        }
        let length = header.reduce(0) { $0 << 8 | Int($1) }
        guard length <= maximumMessageBytes else { return .oversized(length) }
        var payload = [UInt8](repeating: 0, count: length)
        return readExactly(&payload, from: descriptor, deadline: deadline)
    }

    private static func readExactly(_ buffer: inout [UInt8], from descriptor: Int32, deadline: ContinuousClock.Instant?) -> Received {
        var offset = 0
        while offset < buffer.count {
            if let deadline {
                let left = deadline - ContinuousClock.now
                guard left > .zero else { return .timedOut }
                var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
                let milliseconds = Int32(clamping: left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000 + 1)
                let ready = poll(&poller, 1, milliseconds)
                if ready < 0 && errno == EINTR { continue }
                guard ready > 0 else {
                    if ready == 0 { return .timedOut }
                    return .closed
                }
            }
            let count = buffer.count
            let received = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress! + offset, count - offset) }
            if received < 0 && errno == EINTR { continue }
            guard received > 0 else { return .closed }
            offset += received
        }
        return .message(buffer)
    }
}

/// One message from a worker.
enum WorkerMessage: Codable, Equatable {
    /// Limits applied; paths welcome.
    case ready
    /// The worker cannot run as configured (its limits could not be applied); it exits after this.
    case unusable(String)
    /// The answer for the last path.
    case reading(InstanceReading)
}

/// The settings a worker is started with (one command-line argument, JSON).
public struct WorkerSettings: Codable, Sendable, Equatable {
    public var limits: DecodingLimits
    public var resources: WorkerResources

    public init(limits: DecodingLimits, resources: WorkerResources) {
        self.limits = limits
        self.resources = resources
    }
}

/// The operating-system limits each worker runs under.
public struct WorkerResources: Codable, Sendable, Equatable {
    /// CPU time one file may take (RLIMIT_CPU, renewed per file; the kernel stops the worker past it).
    public var cpuSecondsPerFile: Int
    /// The worker's address space (RLIMIT_AS): what decoding one file may allocate, runtime included.
    public var addressSpaceBytes: Int
    /// The main thread's stack (RLIMIT_STACK), where DCMTK's recursive parser runs.
    public var stackBytes: Int

    public init(cpuSecondsPerFile: Int = 60, addressSpaceBytes: Int = 4 << 30, stackBytes: Int = 8 << 20) {
        self.cpuSecondsPerFile = cpuSecondsPerFile
        self.addressSpaceBytes = addressSpaceBytes
        self.stackBytes = stackBytes
    }

    /// How long the parent waits for one file before killing the worker: a worker blocked rather than
    /// computing (so RLIMIT_CPU never fires) is stopped too.
    public var wallClockLimit: Duration { .seconds(cpuSecondsPerFile * 2 + 10) }
}
