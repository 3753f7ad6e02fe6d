/// Where Redis listens, from a URL: `redis://[:password@]host[:port][/db]` or `unix:/path/to/socket[?db=N]`.
public struct RedisEndpoint: Sendable, Equatable, CustomStringConvertible {
    public enum Address: Sendable, Equatable {
        case tcp(host: String, port: Int)
        case unix(path: String)
    }

    public var address: Address
    public var password: String?
    public var database: Int

    public struct InvalidURL: Error, Sendable, Equatable, CustomStringConvertible {
        public var description: String
    }

    public init(address: Address, password: String? = nil, database: Int = 0) {
        self.address = address
        self.password = password
        self.database = database
    }

    public init(url: String) throws(InvalidURL) {
        if url.hasPrefix("unix:") {
            var rest = Substring(url.dropFirst("unix:".count))
            var database = 0
            if let query = rest.firstIndex(of: "?") {
                let parameter = rest[rest.index(after: query)...]
                guard parameter.hasPrefix("db="), let number = Int(parameter.dropFirst(3)), number >= 0 else {
                    throw InvalidURL(description: "\(url): the only query is db=N")
                }
                database = number
                rest = rest[..<query]
            }
            guard rest.hasPrefix("/") else { throw InvalidURL(description: "\(url): unix: needs an absolute socket path") }
            self.init(address: .unix(path: String(rest)), database: database)
            return
        }
        guard url.hasPrefix("redis://") else { throw InvalidURL(description: "\(url): expected redis://host:port/db or unix:/path") }
        var rest = Substring(url.dropFirst("redis://".count))
        var password: String?
        if let at = rest.lastIndex(of: "@") {
            let credentials = rest[..<at]
            // `:password` or `user:password` (Redis 6 ACL user names are not used: AUTH takes the password).
            password = credentials.firstIndex(of: ":").map { String(credentials[credentials.index(after: $0)...]) } ?? String(credentials)
            rest = rest[rest.index(after: at)...]
        }
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let path = rest[rest.index(after: slash)...]
            if !path.isEmpty {
                guard let number = Int(path), number >= 0 else { throw InvalidURL(description: "\(url): the database must be a number") }
                database = number
            }
            rest = rest[..<slash]
        }
        var host = String(rest)
        var port = 6379
        if let colon = rest.lastIndex(of: ":") {
            guard let number = Int(rest[rest.index(after: colon)...]), (1...65_535).contains(number) else {
                throw InvalidURL(description: "\(url): the port must be 1–65535")
            }
            port = number
            host = String(rest[..<colon])
        }
        guard !host.isEmpty else { throw InvalidURL(description: "\(url): no host") }
        self.init(address: .tcp(host: host, port: port), password: password, database: database)
    }

    /// The URL without the password, for logs and health.
    public var description: String {
        switch address {
        case .tcp(let host, let port): "redis://\(host):\(port)/\(database)"
        case .unix(let path): "unix:\(path)?db=\(database)"
        }
    }
}
