import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Debian's nginx, as a foreground process with a temporary prefix, serving the project's site file
/// (ports, certificate, paths and the body limit templated for the test) in front of a real server.
@Suite(.timeLimit(.minutes(10)))
struct NginxTests {
    static let nginx = "/usr/sbin/nginx"
    static let curl = "/usr/bin/curl"
    static let site = CommandLineTests.repositoryRoot.appendingPathComponent("nginx/dicomserve.conf").path
    static let locations = CommandLineTests.repositoryRoot.appendingPathComponent("nginx/dicomserve-locations.conf").path

    /// nginx running the site over `backend`; stopped (SIGQUIT, graceful) by `stop()`.
    final class Nginx {
        let prefix = CommandLineTests.temporary("-nginx")
        let httpPort: Int
        let httpsPort: Int
        let process = Process()

        init(backend: Int, bodyLimit: String) throws {
            httpPort = try FreePort.loopback()
            httpsPort = try FreePort.loopback()
            try FileManager.default.createDirectory(atPath: prefix, withIntermediateDirectories: true)
            let openssl = try DeploymentTests.run(
                "/usr/bin/openssl",
                [
                    "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-keyout", "\(prefix)/tls.key", "-out", "\(prefix)/tls.pem",
                ]
            )
            guard openssl.status == 0 else { throw ServerProcess.ServerFailure(message: "openssl: \(openssl.error)") }

            let snippet = try String(contentsOfFile: NginxTests.locations, encoding: .utf8)
                .replacingOccurrences(of: "client_max_body_size 512m;", with: "client_max_body_size \(bodyLimit);")
            try snippet.write(toFile: "\(prefix)/dicomserve-locations.conf", atomically: true, encoding: .utf8)
            let templated = try String(contentsOfFile: NginxTests.site, encoding: .utf8)
                .replacingOccurrences(of: "server 127.0.0.1:8080;", with: "server 127.0.0.1:\(backend);")
                .replacingOccurrences(of: "/var/cache/nginx/dicomserve", with: "\(prefix)/cache")
                .replacingOccurrences(of: "    listen [::]:80;\n", with: "")
                .replacingOccurrences(of: "    listen [::]:443 ssl http2;\n", with: "")
                .replacingOccurrences(of: "listen 80;", with: "listen 127.0.0.1:\(httpPort);")
                .replacingOccurrences(of: "listen 443 ssl http2;", with: "listen 127.0.0.1:\(httpsPort) ssl http2;")
                .replacingOccurrences(of: "/etc/ssl/certs/dicom.example.org.pem", with: "\(prefix)/tls.pem")
                .replacingOccurrences(of: "/etc/ssl/private/dicom.example.org.key", with: "\(prefix)/tls.key")
                .replacingOccurrences(of: "/etc/nginx/snippets/dicomserve-locations.conf", with: "\(prefix)/dicomserve-locations.conf")
            guard !templated.contains("listen 80;"), !templated.contains("server 127.0.0.1:8080;"), !templated.contains("listen [") else {
                throw ServerProcess.ServerFailure(message: "the site file changed shape; update the template")
            }
            try templated.write(toFile: "\(prefix)/site.conf", atomically: true, encoding: .utf8)
            let main = """
                daemon off;
                worker_processes 1;
                pid \(prefix)/nginx.pid;
                error_log \(prefix)/error.log warn;
                events { worker_connections 128; }
                http {
                    include /etc/nginx/mime.types;
                    default_type application/octet-stream;
                    access_log \(prefix)/access.log;
                    client_body_temp_path \(prefix)/client_body;
                    proxy_temp_path \(prefix)/proxy;
                    fastcgi_temp_path \(prefix)/fastcgi;
                    uwsgi_temp_path \(prefix)/uwsgi;
                    scgi_temp_path \(prefix)/scgi;
                    include \(prefix)/site.conf;
                }
                """
            try main.write(toFile: "\(prefix)/nginx.conf", atomically: true, encoding: .utf8)
            let check = try DeploymentTests.run(NginxTests.nginx, ["-t", "-p", prefix, "-c", "\(prefix)/nginx.conf"])
            guard check.status == 0 else { throw ServerProcess.ServerFailure(message: "nginx -t: \(check.error)") }

            process.executableURL = URL(fileURLWithPath: NginxTests.nginx)
            process.arguments = ["-p", prefix, "-c", "\(prefix)/nginx.conf"]
            process.standardError = FileHandle.nullDevice
            try TestChildren.run(process)
            // Up to 30 s for both ports; a server that never listens is a failure with nginx's words, not a silent go-ahead.
            var listening = false
            for _ in 0..<1500 where !listening && process.isRunning {
                listening = LoopbackSocket.accepts(port: httpsPort) && LoopbackSocket.accepts(port: httpPort)
                if !listening { usleep(20_000) }
            }
            guard listening else {
                let log = (try? String(contentsOfFile: "\(prefix)/error.log", encoding: .utf8)) ?? ""
                throw ServerProcess.ServerFailure(message: "nginx did not listen on \(httpPort) and \(httpsPort) within 30 s: \(log)")
            }
        }

