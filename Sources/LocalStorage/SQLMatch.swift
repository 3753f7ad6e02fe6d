import DicomWeb
import GRDB

/// A WHERE clause built from QIDO matches: conditions joined by AND, values always bound as arguments.
struct SQLWhere {
    private(set) var conditions: [String] = []
    private(set) var arguments: [(any DatabaseValueConvertible)?] = []

    var clause: String { conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ") }

    mutating func equals(_ column: String, _ value: String) {
        conditions.append("\(column) = ?")
        arguments.append(value)
    }

    mutating func add(_ match: QIDOMatch, column: String, vr: String, fuzzy: Bool) {
        SQLMatch.append(match, column: column, vr: vr, fuzzy: fuzzy, to: &conditions, &arguments)
    }

    /// Adds every filter of `query` whose attribute `column` maps to a column (others are ignored).
    mutating func add(_ query: QIDOQuery, column: (QueryAttribute) -> String?) {
        for filter in query.filters {
            guard let name = column(filter.attribute) else { continue }
            add(filter.match, column: name, vr: filter.attribute.vr, fuzzy: query.fuzzyMatching)
        }
    }

    /// Free text: `text` appears in any of `columns`, taken literally (no wildcards) and, as SQLite's LIKE
    /// does, case-insensitively for ASCII.
    mutating func containsText(_ text: String, in columns: [String]) {
        var literal = ""
        for character in text {
            if character == "%" || character == "_" || character == "\\" { literal.append("\\") }
            literal.append(character)
        }
        let pattern = "%" + literal + "%"
        conditions.append("(" + columns.map { "\($0) LIKE ? ESCAPE '\\'" }.joined(separator: " OR ") + ")")
        arguments += Array(repeating: pattern, count: columns.count)
    }

    /// `EXISTS (subquery AND inner conditions)`, when `inner` has any.
    mutating func exists(_ subquery: String, _ inner: SQLWhere) {
        guard !inner.conditions.isEmpty else { return }
        conditions.append("EXISTS (\(subquery) AND \(inner.conditions.joined(separator: " AND ")))")
        arguments += inner.arguments
    }
}

/// QIDO matching (PS3.4 C.2.2.2) as SQL conditions with bound arguments, never interpolated values.
enum SQLMatch {
    static func append(
        _ match: QIDOMatch,
        column: String,
        vr: String,
        fuzzy: Bool,
        to conditions: inout [String],
        _ arguments: inout [(any DatabaseValueConvertible)?]
    ) {
        let fuzzyName = fuzzy && vr == "PN"
        switch match {
        case .universal:
            return
        case .single(let value):
            conditions.append(fuzzyName ? "\(column) = ? COLLATE NOCASE" : "\(column) = ?")
            arguments.append(vr == "IS" ? Int(value).map { $0 as any DatabaseValueConvertible } ?? value : value)
        case .wildcard(let pattern):
            if fuzzyName {
                conditions.append("\(column) LIKE ? ESCAPE '\\'")
                arguments.append(likePattern(pattern))
            } else {
                conditions.append("\(column) GLOB ?")
                arguments.append(globPattern(pattern))
            }
        case .range(let lower, let upper):
            // Objects without a value do not match a range (C.2.2.2.5).
            conditions.append("\(column) IS NOT NULL AND \(column) <> ''")
            if let lower {
                conditions.append("\(column) >= ?")
                arguments.append(lower)
            }
            if let upper {
                // A DA upper bound includes the whole day of a DT/TM-style longer value.
                conditions.append("substr(\(column), 1, \(upper.count)) <= ?")
                arguments.append(upper)
            }
        case .uidList(let uids):
            conditions.append("\(column) IN (\(Array(repeating: "?", count: uids.count).joined(separator: ", ")))")
            arguments += uids.map { $0 as any DatabaseValueConvertible }
        }
    }

    /// `*` and `?` stay; GLOB's own `[` is escaped as `[[]`.
    static func globPattern(_ pattern: String) -> String {
        pattern.replacingAll("[", with: "[[]")
    }

    /// `*` → `%`, `?` → `_`, with LIKE's own `%`, `_` and `\` escaped.
    static func likePattern(_ pattern: String) -> String {
        var result = ""
        for character in pattern {
            switch character {
            case "*": result += "%"
            case "?": result += "_"
            case "%", "_", "\\": result += "\\" + String(character)
            default: result.append(character)
            }
        }
        return result
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
