import HTTPTypes

/// Which scope each route needs and which accesses are audited, in one table so that it can be read and
/// tested as a whole. A route not named here needs `read` and is audited: a new route is protected until
/// someone decides otherwise, and an unmatched path answers 401 to a stranger rather than 404.
public enum AccessPolicy {
    public struct Rule: Sendable, Equatable {
        /// nil: anyone, even with authentication on.
        public var scope: AccessScope?
        /// Whether the access is recorded in the audit log (every access to patient data is).
        public var audited: Bool
    }

    static let open = Rule(scope: nil, audited: false)

    /// The rule of a request, from its method and route template (`context.endpointPath`) or, for the
    /// static viewer files, its path.
    public static func rule(method: HTTPRequest.Method, route: String?, path: String) -> Rule {
        if method == .options { return open }  // CORS preflights carry no credentials by design
        if path == "/viewer" || path.hasPrefix("/viewer/") || path == "/" { return open }
        switch (method, route ?? "") {
        case (_, "/api/v1/health"), (_, "/metrics"): return open
        case (.get, "/api/v1/dicom/presets"), (.get, "/api/v1/metrics"): return Rule(scope: .read, audited: false)
        case (.post, "/api/v1/dicom/instances"), (.post, "/dicomweb/studies"), (.post, "/dicomweb/studies/{study}"):
            return Rule(scope: .write, audited: true)
        case (.post, "/api/v1/dicom/clear-cache"), (.get, "/api/v1/dicom/ingestions"), (.get, "/api/v1/audit"):
            return Rule(scope: .admin, audited: true)
        default: return Rule(scope: .read, audited: true)
        }
    }
}
