import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Uploads are parsed in worker processes under resource limits: a crash or a runaway file costs that
/// one upload, never the server; and the workers run under the systemd unit's own system call filter.
@Suite(.serialized, .timeLimit(.minutes(10))) struct ParseIsolationTests {
    /// A legitimate RLE image whose full read costs seconds of CPU (2,500 frames of 1 MiB to decode).
    static func slowFile() -> Data {
        Data(HostileFiles.rleMultiFrame(uid: "1.2.826.0.1.3680043.8.498.77", rows: 1024, columns: 1024, frames: 2_500))
    }

    /// The worker processes (`dicomserve parse-worker`) the server at `pid` started.
    static func workers(of pid: pid_t) -> [pid_t] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { pid_t($0) }.filter { candidate in
            guard let stat = try? String(contentsOfFile: "/proc/\(candidate)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            guard fields.count > 2, pid_t(fields[1]) == pid else { return false }
            let command = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(candidate)/cmdline"))) ?? Data()
            return String(decoding: command, as: UTF8.self).contains("parse-worker")
        }
    }

    static func upload(_ server: ServerProcess, _ file: Data) async throws -> ServerProcess.Response {
        try await upload(to: server.base, file)
    }

    static func upload(to base: String, _ file: Data) async throws -> ServerProcess.Response {
        try await ServerProcess.request(base + "/api/v1/dicom/instances", method: "POST", headers: ["Content-Type": "application/dicom"], body: file)
    }

    static func reason(_ response: ServerProcess.Response) -> String {
        ((response.json as? [String: Any])?["details"] as? [String: String])?["reason"] ?? ""
    }

    @Test func aCrashingParserCostsOneUploadAndTheServerStaysUp() async throws {
        let dataDir = CommandLineTests.temporary("-crash")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let server = try await ServerProcess(dataDir: dataDir)
        defer { server.stop() }
        let pid = server.process.processIdentifier
        #expect(!Self.workers(of: pid).isEmpty, "serve starts (and checks) a worker before it is ready")

        let slow = Self.slowFile()
        let base = server.base
        let upload = Task { try await Self.upload(to: base, slow) }
        // Wait for the worker to be busy with the file, then crash it as a parser bug would.
        var killed = false
        for _ in 0..<200 where !killed {
            try await Task.sleep(for: .milliseconds(25))
            for worker in Self.workers(of: pid) where Self.cpuTicks(worker) > 20 {
                kill(worker, SIGSEGV)
                killed = true
            }
        }
        #expect(killed, "no busy worker was found")
        let response = try await upload.value
        #expect(response.status == 422)
        #expect(Self.reason(response).contains("SIGSEGV"), "\(Self.reason(response))")

        // The same server, its catalog untouched, takes the next upload with a fresh worker.
        #expect(server.process.isRunning)
        let ct = try Data(contentsOf: ServeEndToEndTests.corpus.appendingPathComponent("pydicom/CT_small.dcm"))
        #expect(try await Self.upload(server, ct).status == 200)
        let studies = try #require(try await server.get("/api/v1/dicom/studies").json as? [String: Any])
        #expect(studies["total"] as? Int == 1, "only the good upload is stored")
    }

    /// A real abort, not a simulated one: Debian 12's OpenJPEG 2.5.0 asserts in its HTJ2K decoder
    /// (`mel_init`) on this 251-byte codestream our htj2k fuzz target made. The upload costs its worker,
    /// is refused with the signal named, and the server goes on.
    @Test func anUpstreamDecoderAbortCostsOneUpload() async throws {
        let dataDir = CommandLineTests.temporary("-abort")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let server = try await ServerProcess(dataDir: dataDir)
        defer { server.stop() }
        var codestream = [UInt8](try Data(contentsOf: FuzzReplayTests.fixtures.appendingPathComponent("htj2k-openjpeg-mel-assert.j2c")))
        if codestream.count % 2 == 1 { codestream.append(0) }
        typealias H = HostileFiles
        let uid = "1.2.826.0.1.3680043.8.498.251"
        let file = H.file(
            H.identity(uid: uid) + H.imagePixel(rows: 16, columns: 16, bits: 8) + H.encapsulated([codestream]),
            transferSyntax: "1.2.840.10008.1.2.4.201",
            uid: uid
        )
        let response = try await Self.upload(server, Data(file))
        #expect(response.status == 422)
        // SIGABRT, or SIGXFSZ when the assertion message goes to a log file (as here) under the worker's
        // zero file-size limit.
        #expect(["SIGABRT", "SIGXFSZ"].contains { Self.reason(response).contains($0) }, "\(Self.reason(response))")
        #expect(server.process.isRunning)
        let ct = try Data(contentsOf: ServeEndToEndTests.corpus.appendingPathComponent("pydicom/CT_small.dcm"))
        #expect(try await Self.upload(server, ct).status == 200)
    }

    @Test func aFileOverItsCPUTimeIsRejectedWhileQueriesStayFast() async throws {
        let dataDir = CommandLineTests.temporary("-cpu")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let server = try await ServerProcess(dataDir: dataDir, arguments: ["--parse-cpu-seconds", "1"])
        defer { server.stop() }
        let slow = Self.slowFile()
        let base = server.base
        let upload = Task { try await Self.upload(to: base, slow) }
        try await Task.sleep(for: .milliseconds(300))
        let clock = ContinuousClock()
        let start = clock.now
        #expect(try await server.get("/dicomweb/studies").status == 200)
        #expect(clock.now - start < .seconds(1), "a query while a worker burns its CPU allowance")
        let response = try await upload.value
        #expect(response.status == 422)
        #expect(Self.reason(response).contains("CPU-time limit"), "\(Self.reason(response))")
        #expect(server.process.isRunning)
    }

    /// The unit's `SystemCallFilter=` lines applied with libseccomp (systemd is not PID 1 here): a worker
    /// starts and imports under them; under a filter that also denies prlimit64 it refuses to run.
    @Test(.enabled(if: RequiredTools.runnable([DeploymentTests.systemdAnalyze]), "systemd-analyze is not installed"))
    func workersRunUnderTheUnitsSystemCallFilter() throws {
        try RequiredTools.require([DeploymentTests.systemdAnalyze])
        let script = CommandLineTests.repositoryRoot.appendingPathComponent("Tests/Interop/under_unit_syscall_filter.py").path
        let ct = ServeEndToEndTests.corpus.appendingPathComponent("pydicom/CT_small.dcm").path
        let dataDir = CommandLineTests.temporary("-seccomp")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        let allowed = try DeploymentTests.run(script, [DeploymentTests.unit, "--", CommandLineTests.binary, "import", ct, "--data-dir", dataDir])
        #expect(allowed.status == 0, "\(allowed.error)")
        #expect(allowed.output.contains("1 stored"), "\(allowed.output)")

        let unit = try String(contentsOfFile: DeploymentTests.unit, encoding: .utf8)
            .replacingOccurrences(of: "SystemCallErrorNumber=EPERM", with: "SystemCallFilter=~prlimit64 setrlimit\nSystemCallErrorNumber=EPERM")
        let denying = CommandLineTests.temporary(".service")
        try unit.write(toFile: denying, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: denying) }
        let denied = try DeploymentTests.run(script, [denying, "--", CommandLineTests.binary, "import", ct, "--data-dir", dataDir + "-denied"])
        #expect(denied.status == 1)
        #expect(denied.error.contains("the parse worker cannot run"), "\(denied.error)")
    }

    /// User plus system CPU ticks a process has used.
    static func cpuTicks(_ pid: pid_t) -> Int {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), let close = stat.lastIndex(of: ")") else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 13 else { return 0 }
        return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
    }
}
