import Crypto
import DicomArchive
import DicomStorage
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import JWTKit
import Testing
import _CryptoExtras

@testable import DicomServer

/// Authentication (API keys, HS256/RS256/ES256 tokens), authorisation by scope and the audit rows each
/// decision leaves, over the real router, catalog and files.
@Suite(.timeLimit(.minutes(10)))
struct AuthTests {
    static let readerKey = APIKeyStore.generateKey()
    static let uploaderKey = APIKeyStore.generateKey()
    static let adminKey = APIKeyStore.generateKey()
    static let secret = Array("a shared HS256 secret of more than thirty-two bytes".utf8)

    /// Signing keys the tests hold; the server is given the public halves.
    struct Signers: Sendable {
        let hmac = JWTKeyCollection()
        let forgedHMAC = JWTKeyCollection()
        let ecdsa = JWTKeyCollection()
        let rsa = JWTKeyCollection()
        let ecdsaPEM: String
        let rsaPEM: String

        init() async throws {
            await hmac.add(hmac: HMACKey(from: AuthTests.secret), digestAlgorithm: .sha256)
            await forgedHMAC.add(hmac: HMACKey(from: Array("another secret, also more than thirty-two bytes".utf8)), digestAlgorithm: .sha256)
            let ecdsaKey = ES256PrivateKey()
            ecdsaPEM = ecdsaKey.publicKey.pemRepresentation
            await ecdsa.add(ecdsa: ecdsaKey)
            let rsaKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            rsaPEM = rsaKey.publicKey.pemRepresentation
            await rsa.add(rsa: try Insecure.RSA.PrivateKey(pem: rsaKey.pemRepresentation), digestAlgorithm: .sha256)
        }
    }

    struct Claims: JWTPayload {
        var sub: SubjectClaim
        var exp: ExpirationClaim
        var nbf: NotBeforeClaim?
        var iss: IssuerClaim? = "https://idp.example"
        var aud: AudienceClaim? = "dicomserve"
        var scope: String?

        init(sub: String = "alice", expiresIn: TimeInterval = 300, notBefore: TimeInterval? = nil, scope: String? = "openid dicomserve:read") {
            self.sub = SubjectClaim(value: sub)
            exp = ExpirationClaim(value: Date().addingTimeInterval(expiresIn))
            nbf = notBefore.map { NotBeforeClaim(value: Date().addingTimeInterval($0)) }
            self.scope = scope
        }

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    static func authenticator(_ signers: Signers) async throws -> Authenticator {
        let keys = APIKeyStore(entries: [
            .init(name: "reader", scopes: [.read], digest: Array(SHA256.hash(data: Array(readerKey.utf8)))),
            .init(name: "uploader", scopes: [.write], digest: Array(SHA256.hash(data: Array(uploaderKey.utf8)))),
            .init(name: "auditor", scopes: [.admin, .read], digest: Array(SHA256.hash(data: Array(adminKey.utf8)))),
        ])
        let tokens = try await TokenVerifier(
            TokenVerification(
                hmacSecret: secret,
                publicKeysPEM: [signers.ecdsaPEM, signers.rsaPEM],
                issuer: "https://idp.example",
                audience: "dicomserve"
            )
        )
        return Authenticator(apiKeys: keys, tokens: tokens)
    }

    static func withClient(
        rateLimits: RateLimits? = nil,
        _ body: @Sendable (any TestClientProtocol, Signers, String) async throws -> Void
    ) async throws {
        let signers = try await Signers()
        var configuration = ServerConfiguration(version: "test")
        configuration.authenticator = try await authenticator(signers)
        configuration.rateLimits = rateLimits
        try await JSONAPITests.withRouter(configuration: configuration) { router, catalog in
            let study = try #require(try catalog.studies(matching: .init()).rows.first?.studyInstanceUID)
            try await Application(router: router).test(.router) { client in try await body(client, signers, study) }
        }
    }

    static func bearer(_ credential: String) -> HTTPFields { [.authorization: "Bearer \(credential)"] }

    /// The newest audit rows, read through the admin route.
    static func audit(_ client: some TestClientProtocol, _ query: String = "") async throws -> [[String: Any]] {
        try await client.execute(uri: "/api/v1/audit?\(query)", method: .get, headers: bearer(adminKey)) { response in
            #expect(response.status == .ok)
            return try #require(try JSONAPITests.json(response.body)["entries"] as? [[String: Any]])
        }
    }

