import Crypto
import DicomStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import DicomServer

/// The budget model at its default settings (README "Rate limits"), through the real router: a viewer
/// scrolling a large series is never refused, a client hammering the server is, and so is one guessing
/// credentials, before its guesses are even checked.
@Suite(.timeLimit(.minutes(10)))
struct ViewerBudgetTests {
    /// What OHIF does when a 2,000-image series is opened: the study and series searches, the series
    /// metadata, then one request per image. Here every image is the same cached one: what is measured is
    /// the budget, not the renderer.
    static func openSeries(_ client: some TestClientProtocol, study: String, image: String, images: Int) async throws -> [HTTPResponse.Status] {
        var statuses: [HTTPResponse.Status] = []
        for uri in ["/dicomweb/studies?limit=25", "/dicomweb/studies/\(study)/series", "/dicomweb/studies/\(study)/metadata"] {
            statuses.append(try await client.execute(uri: uri, method: .get) { $0.status })
        }
        for index in 0..<images {
            let uri = "/api/v1/dicom/images/\(image)/rendered?window=400&level=\(index % 4)"
            statuses.append(try await client.execute(uri: uri, method: .get) { $0.status })
        }
        return statuses
    }

    static func withDefaults(
        authenticator: Authenticator? = nil,
        _ body: @Sendable (any TestClientProtocol, String, String) async throws -> Void
    ) async throws {
        var configuration = ServerConfiguration(version: "test")
        configuration.rateLimits = .default
        configuration.authenticator = authenticator
        try await JSONAPITests.withRouter(files: ["pydicom/CT_small.dcm"], configuration: configuration) { router, catalog in
            let study = try #require(try catalog.studies(matching: .init()).rows.first?.studyInstanceUID)
            let image = try #require(try catalog.instances(inSeries: nil).first?.sopInstanceUID)
            try await Application(router: router).test(.router) { client in try await body(client, study, image) }
        }
    }

    @Test func aViewerOpeningA2000ImageSeriesTwiceInAMinuteIsNeverRefused() async throws {
        try await Self.withDefaults { client, study, image in
            for _ in 0..<2 {
                let statuses = try await Self.openSeries(client, study: study, image: image, images: 2_000)
                #expect(statuses.allSatisfy { $0 == .ok }, "\(Set(statuses.map(\.code)))")
            }
        }
    }

    @Test func aClientSendingTenTimesThatIsLimited() async throws {
        try await Self.withDefaults { client, _, image in
            // 10 × 4,000 requests a minute is what the budget must stop; it stops at the viewing budget
            // (10,000 per minute), so the loop ends well before 40,000.
            var allowed = 0
            var refused: TestResponse?
            let start = ContinuousClock.now
            while refused == nil, allowed < 40_000 {
                let response = try await client.execute(uri: "/api/v1/dicom/images/\(image)/rendered", method: .get) { $0 }
                if response.status == .tooManyRequests { refused = response } else { allowed += 1 }
            }
            let response = try #require(refused, "40,000 renders in a minute were all allowed")
            // The budget refills at 10,000 a minute while the loop runs.
            let refilled = Int((ContinuousClock.now - start) / .seconds(60) * 10_000) + 1
            #expect(allowed >= 10_000 && allowed <= 10_000 + refilled, "refused after the viewing budget, not before: \(allowed)")
            try JSONAPITests.expectErrorBody(response, status: .tooManyRequests, path: "/api/v1/dicom/images/\(image)/rendered")
            #expect(response.headers[.retryAfter].flatMap(Int.init) ?? 0 >= 1)
            // Other classes keep their own budgets: a search still answers.
            try await client.execute(uri: "/dicomweb/studies", method: .get) { #expect($0.status == .ok) }
        }
    }

    @Test func aThousandFailedAuthenticationsAreLimitedBeforeTheCredentialsAreChecked() async throws {
        let key = APIKeyStore.generateKey()
        let keys = APIKeyStore(entries: [.init(name: "reader", scopes: [.read], digest: Array(SHA256.hash(data: Array(key.utf8))))])
        try await Self.withDefaults(authenticator: Authenticator(apiKeys: keys)) { client, _, _ in
            let start = ContinuousClock.now
            var statuses: [HTTPResponse.Status: Int] = [:]
            for attempt in 1...1_000 {
                let status = try await client.execute(
                    uri: "/dicomweb/studies",
                    method: .get,
                    headers: [.authorization: "Bearer dsk_guess-\(attempt)"]
                ) {
                    $0.status
                }
                statuses[status, default: 0] += 1
            }
            // 100 failures a minute per address, plus what refilled while the loop ran; the rest refused.
            let refilled = Int((ContinuousClock.now - start) / .seconds(60) * 100) + 1
            let checked = statuses[.unauthorized, default: 0]
            #expect(checked >= 100 && checked <= 100 + refilled, "\(statuses)")
            #expect(statuses[.tooManyRequests, default: 0] == 1_000 - checked, "\(statuses)")
            // The 1,001st guess, and even the right key from the same address, wait for the budget to refill.
            for authorization in ["Bearer dsk_guess-1001", "Bearer \(key)"] {
                try await client.execute(uri: "/dicomweb/studies", method: .get, headers: [.authorization: authorization]) { response in
                    try JSONAPITests.expectErrorBody(response, status: .tooManyRequests, path: "/dicomweb/studies")
                    #expect(response.headers[HTTPField.Name("RateLimit-Policy")!]?.hasPrefix("\"auth-failures\"") == true)
                }
            }
            // Probes stay exempt.
            try await client.execute(uri: "/api/v1/health", method: .get) { #expect($0.status == .ok) }
        }
    }
}
