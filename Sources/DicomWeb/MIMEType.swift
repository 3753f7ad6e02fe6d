/// A media type with parameters, as HTTP carries them (RFC 9110 §8.3.1): `type/subtype; name=value`.
/// Type, subtype and parameter names compare case-insensitively; parameter values as written, unquoted.
public struct MIMEType: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var type: String
    public var subtype: String
    /// Parameters in the order given, names lower-cased.
    public var parameters: [(name: String, value: String)]

    public init(type: String, subtype: String, parameters: [(name: String, value: String)] = []) {
        self.type = type.lowercased()
        self.subtype = subtype.lowercased()
        self.parameters = parameters.map { ($0.name.lowercased(), $0.value) }
    }

    public static func == (lhs: MIMEType, rhs: MIMEType) -> Bool {
        lhs.type == rhs.type && lhs.subtype == rhs.subtype && lhs.parameters.count == rhs.parameters.count
            && zip(lhs.parameters, rhs.parameters).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(type)
        hasher.combine(subtype)
        for parameter in parameters {
            hasher.combine(parameter.name)
            hasher.combine(parameter.value)
        }
    }

    /// The value of a parameter (name case-insensitive).
    public func parameter(_ name: String) -> String? {
        let key = name.lowercased()
        return parameters.first { $0.name == key }?.value
    }

    /// `type/subtype` without parameters.
    public var essence: String { "\(type)/\(subtype)" }

    public var isWildcard: Bool { type == "*" || subtype == "*" }

    /// Whether this (possibly wildcard) range covers a concrete type; parameters are not compared.
    public func matches(_ other: MIMEType) -> Bool {
        (type == "*" || type == other.type) && (subtype == "*" || subtype == other.subtype)
    }

    /// Serialised with values quoted when they need it (e.g. `type="application/dicom"` in a multipart type).
    public var description: String {
        var text = essence
        for parameter in parameters {
            text += "; \(parameter.name)=" + Self.quotedIfNeeded(parameter.value)
        }
        return text
    }

    static func quotedIfNeeded(_ value: String) -> String {
        let token = !value.isEmpty && value.unicodeScalars.allSatisfy { HeaderScanner.isTokenCharacter($0) }
        return token ? value : "\"" + value.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"") + "\""
    }

    /// Parses one media type; nil when it is not `token/token` followed by `; name=value` parameters.
    public init?(parsing text: String) {
        var scanner = HeaderScanner(text)
        guard let parsed = scanner.mediaType(), scanner.atEnd else { return nil }
        self = parsed
    }

    public static let applicationDicom = MIMEType(type: "application", subtype: "dicom")
    public static let applicationDicomJSON = MIMEType(type: "application", subtype: "dicom+json")
    public static let applicationJSON = MIMEType(type: "application", subtype: "json")
    public static let applicationOctetStream = MIMEType(type: "application", subtype: "octet-stream")
    public static let imagePNG = MIMEType(type: "image", subtype: "png")
    public static let imageJPEG = MIMEType(type: "image", subtype: "jpeg")
    public static let multipartRelated = MIMEType(type: "multipart", subtype: "related")
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        guard !target.isEmpty else { return self }
        var result = ""
        var rest = Substring(self)
        while let range = rest.range(of: target) {
            result += rest[..<range.lowerBound] + replacement
            rest = rest[range.upperBound...]
        }
        return result + rest
    }
}

extension Substring {
    func range(of target: String) -> Range<Index>? {
        guard let first = target.first else { return nil }
        var index = startIndex
        while index < endIndex {
            if self[index] == first, self[index...].hasPrefix(target) {
                return index..<(self.index(index, offsetBy: target.count))
            }
            index = self.index(after: index)
        }
        return nil
    }
}