        func stop() {
            guard process.isRunning else { return }
            kill(process.processIdentifier, SIGQUIT)
            process.waitUntilExit()
        }

        deinit {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            try? FileManager.default.removeItem(atPath: prefix)
        }
    }

    struct CurlResponse {
        var status: Int
        var headers: [String: String]
        var body: Data
    }

    /// One request with curl: from `source` (a loopback address other than nginx's), TLS unverified.
    static func curl(_ url: String, source: String = "127.0.0.1", arguments: [String] = []) throws -> CurlResponse {
        let output = CommandLineTests.temporary(".body")
        let headers = CommandLineTests.temporary(".headers")
        defer {
            try? FileManager.default.removeItem(atPath: output)
            try? FileManager.default.removeItem(atPath: headers)
        }
        let result = try DeploymentTests.run(
            Self.curl,
            ["-sk", "--max-time", "30", "--interface", source, "-o", output, "-D", headers, "-w", "%{http_code}"] + arguments + [url]
        )
        guard result.status == 0, let status = Int(result.output) else {
            throw ServerProcess.ServerFailure(message: "curl \(url) failed (\(result.status)): \(result.error)")
        }
        var fields: [String: String] = [:]
        for line in (try String(contentsOfFile: headers, encoding: .utf8)).split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            fields[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return CurlResponse(status: status, headers: fields, body: FileManager.default.contents(atPath: output) ?? Data())
    }

    @Test(.enabled(if: RequiredTools.runnable([nginx, curl]), "nginx or curl is not installed (scripts/bootstrap installs both)"))
    func renderStowAndLimitsThroughNginx() async throws {
        try RequiredTools.require([Self.nginx, Self.curl])
        let dataDir = CommandLineTests.temporary("-data")
        defer { try? FileManager.default.removeItem(atPath: dataDir) }
        #expect(try CommandLineTests.dicomserve("import", CommandLineTests.ct, "--data-dir", dataDir).status == 0)
        let server = try await ServerProcess(dataDir: dataDir, arguments: ["--trusted-proxies", "127.0.0.1", "--rate-limit", "off"])
        let nginx = try Nginx(backend: server.port, bodyLimit: "2m")
        defer { nginx.stop() }
        let https = "https://127.0.0.1:\(nginx.httpsPort)"

        let images = try #require(try await server.get("/api/v1/dicom/studies").json as? [String: Any])
        let study = try #require(((images["studies"] as? [[String: Any]])?.first)?["study_uid"] as? String)
        let series = try #require(
            ((try await server.get("/api/v1/dicom/studies/\(study)/series").json as? [String: Any])?["series"] as? [[String: Any]])?.first?[
                "series_uid"
            ]
                as? String
        )
        let instance = try #require(
            ((try await server.get("/api/v1/dicom/series/\(series)/images").json as? [String: Any])?["images"] as? [[String: Any]])?.first?[
                "image_uid"
            ]
                as? String
        )
        let rendered = "/dicomweb/studies/\(study)/series/\(series)/instances/\(instance)/rendered?window=-600,1500"

