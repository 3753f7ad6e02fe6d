/// What a caller may do. Every protected route needs exactly one scope (see `AccessPolicy`); scopes do
/// not imply one another, so a key for an upload robot cannot read studies unless it is given `read`.
public enum AccessScope: String, Sendable, Hashable, CaseIterable, Codable {
    /// Query, metadata, render, retrieve.
    case read
    /// Ingest (STOW-RS, `POST /api/v1/dicom/instances`).
    case write
    /// Clear the caches, read the ingestion log and the audit log.
    case admin

    /// Parses `read,write`, `read write` or `read+write`, refusing unknown names.
    public static func parseList(_ text: some StringProtocol) -> Set<AccessScope>? {
        var scopes: Set<AccessScope> = []
        for name in text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "+" }) {
            guard let scope = AccessScope(rawValue: name.lowercased()) else { return nil }
            scopes.insert(scope)
        }
        return scopes
    }
}

/// An authenticated caller: an API key or the subject of a verified token.
public struct Principal: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case apiKey = "key"
        case token
    }

    public var kind: Kind
    public var name: String
    public var scopes: Set<AccessScope>

    public init(kind: Kind, name: String, scopes: Set<AccessScope>) {
        self.kind = kind
        self.name = name
        self.scopes = scopes
    }

    /// How audit rows, logs and rate limits name the caller: `key:viewer`, `token:alice`.
    public var identifier: String { "\(kind.rawValue):\(name)" }
}

/// What authentication concluded about a request, before any route decides whether that is enough.
public enum Authentication: Sendable, Equatable {
    /// Authentication is off (loopback development or `--insecure-no-auth`): everything is allowed.
    case disabled
    /// No credentials were sent.
    case anonymous
    /// Credentials were sent and verified.
    case authenticated(Principal)
    /// Credentials were sent and refused; the reason goes into the 401 body.
    case rejected(String)

    public var principal: Principal? {
        if case .authenticated(let principal) = self { principal } else { nil }
    }
}
