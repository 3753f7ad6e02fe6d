/// How one query key matches (PS3.4 C.2.2.2).
public enum QIDOMatch: Sendable, Equatable {
    /// Empty value: every object matches (and the attribute is returned).
    case universal
    /// Exact match of one value.
    case single(String)
    /// `*` (any run) and `?` (one character), on text VRs other than UI, DA, TM, DT.
    case wildcard(String)
    /// An inclusive range on DA/TM/DT; either end may be open (`A-`, `-B`).
    case range(lower: String?, upper: String?)
    /// One of several UIDs (backslash- or comma-separated), for UI attributes.
    case uidList([String])

    /// Whether `value` (as stored: a DA is YYYYMMDD, names as in the file) satisfies this match.
    /// `fuzzy` makes person-name matching case-insensitive, as PS3.18 allows.
    public func matches(_ value: String?, vr: String, fuzzy: Bool = false) -> Bool {
        switch self {
        case .universal:
            return true
        case .single(let expected):
            guard let value else { return false }
            return vr == "PN" && fuzzy ? value.lowercased() == expected.lowercased() : value == expected
        case .wildcard(let pattern):
            guard let value else { return false }
            return vr == "PN" && fuzzy ? Self.wildcard(pattern.lowercased(), value.lowercased()) : Self.wildcard(pattern, value)
        case .range(let lower, let upper):
            guard let value, !value.isEmpty else { return false }
            if let lower, value < lower { return false }
            if let upper, value > upper { return false }
            return true
        case .uidList(let uids):
            guard let value else { return false }
            return uids.contains(value)
        }
    }

