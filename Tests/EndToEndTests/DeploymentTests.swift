import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The deployment files with the real tools: systemd-analyze on the unit, the sd_notify protocol over
/// a real datagram socket, and Debian's nginx in front of the real server with the project's site.
@Suite(.timeLimit(.minutes(10)))
struct DeploymentTests {
    static let unit = CommandLineTests.repositoryRoot.appendingPathComponent("systemd/dicomserve.service").path
    static let environmentExample = CommandLineTests.repositoryRoot.appendingPathComponent("systemd/dicomserve.env.example").path

    struct Run {
        var status: Int32
        var output: String
        var error: String
    }

    /// Runs a program to its end, collecting what it printed; killed (and the test failed) past `deadline`.
    static func run(
        _ executable: String,
        _ arguments: [String],
        standardInput: String? = nil,
        in directory: String? = nil,
        environment: [String: String] = [:],
        deadline: Duration = .seconds(300)
    ) throws -> Run {
        let run = try TestChildren.runToEnd(
            executable,
            arguments,
            environment: environment.isEmpty ? nil : ProcessInfo.processInfo.environment.merging(environment) { $1 },
            directory: directory,
            standardInput: standardInput.map { Data(($0 + "\n").utf8) },
            deadline: deadline
        )
        #expect(!run.timedOut, "\(executable) was still running after \(deadline)")
        return Run(status: run.status, output: String(decoding: run.output, as: UTF8.self), error: String(decoding: run.error, as: UTF8.self))
    }

    static let systemdAnalyze = "/usr/bin/systemd-analyze"

    /// The unit as installed, with ExecStart and EnvironmentFile pointing at this build and the example.
    static func installedUnit() throws -> String {
        let directory = CommandLineTests.temporary("-unit")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let text = try String(contentsOfFile: unit, encoding: .utf8)
            .replacingOccurrences(of: "/usr/local/bin/dicomserve", with: CommandLineTests.binary)
            .replacingOccurrences(of: "EnvironmentFile=/etc/dicomserve/dicomserve.env", with: "EnvironmentFile=\(environmentExample)")
        let path = directory + "/dicomserve.service"
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test(.enabled(if: RequiredTools.runnable([systemdAnalyze]), "systemd-analyze is not installed"))
    func systemdUnitVerifiesAndScoresOK() throws {
        try RequiredTools.require([Self.systemdAnalyze])
        let path = try Self.installedUnit()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        let verify = try Self.run(Self.systemdAnalyze, ["verify", path])
        #expect(verify.status == 0, "\(verify.error)")
        #expect(!verify.error.contains("dicomserve.service"), "\(verify.error)")

        let security = try Self.run(Self.systemdAnalyze, ["security", "--offline=true", "--no-pager", path])
        let line = try #require(security.output.split(separator: "\n").first { $0.contains("Overall exposure level") }, "\(security.error)")
        let score = try #require(line.split(separator: " ").compactMap { Double($0) }.first)
        #expect(score <= 2.5, "\(line)")
        #expect(line.contains("OK"), "\(line)")
    }

    @Test func environmentExampleDocumentsEveryVariable() throws {
        let help = try CommandLineTests.dicomserve("serve", "--help")
        let variables = Set(String(decoding: help.output, as: UTF8.self).matches(of: /DICOMSERVE_[A-Z_]+/).map { String($0.output) })
        #expect(variables.count > 20)
        let example = try String(contentsOfFile: Self.environmentExample, encoding: .utf8)
        for variable in variables.sorted() { #expect(example.contains(variable + "="), "\(variable) is not in dicomserve.env.example") }
    }

    /// A port in use is the environment's refusal, not a usage error: exit 4 and the fix in words.
    @Test func aPortInUseIsExit4WithTheReason() async throws {
        let data = CommandLineTests.temporary("-busy")
        defer { try? FileManager.default.removeItem(atPath: data) }
        let first = try await ServerProcess(dataDir: data)
        defer { first.stop() }
        let second = try CommandLineTests.dicomserve("serve", "--port", "\(first.port)", "--data-dir", data + "-second", "--web-dir", "none")
        defer { try? FileManager.default.removeItem(atPath: data + "-second") }
        #expect(second.status == 4)
        #expect(second.error.contains("cannot listen on 127.0.0.1:\(first.port): the port is already in use"), "\(second.error)")
        #expect(!second.error.contains("errno"), "no framework description: \(second.error)")
    }

    @Test func nonLoopbackWithoutAuthenticationIsRefused() throws {
        let data = CommandLineTests.temporary("-data")
        defer { try? FileManager.default.removeItem(atPath: data) }
        let result = try CommandLineTests.dicomserve("serve", "--host", "0.0.0.0", "--port", "1", "--data-dir", data)
        #expect(result.status == 2)
        #expect(result.error.contains("without authentication"), "\(result.error)")
    }

    /// A datagram socket standing in for systemd's notification socket.
    final class NotifySocket {
        let path = CommandLineTests.temporary(".notify")
        let descriptor: Int32

        init() throws {
            descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
            guard bound == 0 else { throw ServerProcess.ServerFailure(message: "cannot bind \(path)") }
            var timeout = timeval(tv_sec: 20, tv_usec: 0)
            setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        /// The next datagram, or nil after 20 s.
        func receive() -> String? {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            return count > 0 ? String(decoding: buffer[..<count], as: UTF8.self) : nil
        }

        /// Datagrams until one contains `state`.
        func receive(until state: String) -> [String] {
            var messages: [String] = []
            while let message = receive() {
                messages.append(message)
                if message.split(separator: "\n").contains(Substring(state)) { break }
            }
            return messages
        }

        deinit {
            close(descriptor)
            unlink(path)
        }
    }

    @Test func readinessWatchdogAndStoppingAreNotified() throws {
        let notify = try NotifySocket()
        let data = CommandLineTests.temporary("-data")
        defer { try? FileManager.default.removeItem(atPath: data) }
        let port = try FreePort.loopback()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: CommandLineTests.binary)
        process.arguments = ["serve", "--port", "\(port)", "--data-dir", data, "--presets", CommandLineTests.presets]
        process.environment = ProcessInfo.processInfo.environment.merging(["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"]) { $1 }
        process.standardError = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        try TestChildren.run(process)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        let startup = notify.receive(until: "READY=1")
        #expect(startup.last?.contains("READY=1") == true, "\(startup)")
        // READY means the port is bound: a connection made right after it is accepted.
        #expect(LoopbackSocket.accepts(port: port))
        #expect(startup.last?.contains("MAINPID=\(process.processIdentifier)") == true)
        #expect(notify.receive(until: "WATCHDOG=1").last?.contains("WATCHDOG=1") == true)

        kill(process.processIdentifier, SIGTERM)
        #expect(notify.receive(until: "STOPPING=1").last?.contains("STOPPING=1") == true)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}