        // Byte-identical through nginx, cached by nginx after the first answer (authentication is off: public).
        let direct = try await server.get(rendered, accept: "image/png")
        #expect(direct.status == 200)
        let first = try Self.curl(
            https + rendered,
            source: "127.0.0.2",
            arguments: ["-H", "Accept: image/png", "-H", "X-Forwarded-For: 203.0.113.66"]
        )
        #expect(first.status == 200)
        #expect(first.body == direct.body)
        #expect(first.headers["x-proxy-cache"] == "MISS")
        #expect(first.headers["x-content-type-options"] == "nosniff")
        #expect(first.headers["strict-transport-security"] != nil)
        #expect(first.headers["content-encoding"] == nil, "images are never gzipped")
        let second = try Self.curl(https + rendered, source: "127.0.0.2", arguments: ["-H", "Accept: image/png", "-H", "Accept-Encoding: gzip"])
        #expect(second.body == direct.body)
        #expect(second.headers["x-proxy-cache"] == "HIT")
        #expect(second.headers["content-encoding"] == nil)

        // Plain HTTP is redirected to TLS.
        let plain = try Self.curl("http://127.0.0.1:\(nginx.httpPort)/api/v1/health")
        #expect(plain.status == 301)
        #expect(plain.headers["location"]?.hasPrefix("https://") == true)

        // dicomserve saw the client's address (from nginx's X-Forwarded-For), not nginx's nor the spoofed one.
        let audit = try #require(try await server.get("/api/v1/audit?limit=1000").json as? [String: Any])
        let clients = Set(
            ((audit["entries"] as? [[String: Any]]) ?? []).filter { ($0["route"] as? String)?.hasSuffix("/rendered") == true }
                .compactMap { $0["client_address"] as? String }
        )
        #expect(clients.contains("127.0.0.2"), "\(clients)")
        #expect(!clients.contains("203.0.113.66"))

        // STOW-RS through nginx, then a body over the limit: 413 in the JSON error shape.
        let file = try Data(
            contentsOf: URL(fileURLWithPath: CommandLineTests.repositoryRoot.appendingPathComponent(".testdata/dicom/pydicom/CT_small.dcm").path)
        )
        let boundary = "nginx-\(UUID().uuidString)"
        var body = Data("--\(boundary)\r\nContent-Type: application/dicom\r\n\r\n".utf8)
        body.append(file)
        body.append(Data("\r\n--\(boundary)--\r\n".utf8))
        let bodyPath = CommandLineTests.temporary(".stow")
        defer { try? FileManager.default.removeItem(atPath: bodyPath) }
        try body.write(to: URL(fileURLWithPath: bodyPath))
        let contentType = "Content-Type: multipart/related; type=\"application/dicom\"; boundary=\(boundary)"
        let stored = try Self.curl(
            https + "/dicomweb/studies",
            arguments: ["-X", "POST", "-H", contentType, "-H", "Accept: application/dicom+json", "--data-binary", "@\(bodyPath)"]
        )
        #expect(stored.status == 200, "\(String(decoding: stored.body, as: UTF8.self))")
        #expect(try await server.get("/api/v1/dicom/studies").json.flatMap { ($0 as? [String: Any])?["total"] as? Int } == 2)

        try Data(count: 3 << 20).write(to: URL(fileURLWithPath: bodyPath))
        let tooLarge = try Self.curl(https + "/dicomweb/studies", arguments: ["-X", "POST", "-H", contentType, "--data-binary", "@\(bodyPath)"])
        #expect(tooLarge.status == 413)
        #expect(tooLarge.headers["content-type"] == "application/json")
        #expect((try? JSONSerialization.jsonObject(with: tooLarge.body) as? [String: Any])?["error"] as? String == "request body too large")

        // The service behind it is still healthy.
        #expect(try await server.get("/api/v1/health").status == 200)
    }
}
