import Foundation
import JWTKit

/// How bearer tokens (JWT) are checked: the keys, and the issuer and audience they must name.
public struct TokenVerification: Sendable {
    /// The HS256 shared secret.
    public var hmacSecret: [UInt8]?
    /// PEM public keys: RSA (RS256) and EC P-256 (ES256), at most one of each.
    public var publicKeysPEM: [String]
    /// The `iss` a token must carry, when set.
    public var issuer: String?
    /// A value the token's `aud` must contain, when set.
    public var audience: String?
    /// Clock difference tolerated for `exp` and `nbf`.
    public var leeway: TimeInterval

    public init(hmacSecret: [UInt8]? = nil, publicKeysPEM: [String] = [], issuer: String? = nil, audience: String? = nil, leeway: TimeInterval = 30) {
        self.hmacSecret = hmacSecret
        self.publicKeysPEM = publicKeysPEM
        self.issuer = issuer
        self.audience = audience
        self.leeway = leeway
    }
}

/// Verifies JWT bearer tokens with jwt-kit and turns their claims into a `Principal`.
///
/// The algorithm named in a token's header chooses among the configured keys and must be one of theirs:
/// `none`, or HS256 signed with a public key as the secret, find no key and are refused before any
/// signature is looked at. Tokens must carry `sub` and `exp`; scopes come from `scope` (space-separated,
/// RFC 8693) or `scp` (a string or an array), as `read`, `write`, `admin`, optionally prefixed
/// `dicomserve:` or `dicomserve.`; other scopes an identity provider adds are ignored.
public struct TokenVerifier: Sendable {
    /// A configuration that cannot be used (a bad PEM, two keys of one kind).
    public struct ConfigurationError: Error, CustomStringConvertible {
        public var description: String
    }

    private let keys: [String: JWTKeyCollection]
    private let configuration: TokenVerification

    public init(_ configuration: TokenVerification) async throws {
        var keys: [String: JWTKeyCollection] = [:]
        if let secret = configuration.hmacSecret {
            guard secret.count >= 32 else { throw ConfigurationError(description: "the HS256 secret must be at least 32 bytes") }
            keys["HS256"] = await JWTKeyCollection().add(hmac: HMACKey(from: secret), digestAlgorithm: .sha256)
        }
        for pem in configuration.publicKeysPEM {
            let (algorithm, collection): (String, JWTKeyCollection)
            if let key = try? ES256PublicKey(pem: pem) {
                (algorithm, collection) = ("ES256", await JWTKeyCollection().add(ecdsa: key))
            } else if let key = try? Insecure.RSA.PublicKey(pem: pem) {
                (algorithm, collection) = ("RS256", await JWTKeyCollection().add(rsa: key, digestAlgorithm: .sha256))
            } else {
                throw ConfigurationError(description: "not an RSA (2048 bits or more) or EC P-256 public key in PEM form")
            }
            guard keys[algorithm] == nil else { throw ConfigurationError(description: "more than one \(algorithm) key") }
            keys[algorithm] = collection
        }
        guard !keys.isEmpty else { throw ConfigurationError(description: "no token keys configured") }
        self.keys = keys
        self.configuration = configuration
    }

    /// The algorithms tokens may be signed with.
    public var algorithms: [String] { keys.keys.sorted() }

    /// The principal a token names, or why it is refused (for the 401 body; never the key material).
    public func principal(for token: String, now: Date = Date()) async -> Result<Principal, Refusal> {
        guard let header = Self.header(of: token) else { return .failure(Refusal("malformed token")) }
        guard let collection = keys[header.alg] else {
            return .failure(Refusal("tokens signed with \(header.alg) are not accepted"))
        }
        let claims: AccessTokenClaims
        do {
            claims = try await collection.verify(token, as: AccessTokenClaims.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            return .failure(Refusal("token signature is invalid"))
        } catch {
            return .failure(Refusal("malformed token"))
        }
        if claims.exp.value.addingTimeInterval(configuration.leeway) <= now { return .failure(Refusal("token expired")) }
        if let notBefore = claims.nbf?.value, notBefore.addingTimeInterval(-configuration.leeway) > now {
            return .failure(Refusal("token not valid yet"))
        }
        if let issuer = configuration.issuer, claims.iss?.value != issuer { return .failure(Refusal("token issuer is not accepted")) }
        if let audience = configuration.audience, !(claims.aud?.value.contains(audience) ?? false) {
            return .failure(Refusal("token audience is not accepted"))
        }
        let subject = claims.sub.value
        guard !subject.isEmpty, subject.count <= 256 else { return .failure(Refusal("token subject is missing or over 256 characters")) }
        return .success(Principal(kind: .token, name: subject, scopes: claims.accessScopes))
    }

    /// Why a token was refused.
    public struct Refusal: Error, Sendable, Equatable {
        public var reason: String
        init(_ reason: String) { self.reason = reason }
    }

    private struct Header: Decodable {
        var alg: String
    }

    /// The JOSE header, read before anything is verified so that the algorithm can choose the key.
    private static func header(of token: String) -> Header? {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count <= 4096 else { return nil }
        var base64 = parts[0].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64) else { return nil }
        return try? JSONDecoder().decode(Header.self, from: data)
    }
}

/// The claims dicomserve reads. Time, issuer and audience are checked by `TokenVerifier` (with leeway and
/// the configured values), so `verify(using:)` has nothing left to do.
struct AccessTokenClaims: JWTPayload {
    var sub: SubjectClaim
    var exp: ExpirationClaim
    var nbf: NotBeforeClaim?
    var iss: IssuerClaim?
    var aud: AudienceClaim?
    var scope: String?
    var scp: ScopeList?

    func verify(using algorithm: some JWTAlgorithm) async throws {}

    var accessScopes: Set<AccessScope> {
        let names = (scope?.split(separator: " ").map(String.init) ?? []) + (scp?.values ?? [])
        return Set(
            names.compactMap { name in
                var name = Substring(name.lowercased())
                for prefix in ["dicomserve:", "dicomserve."] where name.hasPrefix(prefix) { name = name.dropFirst(prefix.count) }
                return AccessScope(rawValue: String(name))
            }
        )
    }

    /// `scp` is an array at some identity providers and a space-separated string at others.
    struct ScopeList: Codable, Sendable {
        var values: [String]

        init(from decoder: any Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let list = try? container.decode([String].self) {
                values = list
            } else {
                values = try container.decode(String.self).split(separator: " ").map(String.init)
            }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.singleValueContainer()
            try container.encode(values)
        }
    }
}
