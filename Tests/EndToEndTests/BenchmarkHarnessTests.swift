import Foundation
import Testing

/// The benchmark harness's own code (wrk output parsing, goals as ratios, the Markdown report and its
/// charts) on a recorded QUICK run, so that `make bench` cannot rot between runs.
@Suite(.timeLimit(.minutes(10)))
struct BenchmarkHarnessTests {
    static let python = CommandLineTests.repositoryRoot.appendingPathComponent(".testdata/venv/bin/python").path
    static let harness = CommandLineTests.repositoryRoot.appendingPathComponent("benchmarks/harness").path

    @Test func reportAndParsingWorkOnARecordedRun() throws {
        let run = try DeploymentTests.run(
            Self.python,
            ["-m", "unittest", "-v", "test_harness"],
            in: Self.harness,
            environment: ["MPLBACKEND": "Agg", "PYTHONDONTWRITEBYTECODE": "1"]
        )
        #expect(run.status == 0, "\(run.output)\n\(run.error)")
        #expect(run.error.contains("OK"), "unittest reports on stderr")
    }
}
