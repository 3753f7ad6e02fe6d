import DicomImaging

/// Every query and path parameter with a number or a size in it is parsed and checked here, once, with
/// one message per parameter, whichever route takes it.
enum RequestParameters {
    /// A whole number in `range`, or nil when absent.
    static func integer(_ text: String?, name: String, range: ClosedRange<Int>) throws -> Int? {
        guard let text else { return nil }
        guard let value = Int(text), range.contains(value) else {
            let message = "\(name) must be a number in \(range.lowerBound)…\(range.upperBound)"
            throw APIError(.badRequest, message, details: [name: String(text.prefix(80))])
        }
        return value
    }

    /// JPEG quality, 1–100.
    static func quality(_ text: String?) throws -> Int? { try integer(text, name: "quality", range: 1...100) }

    /// A frame number (from 1; the instance's own count is checked when it is rendered).
    static func frame(_ text: String?) throws -> Int? { try integer(text, name: "frame", range: 1...Int(Int32.max)) }

    /// `1,3,5` → [1, 3, 5]: frame numbers from 1, at most `maximum` of them.
    static func frames(_ text: String, maximum: Int) throws -> [Int] {
        let items = text.split(separator: ",", omittingEmptySubsequences: false)
        let numbers = items.compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !items.isEmpty, numbers.count == items.count, numbers.allSatisfy({ $0 >= 1 }) else {
            throw APIError(.badRequest, "frames are a comma-separated list of numbers from 1", details: ["frames": String(text.prefix(80))])
        }
        guard numbers.count <= maximum else {
            throw APIError(.badRequest, "at most \(maximum) frames per request", details: ["count": "\(numbers.count)"])
        }
        return numbers
    }

    /// The largest side a render may be asked for.
    static let sides = 1...4096

    /// How a route spells a box: WADO-RS `viewport=width,height`; the JSON API `size=N` or `size=WxH`.
    enum BoxSpelling {
        case commaSeparated
        case sizeOrSquare
    }

    /// A box to fit a render in, each side 1–4096.
    static func viewport(_ text: String, name: String, spelled spelling: BoxSpelling) throws -> Viewport {
        let parts: [Int?] =
            switch spelling {
            case .commaSeparated: text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
            case .sizeOrSquare: text.lowercased().split(separator: "x", omittingEmptySubsequences: false).map { Int($0) }
            }
        let counts = spelling == .commaSeparated ? 2...2 : 1...2
        guard counts.contains(parts.count), let width = parts.first ?? nil, let height = parts.last ?? nil,
            sides.contains(width), sides.contains(height)
        else {
            let form = spelling == .commaSeparated ? "width,height" : "N or WxH"
            let message = "\(name) must be \(form), each side \(sides.lowerBound)–\(sides.upperBound)"
            throw APIError(.badRequest, message, details: [name: String(text.prefix(80))])
        }
        return Viewport(width: width, height: height)
    }
}