    @Test func missingOrUnknownCredentialsAre401WithTheErrorBody() async throws {
        try await Self.withClient { client, _, study in
            try await client.execute(uri: "/dicomweb/studies/\(study)/metadata", method: .get) { response in
                try JSONAPITests.expectErrorBody(response, status: .unauthorized, path: "/dicomweb/studies/\(study)/metadata")
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            }
            try await client.execute(uri: "/dicomweb/studies", method: .get, headers: Self.bearer("dsk_not-a-key")) { response in
                #expect(response.status == .unauthorized)
                let details = try JSONAPITests.json(response.body)["details"] as? [String: String]
                #expect(details == ["reason": "unknown API key"])
            }
            try await client.execute(uri: "/dicomweb/studies", method: .get, headers: [.authorization: "Basic dXNlcjpwYXNz"]) {
                #expect($0.status == .unauthorized)
            }
            // Unmatched paths do not tell strangers what exists.
            try await client.execute(uri: "/no/such/route", method: .get) { #expect($0.status == .unauthorized) }
            // Probes and scrapers need no credentials.
            try await client.execute(uri: "/api/v1/health", method: .get) { #expect($0.status == .ok) }

            // Refusals are aggregated: one row per client, route and status per interval, with a count.
            let rows = try await Self.audit(client, "status=401")
            #expect(rows.reduce(0) { $0 + ($1["count"] as? Int ?? 0) } == 4)
            #expect(rows.count == 3, "the two refusals on /dicomweb/studies share a row")
            let metadata = try #require(rows.first { $0["route"] as? String == "/dicomweb/studies/{study}/metadata" })
            #expect(metadata["principal"] == nil)
            #expect(metadata["study_instance_uid"] as? String == study)
        }
    }

    @Test func apiKeysGrantTheirScopesOnly() async throws {
        try await Self.withClient { client, _, study in
            try await client.execute(uri: "/dicomweb/studies/\(study)/metadata", method: .get, headers: Self.bearer(Self.readerKey)) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/dicomweb/studies", method: .get, headers: [HTTPField.Name("X-API-Key")!: Self.readerKey]) {
                #expect($0.status == .ok)
            }
            try await client.execute(uri: "/dicomweb/studies", method: .get, headers: Self.bearer(Self.uploaderKey)) { response in
                try JSONAPITests.expectErrorBody(response, status: .forbidden, path: "/dicomweb/studies")
                let details = try JSONAPITests.json(response.body)["details"] as? [String: String]
                #expect(details == ["principal": "key:uploader", "required_scope": "read"])
            }
            try await client.execute(uri: "/dicomweb/studies", method: .post, headers: Self.bearer(Self.readerKey)) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/api/v1/dicom/clear-cache", method: .post, headers: Self.bearer(Self.readerKey)) {
                #expect($0.status == .forbidden)
            }
            try await client.execute(uri: "/api/v1/audit", method: .get, headers: Self.bearer(Self.readerKey)) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/api/v1/dicom/ingestions", method: .get, headers: Self.bearer(Self.adminKey)) { #expect($0.status == .ok) }

            let rows = try await Self.audit(client, "principal=key:reader")
            #expect(rows.map { $0["status"] as? Int } == [403, 403, 403, 200, 200])
            let metadata = try #require(rows.last)
            #expect(metadata["route"] as? String == "/dicomweb/studies/{study}/metadata")
            #expect(metadata["study_instance_uid"] as? String == study)
            #expect(metadata["method"] as? String == "GET")
            #expect(try await Self.audit(client, "principal=key:uploader").map { $0["status"] as? Int } == [403])
        }
    }

    @Test func validTokensOfEachAlgorithmAreAccepted() async throws {
        try await Self.withClient { client, signers, _ in
            for (collection, subject) in [(signers.hmac, "hs"), (signers.ecdsa, "es"), (signers.rsa, "rs")] {
                let token = try await collection.sign(Claims(sub: subject))
                try await client.execute(uri: "/dicomweb/studies?PatientID=x", method: .get, headers: Self.bearer(token)) {
                    #expect($0.status == .ok, "\(subject)")
                }
            }
            let rows = try await Self.audit(client, "status=200&limit=3")
            #expect(Set(rows.compactMap { $0["principal"] as? String }) == ["token:hs", "token:es", "token:rs"])
            #expect(rows.allSatisfy { $0["query"] as? String == "PatientID=x" })
        }
    }