    /// `*` and `?` matching over Unicode characters, iteratively (no backtracking blow-up).
    static func wildcard(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern)
        let t = Array(text)
        var pi = 0
        var ti = 0
        var star = -1
        var resume = 0
        while ti < t.count {
            if pi < p.count && (p[pi] == "?" || p[pi] == t[ti]) {
                pi += 1
                ti += 1
            } else if pi < p.count && p[pi] == "*" {
                star = pi
                resume = ti
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                resume += 1
                ti = resume
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}

/// One matching key of a query.
public struct QIDOFilter: Sendable, Equatable {
    public var attribute: QueryAttribute
    public var match: QIDOMatch
}

/// A QIDO-RS search request (PS3.18 8.3.4, 10.6): matching keys and the query's options.
public struct QIDOQuery: Sendable, Equatable {
    public var filters: [QIDOFilter] = []
    public var limit: Int?
    public var offset = 0
    /// Extra attributes to return; `includeAll` for `includefield=all`.
    public var includeFields: [QueryAttribute] = []
    public var includeAll = false
    public var fuzzyMatching = false

    public init() {}

    /// Why a query string could not be used: answered with 400 and this message.
    public struct Error: Swift.Error, Sendable, Equatable, CustomStringConvertible {
        public var parameter: String
        public var reason: String
        public var description: String { "query parameter \"\(parameter)\": \(reason)" }
    }

    /// Parses decoded query items (repeated keys allowed). `maximumLimit` caps `limit` (and is the
    /// default when none is given).
    /// Bounds on a query's complexity: each becomes SQL conditions, and SQLite's expression depth is finite.
    public static let maximumParameters = 64
    public static let maximumUIDsInList = 1000
    public static let maximumValueLength = 1024

    public init(items: [(name: String, value: String)], maximumLimit: Int = 1000) throws(Error) {
        limit = maximumLimit
        guard items.count <= Self.maximumParameters else {
            throw Error(parameter: "(query)", reason: "at most \(Self.maximumParameters) query parameters, \(items.count) given")
        }
        var seen = Set<String>()
        for (name, value) in items {
            guard value.utf8.count <= Self.maximumValueLength else {
                throw Error(parameter: String(name.prefix(64)), reason: "values are at most \(Self.maximumValueLength) bytes")
            }
            // A matching key names one attribute once (PS3.18 8.3.4.1); a list of values goes in one value.
            let key = name.lowercased()
            if !["includefield", "accept", "charset"].contains(key) {
                guard seen.insert(key).inserted else {
                    throw Error(parameter: String(name.prefix(64)), reason: "given more than once; list values in one parameter instead")
                }
            }
            switch name.lowercased() {
            case "limit":
                guard let number = Int(value), number >= 0 else { throw Error(parameter: name, reason: "must be a whole number ≥ 0") }
                limit = min(number, maximumLimit)
            case "offset":
                guard let number = Int(value), number >= 0 else { throw Error(parameter: name, reason: "must be a whole number ≥ 0") }
                offset = number
            case "fuzzymatching":
                guard let flag = Bool(value.lowercased()) else { throw Error(parameter: name, reason: "must be true or false") }
                fuzzyMatching = flag
            case "includefield":
                for field in value.split(separator: ",").map({ String($0).trimmingCharacters(in: " ") }) where !field.isEmpty {
                    if field.lowercased() == "all" {
                        includeAll = true
                    } else if let attribute = QueryAttribute.named(field) {
                        includeFields.append(attribute)
                    } else if DicomTag(hex: field) == nil {
                        throw Error(parameter: name, reason: "unknown attribute \"\(field)\"")
                    }
                }
            case "accept", "charset":
                continue  // query-parameter forms of headers, handled by the HTTP layer
            default:
                guard let attribute = QueryAttribute.named(name) else {
                    throw Error(parameter: name, reason: "not a supported matching attribute")
                }
                filters.append(QIDOFilter(attribute: attribute, match: try Self.match(value, attribute: attribute, parameter: name)))
            }
        }
    }

    static func match(_ value: String, attribute: QueryAttribute, parameter: String) throws(Error) -> QIDOMatch {
        if value.isEmpty { return .universal }
        switch attribute.vr {
        case "UI":
            let uids = value.split(whereSeparator: { $0 == "\\" || $0 == "," }).map { String($0).trimmingCharacters(in: " ") }
            guard uids.allSatisfy({ !$0.isEmpty && $0.count <= 64 && $0.allSatisfy { $0.isNumber || $0 == "." } }) else {
                throw Error(parameter: parameter, reason: "UIDs are digits and dots, at most 64 characters")
            }
            guard uids.count <= maximumUIDsInList else {
                throw Error(parameter: parameter, reason: "at most \(maximumUIDsInList) UIDs in one list")
            }
            return uids.count == 1 ? .single(uids[0]) : .uidList(uids)
        case "DA", "TM", "DT":
            guard let dash = value.firstIndex(of: "-") else {
                guard Self.isValid(value, vr: attribute.vr) else { throw Error(parameter: parameter, reason: "not a valid \(attribute.vr) value") }
                return .single(value)
            }
            let lower = String(value[..<dash])
            let upper = String(value[value.index(after: dash)...])
            guard !(lower.isEmpty && upper.isEmpty), lower.isEmpty || isValid(lower, vr: attribute.vr),
                upper.isEmpty || isValid(upper, vr: attribute.vr)
            else { throw Error(parameter: parameter, reason: "not a valid \(attribute.vr) range (A-B, A- or -B)") }
            return .range(lower: lower.isEmpty ? nil : lower, upper: upper.isEmpty ? nil : upper)
        default:
            return value.contains("*") || value.contains("?") ? .wildcard(value) : .single(value)
        }
    }

    /// DA is YYYYMMDD; TM is HH[MM[SS[.F]]]; DT is a date followed by an optional time.
    static func isValid(_ value: String, vr: String) -> Bool {
        let digits = value.prefix { $0.isASCII && $0.isNumber }
        switch vr {
        case "DA":
            guard value.count == 8, digits.count == 8, let month = Int(value.dropFirst(4).prefix(2)), let day = Int(value.suffix(2)) else {
                return false
            }
            return (1...12).contains(month) && (1...31).contains(day)
        case "TM":
            return [2, 4, 6].contains(digits.count) && (digits.count == value.count || value.dropFirst(6).first == ".")
        default:
            return digits.count >= 4 && digits.count <= 14
        }
    }
}
