import Foundation
import TestSupport
import Testing

/// The real binary started with an API keys file and a JWT secret file, as an operator configures it:
/// the key `api-key create` printed works, a token signed with the secret (the file's trailing newline
/// not part of it) works, nothing else does.
@Suite(.timeLimit(.minutes(5)))
struct AuthenticatedServerTests {
    /// An HS256 token signed by Python's standard library, not by the code under test.
    static func token(secret: String, subject: String, scope: String) throws -> String {
        let script = """
            import base64, hashlib, hmac, json, sys, time
            def part(value): return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()
            head = part({"alg": "HS256", "typ": "JWT"}) + "." + part({"sub": sys.argv[2], "exp": int(time.time()) + 300, "scope": sys.argv[3]})
            signature = hmac.new(sys.argv[1].encode(), head.encode(), hashlib.sha256).digest()
            print(head + "." + base64.urlsafe_b64encode(signature).rstrip(b"=").decode())
            """
        let run = try TestChildren.runToEnd("/usr/bin/python3", ["-c", script, secret, subject, scope], deadline: .seconds(30))
        return String(decoding: run.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    @Test func keysFileAndSecretFileConfigureTheRealServer() async throws {
        let dataDir = CommandLineTests.temporary("-auth")
        let keys = CommandLineTests.temporary(".keys")
        let secretFile = CommandLineTests.temporary(".secret")
        defer {
            for path in [dataDir, keys, secretFile] { try? FileManager.default.removeItem(atPath: path) }
        }
        let created = try CommandLineTests.dicomserve("api-key", "create", "--name", "viewer", "--scopes", "read", "--append", keys)
        try #require(created.status == 0, "\(created.error)")
        let key = String(decoding: created.output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        let secret = "an operator's HS256 secret, well over thirty-two bytes"
        try Data((secret + "\n").utf8).write(to: URL(fileURLWithPath: secretFile))
        let server = try await ServerProcess(dataDir: dataDir, arguments: ["--api-keys-file", keys, "--jwt-secret-file", secretFile])
        func status(_ headers: [String: String]) async throws -> Int {
            try await ServerProcess.request(server.base + "/dicomweb/studies", headers: headers).status
        }
        #expect(try await status([:]) == 401)
        #expect(try await status(["X-API-Key": key]) == 200)
        #expect(try await status(["Authorization": "Bearer \(key)"]) == 200)
        #expect(try await status(["X-API-Key": key + "x"]) == 401)
        let token = try Self.token(secret: secret, subject: "alice", scope: "dicomserve:read")
        #expect(try await status(["Authorization": "Bearer \(token)"]) == 200, "signed without the file's newline")
        let withNewline = try Self.token(secret: secret + "\n", subject: "mallory", scope: "read")
        #expect(try await status(["Authorization": "Bearer \(withNewline)"]) == 401)
        let writer = try Self.token(secret: secret, subject: "robot", scope: "write")
        #expect(try await status(["Authorization": "Bearer \(writer)"]) == 403, "a valid token without the read scope")
        #expect(server.logText.contains("auth=1 API keys, tokens HS256"), "\(server.logText)")
        server.stop()
    }
}
