import DicomServer
import Foundation
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import DicomArchive

/// A full render pool answers 503 with Retry-After and the JSON error body at once, instead of
/// queueing without bound; once work drains, renders are served again.
@Suite(.timeLimit(.minutes(10)))
struct OverloadTests {
    final class Gate: Sendable {
        let isOpen = Atomic(false)
    }

    @Test func aFullRenderPoolIs503WithRetryAfter() async throws {
        let pool = WorkPool(threads: 1, queueLimit: 2)
        try await JSONAPITests.withArchive(files: ["pydicom/CT_small.dcm"], pool: pool) { router, archive in
            let row = try #require(try archive.catalog.instances(inSeries: nil).first)
            // Two jobs that hold the pool (one running, one waiting) until released.
            let gate = Gate()
            let holders = (0..<2).map { _ in
                Task { try await pool.run { while !gate.isOpen.load(ordering: .relaxed) { usleep(1_000) } } }
            }
            let deadline = ContinuousClock.now + .seconds(30)
            while pool.load < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(1)) }
            try #require(pool.load == 2, "the pool is full")
            let path = "/api/v1/dicom/images/\(row.sopInstanceUID)/rendered?window=400&level=40"
            try await Application(router: router).test(.router) { client in
                try await client.execute(uri: path, method: .get) { response in
                    try JSONAPITests.expectErrorBody(response, status: .serviceUnavailable, path: String(path.prefix { $0 != "?" }))
                    #expect(response.headers[.retryAfter] == "1")
                }
                gate.isOpen.store(true, ordering: .relaxed)
                for holder in holders { try await holder.value }
                try await client.execute(uri: path, method: .get) { response in
                    #expect(response.status == .ok, "served again once the pool drained")
                }
            }
        }
    }
}
