import Foundation
import Synchronization
import Testing

@testable import DicomArchive

/// The render pool drops work whose request went away before a thread was free for it.
@Suite(.timeLimit(.minutes(10)))
struct WorkPoolTests {
    @Test func cancelledWaitingWorkNeverRuns() async throws {
        let pool = WorkPool(threads: 1)
        let gate = DispatchSemaphore(value: 0)
        let ran = Atomic(false)
        let blocker = Task { try await pool.run { gate.wait() } }
        while pool.load == 0 { try await Task.sleep(for: .milliseconds(5)) }
        let waiting = Task { try await pool.run { ran.store(true, ordering: .relaxed) } }
        while pool.load < 2 { try await Task.sleep(for: .milliseconds(5)) }
        waiting.cancel()
        gate.signal()
        try await blocker.value
        await #expect(throws: CancellationError.self) { try await waiting.value }
        let didRun = ran.load(ordering: .relaxed)
        #expect(!didRun, "the cancelled job's body did not run")
        try await pool.shutdown()
    }
}
