import Foundation
import Testing

/// The benchmark harness's own code (wrk output parsing, goals as ratios, the Markdown report and its
/// charts) on a recorded QUICK run, so that `make bench` cannot rot between runs.
struct BenchmarkHarnessTests {
    static let python = CommandLineTests.repositoryRoot.appendingPathComponent(".testdata/venv/bin/python").path
    static let harness = CommandLineTests.repositoryRoot.appendingPathComponent("benchmarks/harness").path

    @Test func reportAndParsingWorkOnARecordedRun() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.python)
        process.arguments = ["-m", "unittest", "-v", "test_harness"]
        process.currentDirectoryURL = URL(fileURLWithPath: Self.harness)
        process.environment = ProcessInfo.processInfo.environment.merging(["MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"]) { $1 }
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text)")
        #expect(text.contains("OK"))
    }
}