    @Test func badTokensAre401WithTheReason() async throws {
        try await Self.withClient { client, signers, _ in
            let none =
                ["{\"alg\":\"none\",\"typ\":\"JWT\"}", "{\"sub\":\"mallory\",\"exp\":9999999999,\"scope\":\"read\"}"]
                .map { Data($0.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "") }.joined(separator: ".") + "."
            var wrongIssuer = Claims()
            wrongIssuer.iss = "https://evil.example"
            var wrongAudience = Claims()
            wrongAudience.aud = "another-service"
            let cases: [(String, String)] = [
                (try await signers.hmac.sign(Claims(expiresIn: -120)), "token expired"),
                (try await signers.hmac.sign(Claims(notBefore: 600)), "token not valid yet"),
                (try await signers.forgedHMAC.sign(Claims()), "token signature is invalid"),
                (try await signers.hmac.sign(wrongIssuer), "token issuer is not accepted"),
                (try await signers.hmac.sign(wrongAudience), "token audience is not accepted"),
                (none, "tokens signed with none are not accepted"),
                ("a.b.c", "malformed token"),
            ]
            for (token, reason) in cases {
                try await client.execute(uri: "/dicomweb/studies", method: .get, headers: Self.bearer(token)) { response in
                    #expect(response.status == .unauthorized, "\(reason)")
                    let details = try JSONAPITests.json(response.body)["details"] as? [String: String]
                    #expect(details == ["reason": reason])
                }
            }
            // A valid token without the route's scope.
            let uploader = try await signers.ecdsa.sign(Claims(sub: "robot", scope: "dicomserve:write"))
            try await client.execute(uri: "/dicomweb/studies", method: .get, headers: Self.bearer(uploader)) { #expect($0.status == .forbidden) }

            let refused = try await Self.audit(client, "status=401")
            #expect(refused.count == 1 && refused.first?["count"] as? Int == cases.count, "one aggregated row for the guesses")
            #expect(refused.allSatisfy { $0["principal"] == nil && $0["route"] as? String == "/dicomweb/studies" })
            #expect(try await Self.audit(client, "principal=token:robot").map { $0["status"] as? Int } == [403])
        }
    }

    /// Authenticated clients have budgets of their own: the reader's exhausted budget is not the
    /// uploader's or a token's, though all come from the same address.
    @Test func budgetsAreKeptPerPrincipal() async throws {
        let limits = RateLimits(
            standard: RateLimitPolicy(name: "default", limit: 3, window: .seconds(60)),
            ingest: RateLimitPolicy(name: "ingest", limit: 3, window: .seconds(60))
        )
        try await Self.withClient(rateLimits: limits) { client, signers, _ in
            func status(_ credential: String) async throws -> HTTPResponse.Status {
                try await client.execute(uri: "/dicomweb/studies", method: .get, headers: Self.bearer(credential)) { $0.status }
            }
            for _ in 0..<3 { #expect(try await status(Self.readerKey) == .ok) }
            #expect(try await status(Self.readerKey) == .tooManyRequests, "the reader's fourth request of three")
            #expect(try await status(Self.adminKey) == .ok, "another key from the same address has its own budget")
            let token = try await signers.hmac.sign(Claims(sub: "carol"))
            #expect(try await status(token) == .ok, "and so has a token's subject")
        }
    }

    @Test func auditFiltersAreValidated() async throws {
        try await Self.withClient { client, _, _ in
            try await client.execute(uri: "/api/v1/audit?since=yesterday", method: .get, headers: Self.bearer(Self.adminKey)) {
                try JSONAPITests.expectErrorBody($0, status: .badRequest, path: "/api/v1/audit")
            }
            try await client.execute(uri: "/api/v1/audit?limit=0", method: .get, headers: Self.bearer(Self.adminKey)) {
                #expect($0.status == .badRequest)
            }
            #expect(try await Self.audit(client, "since=2000-01-01&until=2000-01-02").isEmpty)
        }
    }

    @Test func keyFilesParseAndRefuseMistakesByLine() throws {
        let digest = APIKeyStore.digestHex(of: "k")
        let store = try APIKeyStore(parsing: "# viewers\nviewer read \(digest)\n\nrobot read,write \(digest) # upload robot\n", source: "keys")
        #expect(store.entries.map(\.name) == ["viewer", "robot"])
        #expect(store.entries[1].scopes == [.read, .write])
        #expect(throws: APIKeyStore.ParseError(source: "keys", line: 2, reason: "scopes are a comma-separated list of read, write, admin")) {
            try APIKeyStore(parsing: "a read \(digest)\nb delete \(digest)", source: "keys")
        }
        #expect(throws: APIKeyStore.ParseError.self) { try APIKeyStore(parsing: "a read abc", source: "keys") }
        #expect(throws: APIKeyStore.ParseError.self) { try APIKeyStore(parsing: "a read \(digest)\na write \(digest)", source: "keys") }
        #expect(try APIKeyStore.entry("ci:read+write:\(digest)").scopes == [.read, .write])
        #expect(store.principal(forKey: "k")?.identifier == "key:robot", "the last matching line wins; every line is compared")
        #expect(store.principal(forKey: "K") == nil)
    }

    @Test func everyRouteHasADeliberateRule() {
        func rule(_ method: HTTPRequest.Method, _ route: String) -> AccessPolicy.Rule { AccessPolicy.rule(method: method, route: route, path: route) }
        #expect(AccessPolicy.rule(method: .get, route: "/api/v1/health", path: "/api/v1/health").scope == nil)
        #expect(AccessPolicy.rule(method: .get, route: "/metrics", path: "/metrics").scope == nil)
        #expect(AccessPolicy.rule(method: .options, route: nil, path: "/dicomweb/studies").scope == nil)
        #expect(rule(.post, "/dicomweb/studies/{study}").scope == .write)
        #expect(rule(.post, "/api/v1/dicom/clear-cache").scope == .admin)
        #expect(rule(.get, "/dicomweb/studies/{study}/series/{series}/instances/{instance}/rendered") == .init(scope: .read, audited: true))
        #expect(rule(.get, "/api/v1/dicom/presets") == .init(scope: .read, audited: false))
        #expect(AccessPolicy.rule(method: .delete, route: nil, path: "/anything").scope == .read, "unknown routes are protected")
    }
}
