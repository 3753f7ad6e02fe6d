/// The address clients reach the server at (`--public-url`), checked once at start-up so that what goes
/// into answers is known to be a plain absolute URL: http or https, a host of letters, digits, dots,
/// hyphens (or a bracketed IPv6 address), an optional port and path, nothing that needs escaping.
public struct PublicURL: Sendable, Equatable {
    /// Without a trailing slash, e.g. `https://pacs.example/dicom`.
    public let text: String

    public init?(_ text: String) {
        var rest = Substring(text)
        while rest.hasSuffix("/") { rest.removeLast() }
        guard rest.hasPrefix("http://") || rest.hasPrefix("https://") else { return nil }
        let afterScheme = rest[rest.index(after: rest.firstIndex(of: "/")!)...].dropFirst()
        let authority = afterScheme.prefix { $0 != "/" }
        let path = afterScheme.dropFirst(authority.count)
        let allowedAuthority = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-:[]")
        let allowedPath = allowedAuthority.union("/_~")
        guard !authority.isEmpty, authority.count <= 255, authority.allSatisfy(allowedAuthority.contains),
            path.count <= 512, path.allSatisfy(allowedPath.contains)
        else { return nil }
        self.text = String(rest)
    }
}
