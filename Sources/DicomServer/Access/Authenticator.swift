import HTTPTypes
import Hummingbird

/// Reads a request's credentials and says who sent it. Credentials are `Authorization: Bearer <value>`
/// or `X-API-Key: <value>`; a value with two dots is a JWT, anything else an API key.
public struct Authenticator: Sendable {
    public let apiKeys: APIKeyStore
    public let tokens: TokenVerifier?

    public init(apiKeys: APIKeyStore = APIKeyStore(entries: []), tokens: TokenVerifier? = nil) {
        self.apiKeys = apiKeys
        self.tokens = tokens
    }

    static let apiKeyHeader = HTTPField.Name("X-API-Key")!

    public func authenticate(_ headers: HTTPFields) async -> Authentication {
        let credential: String
        if let authorization = headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                return .rejected("only Bearer credentials are accepted")
            }
            credential = parts[1].trimmingCharacters(in: .whitespaces)
        } else if let key = headers[Self.apiKeyHeader] {
            credential = key.trimmingCharacters(in: .whitespaces)
        } else {
            return .anonymous
        }
        guard !credential.isEmpty, credential.utf8.count <= 8192 else { return .rejected("malformed credentials") }

        if credential.utf8.lazy.filter({ $0 == UInt8(ascii: ".") }).count == 2 {
            guard let tokens else { return .rejected("bearer tokens are not accepted by this server") }
            switch await tokens.principal(for: credential) {
            case .success(let principal): return .authenticated(principal)
            case .failure(let refusal): return .rejected(refusal.reason)
            }
        }
        guard let principal = apiKeys.principal(forKey: credential) else { return .rejected("unknown API key") }
        return .authenticated(principal)
    }
}
