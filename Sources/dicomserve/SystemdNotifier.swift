import Foundation
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// systemd's notification protocol (sd_notify(3)) without libsystemd: datagrams of `KEY=value` lines
/// sent to the socket named by `NOTIFY_SOCKET` (a path, or `@name` in the abstract namespace). Without
/// the variable (not started by systemd with `Type=notify`) every call does nothing.
struct SystemdNotifier: Sendable {
    let socketPath: String?

    init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        socketPath = environment["NOTIFY_SOCKET"].flatMap { $0.isEmpty ? nil : $0 }
    }

    var isActive: Bool { socketPath != nil }

    /// Sends one notification; failures are ignored, as sd_notify's callers do: the service runs either way.
    @discardableResult
    func notify(_ state: String) -> Bool {
        guard let socketPath else { return false }
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var pathBytes = Array(socketPath.utf8)
        if pathBytes.first == UInt8(ascii: "@") { pathBytes[0] = 0 }  // abstract namespace
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard pathBytes.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: pathBytes)
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + pathBytes.count + (pathBytes.first == 0 ? 0 : 1))
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                sendto(descriptor, message, message.count, Int32(MSG_NOSIGNAL), socketAddress, length)
            }
        }
        return sent == message.count
    }

    /// How often systemd expects `WATCHDOG=1` (half the interval it set), when the watchdog is on for us.
    static func watchdogInterval(environment: [String: String] = ProcessInfo.processInfo.environment) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let microseconds = Int64(text), microseconds > 0 else { return nil }
        if let pid = environment["WATCHDOG_PID"], pid != String(getpid()) { return nil }
        return .microseconds(microseconds / 2)
    }
}

/// Tells systemd how the service is doing: `STOPPING=1` when graceful shutdown begins and, with
/// `WatchdogSec=`, `WATCHDOG=1` at half the interval while the process runs. `READY=1` is sent by the
/// server once its port accepts connections (`ServeCommand`). Only run under systemd: a service that
/// returns early would end the whole group.
struct SystemdNotifierService: Service {
    let notifier: SystemdNotifier
    let watchdogInterval: Duration?

    func run() async throws {
        await cancelWhenGracefulShutdown {
            guard let interval = watchdogInterval else {
                try? await gracefulShutdown()
                return
            }
            while !Task.isCancelled {
                notifier.notify("WATCHDOG=1")
                try? await Task.sleep(for: interval)
            }
        }
        notifier.notify("STOPPING=1")
    }
}
