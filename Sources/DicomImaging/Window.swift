/// The VOI LUT Function (0028,1056) that shapes a window (PS3.3 C.11.2.1.2–3).
public enum VOIFunction: String, Sendable, Equatable, CaseIterable, Codable {
    case linear = "LINEAR"
    case linearExact = "LINEAR_EXACT"
    case sigmoid = "SIGMOID"

    /// Parses a function name as files spell it (`LINEAR_EXACT`) and as PS3.18's rendered-resource
    /// `window` parameter does (`linear-exact`, §8.3.5.1.3); case-insensitive.
    public init?(name: String) {
        let spelled = name.trimmingSpaces().uppercased()
        self.init(rawValue: spelled == "LINEAR-EXACT" ? "LINEAR_EXACT" : spelled)
    }
}

/// A window: Window Center (0028,1050), Window Width (0028,1051) and its function.
public struct Window: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var center: Double
    public var width: Double
    public var function: VOIFunction

    public init(center: Double, width: Double, function: VOIFunction = .linear) {
        self.center = center
        self.width = width
        self.function = function
    }

    /// Parses `center,width[,FUNCTION]` as the command line and WADO-RS `window=` take it; nil when
    /// malformed or invalid (e.g. `-600,1500,SIGMOID`).
    public init?(parsing text: String) {
        let parts = text.split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingSpaces() }
        guard parts.count == 2 || parts.count == 3, let center = Double(parts[0]), let width = Double(parts[1]) else { return nil }
        guard let function = parts.count == 3 ? VOIFunction(name: parts[2]) : .linear else { return nil }
        self.init(center: center, width: width, function: function)
        guard isValid else { return nil }
    }

    /// LINEAR needs a width of at least 1; the others any positive width (PS3.3 C.11.2.1.2).
    public var isValid: Bool {
        center.isFinite && width.isFinite && (function == .linear ? width >= 1 : width > 0)
    }

    public var description: String {
        function == .linear ? "\(center.compact),\(width.compact)" : "\(center.compact),\(width.compact),\(function.rawValue)"
    }
}
