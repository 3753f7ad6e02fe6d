import Foundation

/// A real `redis-server` on a free loopback port for one test, with no persistence, stopped (and its
/// directory removed) when released. `pause`/`resume`/`kill`/`restart` cause real outages.
public final class RedisServer: @unchecked Sendable {
    public let port: Int
    /// The password the server requires (`--requirepass`), if any.
    public let password: String?
    public var url: String { "redis://\(password.map { ":\($0)@" } ?? "")127.0.0.1:\(port)/0" }
    private var process: Process
    private let directory: String

    public init(password: String? = nil) throws {
        self.password = password
        port = try FreePort.loopback()
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("redis-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        process = Process()
        try start()
    }

    private func start() throws {
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/redis-server")
        process.arguments =
            [
                "--port", "\(port)", "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory, "--loglevel", "warning",
            ] + (password.map { ["--requirepass", $0] } ?? [])
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try TestChildren.run(process)
        for _ in 0..<200 {
            if Self.ping(port) { return }
            usleep(10_000)
        }
        throw CocoaError(.executableLoad, userInfo: [NSLocalizedDescriptionKey: "redis-server did not answer on \(port)"])
    }

    /// The keys matching `pattern` now (redis-cli KEYS).
    public func keys(matching pattern: String = "*") throws -> [String] {
        let arguments =
            ["-h", "127.0.0.1", "-p", "\(port)", "--raw"] + (password.map { ["-a", $0, "--no-auth-warning"] } ?? []) + ["KEYS", pattern]
        let run = try TestChildren.runToEnd("/usr/bin/redis-cli", arguments, deadline: .seconds(10))
        return String(decoding: run.output, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// Waits (up to `deadline`) until a key matching `pattern` exists: for writes the server makes
    /// without waiting for them (a cache fill), which a test must see land before it goes on.
    public func waitForKey(matching pattern: String, deadline: Duration = .seconds(10)) async throws -> Bool {
        let end = ContinuousClock.now + deadline
        while ContinuousClock.now < end {
            if try !keys(matching: pattern).isEmpty { return true }
            try await Task.sleep(for: .milliseconds(20))
        }
        return false
    }

    /// SIGSTOP: connections hang (the command timeout is what protects callers).
    public func pause() { Foundation.kill(process.processIdentifier, SIGSTOP) }
    public func resume() { Foundation.kill(process.processIdentifier, SIGCONT) }

    /// SIGKILL: the port refuses connections.
    public func kill() {
        Foundation.kill(process.processIdentifier, SIGCONT)
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// A new server on the same port (empty: nothing persisted).
    public func restart() throws {
        if process.isRunning { kill() }
        try start()
    }

    deinit {
        // Unconditionally: a paused or exiting server must not outlive the test.
        Foundation.kill(process.processIdentifier, SIGCONT)
        Foundation.kill(process.processIdentifier, SIGKILL)
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// `redis-cli`-free probe: a raw PING over TCP.
    static func ping(_ port: Int) -> Bool {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return false }
        let ping = Array("PING\r\n".utf8)
        guard write(descriptor, ping, ping.count) == ping.count else { return false }
        var buffer = [UInt8](repeating: 0, count: 16)
        // A password-protected server answers -NOAUTH: alive all the same.
        return read(descriptor, &buffer, 16) > 0 && (buffer.starts(with: Array("+PONG".utf8)) || buffer.starts(with: Array("-NOAUTH".utf8)))
    }
}

/// Free loopback ports for servers a test starts.
public enum FreePort {
    public static func loopback() throws -> Int {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                guard bind(descriptor, socketAddress, length) == 0, getsockname(descriptor, socketAddress, &length) == 0 else {
                    throw CocoaError(.fileWriteUnknown)
                }
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
