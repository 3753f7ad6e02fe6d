import DicomServer
import Foundation

/// The authentication part of `serve`'s configuration: API keys from a file and/or inline entries, and
/// token keys from files (secrets never come from flags or the environment directly, where `ps` and
/// `/proc` would show them; the inline API keys are digests, not keys).
struct AuthenticationSettings {
    var apiKeysFile: String?
    var apiKeys: [String]
    var jwtSecretFile: String?
    var jwtPublicKeyFiles: [String]
    var jwtIssuer: String?
    var jwtAudience: String?

    init(_ reader: SettingsReader) throws {
        apiKeysFile = try reader.string(ServeSettings.apiKeysFile)
        apiKeys = try reader.strings(ServeSettings.apiKeys) ?? []
        jwtSecretFile = try reader.string(ServeSettings.jwtSecretFile)
        jwtPublicKeyFiles = try reader.strings(ServeSettings.jwtPublicKeyFiles) ?? []
        jwtIssuer = try reader.string(ServeSettings.jwtIssuer)
        jwtAudience = try reader.string(ServeSettings.jwtAudience)
    }

    /// nil when nothing is configured: authentication off.
    func authenticator() async throws -> Authenticator? {
        var entries: [APIKeyStore.Entry] = []
        do {
            if let apiKeysFile {
                entries += try APIKeyStore(parsing: try Self.read(apiKeysFile, what: "API keys file"), source: apiKeysFile).entries
            }
            for (index, entry) in apiKeys.enumerated() {
                entries.append(try APIKeyStore.entry(entry, source: "api-keys", line: index + 1))
            }
        } catch let error as APIKeyStore.ParseError {
            throw CommandFailure.usage("api keys: \(error)")
        }
        if Set(entries.map(\.name)).count != entries.count { throw CommandFailure.usage("api keys: a name is used twice") }

        var tokens: TokenVerifier?
        if jwtSecretFile != nil || !jwtPublicKeyFiles.isEmpty {
            var verification = TokenVerification(issuer: jwtIssuer, audience: jwtAudience)
            if let jwtSecretFile {
                // A trailing newline is what editors and `echo` add, not part of the secret.
                var secret = Array(try Self.read(jwtSecretFile, what: "JWT secret file").utf8)
                while secret.last == UInt8(ascii: "\n") || secret.last == UInt8(ascii: "\r") { secret.removeLast() }
                verification.hmacSecret = secret
            }
            verification.publicKeysPEM = try jwtPublicKeyFiles.map { try Self.read($0, what: "JWT public key file") }
            do {
                tokens = try await TokenVerifier(verification)
            } catch let error as TokenVerifier.ConfigurationError {
                throw CommandFailure.usage("bearer tokens: \(error)")
            }
        }
        guard !entries.isEmpty || tokens != nil else { return nil }
        return Authenticator(apiKeys: APIKeyStore(entries: entries), tokens: tokens)
    }

    static func summary(_ authenticator: Authenticator) -> String {
        var parts = ["\(authenticator.apiKeys.entries.count) API keys"]
        if let tokens = authenticator.tokens { parts.append("tokens \(tokens.algorithms.joined(separator: "/"))") }
        return parts.joined(separator: ", ")
    }

    static func read(_ path: String, what: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CommandFailure.usage("cannot read the \(what) \(path): \(FileProblem.reason(path))")
        }
        guard let text = String(validating: data, as: UTF8.self) else {
            throw CommandFailure.usage("the \(what) \(path) is not UTF-8 text")
        }
        return text
    }
}
