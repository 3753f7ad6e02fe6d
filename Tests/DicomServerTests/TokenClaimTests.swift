import Foundation
import JWTKit
import Testing

@testable import DicomServer

/// The token rules at their edges, with the verifier's clock set by the test: the 30 s leeway on both
/// sides, scopes from `scope` or `scp` (string or array, prefixed or not), `aud` as an array, and the
/// subject's presence and length.
@Suite(.timeLimit(.minutes(10)))
struct TokenClaimTests {
    static let secret = Array("a shared HS256 secret of more than thirty-two bytes".utf8)
    static let issued = Date(timeIntervalSince1970: 1_900_000_000)

    /// Claims in every shape identity providers send; nil fields are left out of the token.
    struct Claims: JWTPayload {
        var sub: String?
        var exp: ExpirationClaim = ExpirationClaim(value: TokenClaimTests.issued)
        var nbf: NotBeforeClaim?
        var iss: IssuerClaim? = "https://idp.example"
        var aud: AudienceClaim? = "dicomserve"
        var scope: String?
        var scp: [String]?

        init(sub: String? = "alice", scope: String? = "read") {
            self.sub = sub
            self.scope = scope
        }

        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }

    static func verify(_ claims: Claims, at now: Date) async throws -> Result<Principal, TokenVerifier.Refusal> {
        let keys = JWTKeyCollection()
        await keys.add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        let token = try await keys.sign(claims)
        let verifier = try await TokenVerifier(TokenVerification(hmacSecret: secret, issuer: "https://idp.example", audience: "dicomserve"))
        return await verifier.principal(for: token, now: now)
    }

    @Test func expiryAndNotBeforeHaveThirtySecondsOfLeeway() async throws {
        let claims = Claims()  // expires at `issued`
        #expect(try await Self.verify(claims, at: Self.issued.addingTimeInterval(29)).isSuccess)
        #expect(try await Self.verify(claims, at: Self.issued.addingTimeInterval(30)).reason == "token expired")
        var early = Claims()
        early.exp = ExpirationClaim(value: Self.issued.addingTimeInterval(3600))
        early.nbf = NotBeforeClaim(value: Self.issued)
        #expect(try await Self.verify(early, at: Self.issued.addingTimeInterval(-29)).isSuccess)
        #expect(try await Self.verify(early, at: Self.issued.addingTimeInterval(-31)).reason == "token not valid yet")
    }

    @Test func scopesComeFromScopeOrScpInEitherForm() async throws {
        let now = Self.issued.addingTimeInterval(-60)
        var scpArray = Claims(scope: nil)
        scpArray.scp = ["read", "dicomserve:write"]
        let cases: [(Claims, Set<AccessScope>)] = [
            (Claims(scope: "openid dicomserve:read admin"), [.read, .admin]),
            (Claims(scope: "read write"), [.read, .write]),
            (scpArray, [.read, .write]),
            (Claims(scope: "openid profile other:admin"), []),
        ]
        for (claims, scopes) in cases {
            let principal = try await Self.verify(claims, at: now).principal
            #expect(principal?.scopes == scopes, "\(claims.scope ?? "") \(claims.scp ?? [])")
        }
    }

    @Test func anAudienceArrayMustContainOurs() async throws {
        let now = Self.issued.addingTimeInterval(-60)
        var listed = Claims()
        listed.aud = AudienceClaim(value: ["https://other.example", "dicomserve"])
        #expect(try await Self.verify(listed, at: now).isSuccess)
        var absent = Claims()
        absent.aud = AudienceClaim(value: ["https://other.example", "pacs"])
        #expect(try await Self.verify(absent, at: now).reason == "token audience is not accepted")
        var none = Claims()
        none.aud = nil
        #expect(try await Self.verify(none, at: now).reason == "token audience is not accepted")
    }

    @Test func theSubjectIsRequiredAndBounded() async throws {
        let now = Self.issued.addingTimeInterval(-60)
        #expect(try await Self.verify(Claims(sub: nil), at: now).reason == "malformed token", "a token without sub")
        #expect(try await Self.verify(Claims(sub: ""), at: now).reason == "token subject is missing or over 256 characters")
        #expect(
            try await Self.verify(Claims(sub: String(repeating: "x", count: 257)), at: now).reason
                == "token subject is missing or over 256 characters"
        )
        #expect(try await Self.verify(Claims(sub: String(repeating: "x", count: 256)), at: now).principal?.name.count == 256)
    }
}

extension Result where Success == Principal, Failure == TokenVerifier.Refusal {
    var isSuccess: Bool { principal != nil }
    var principal: Principal? { try? get() }
    var reason: String? {
        if case .failure(let refusal) = self { return refusal.reason }
        return nil
    }
}
