/// One body part of a multipart/related message (RFC 2387, PS3.18 8.6.1.2).
public struct MultipartPart: Sendable, Equatable {
    /// Header fields in order, names as written (compare case-insensitively with `header(_:)`).
    public var headers: [(name: String, value: String)]
    public var body: [UInt8]

    public init(headers: [(name: String, value: String)], body: [UInt8]) {
        self.headers = headers
        self.body = body
    }

    public init(contentType: MIMEType, body: [UInt8], location: String? = nil) {
        var headers = [(name: "Content-Type", value: contentType.description)]
        if let location { headers.append((name: "Content-Location", value: location)) }
        self.init(headers: headers, body: body)
    }

    public func header(_ name: String) -> String? {
        let key = name.lowercased()
        return headers.first { $0.name.lowercased() == key }?.value
    }

    public var contentType: MIMEType? { header("Content-Type").flatMap(MIMEType.init(parsing:)) }

    public static func == (lhs: MultipartPart, rhs: MultipartPart) -> Bool {
        lhs.body == rhs.body && lhs.headers.count == rhs.headers.count
            && zip(lhs.headers, rhs.headers).allSatisfy { $0.name == $1.name && $0.value == $1.value }
    }
}

/// Why a multipart body could not be read.
public enum MultipartError: Error, Sendable, Equatable, CustomStringConvertible {
    case missingBoundary
    case invalidBoundary(String)
    case noOpeningBoundary
    case unterminated
    case malformedPartHeaders(part: Int)
    case tooManyParts(limit: Int)

    public var description: String {
        switch self {
        case .missingBoundary: "the multipart Content-Type has no boundary parameter"
        case .invalidBoundary(let boundary): "invalid multipart boundary \"\(boundary)\" (1–70 characters, RFC 2046)"
        case .noOpeningBoundary: "the body does not start with its multipart boundary"
        case .unterminated: "the multipart body ends before its closing boundary"
        case .malformedPartHeaders(let part): "the headers of part \(part) are malformed"
        case .tooManyParts(let limit): "more than \(limit) parts"
        }
    }
}

/// Writes and reads multipart/related bodies.
public enum Multipart {
    /// Serialises parts with CRLF line breaks and a closing delimiter.
    public static func write(_ parts: [MultipartPart], boundary: String) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(parts.reduce(0) { $0 + $1.body.count + 128 })
        for part in parts {
            output += head(of: part.headers, boundary: boundary)
            output += part.body
            output += Array("\r\n".utf8)
        }
        output += closing(boundary: boundary)
        return output
    }

    /// What precedes a part's body: the delimiter and the part's headers. For writing a body part by
    /// part (streaming), follow each body with CRLF and end with `closing(boundary:)`.
    public static func head(of headers: [(name: String, value: String)], boundary: String) -> [UInt8] {
        var text = "--\(boundary)\r\n"
        for header in headers { text += "\(header.name): \(header.value)\r\n" }
        return Array((text + "\r\n").utf8)
    }

    /// The closing delimiter.
    public static func closing(boundary: String) -> [UInt8] { Array("--\(boundary)--\r\n".utf8) }

    /// A boundary that cannot occur by chance in binary DICOM data: 32 random hex digits.
    public static func makeBoundary<G: RandomNumberGenerator>(using generator: inout G) -> String {
        "dicomserve-" + (0..<2).map { _ in String(UInt64.random(in: .min ... .max, using: &generator), radix: 16) }.joined()
    }

    public static func makeBoundary() -> String {
        var generator = SystemRandomNumberGenerator()
        return makeBoundary(using: &generator)
    }

    /// The boundary of a multipart Content-Type.
    public static func boundary(of contentType: MIMEType) throws(MultipartError) -> String {
        guard let boundary = contentType.parameter("boundary") else { throw .missingBoundary }
        guard (1...70).contains(boundary.count), !boundary.hasSuffix(" ") else { throw .invalidBoundary(boundary) }
        return boundary
    }

    /// Parses a body (RFC 2046 §5.1.1): preamble and epilogue ignored, transport padding after each
    /// delimiter allowed, bare LF line breaks tolerated.
    public static func read(_ body: [UInt8], boundary: String, maximumParts: Int = 10_000) throws(MultipartError) -> [MultipartPart] {
        try layout(of: body, boundary: boundary, maximumParts: maximumParts).map { part in
            MultipartPart(headers: part.headers, body: Array(body[part.body]))
        }
    }

    /// Where the parts of a body lie, without copying them: what a body spooled to disk is split with
    /// (`MultipartSource` over a file), reading only delimiters and part headers into memory.
    public static func layout(
        of body: some MultipartSource,
        boundary: String,
        maximumParts: Int = 10_000
    ) throws(MultipartError) -> [MultipartPartLayout] {
        let delimiter = Array("--\(boundary)".utf8)
        let count = body.count
        guard var position = body.lineStart(of: delimiter, from: 0) else { throw .noOpeningBoundary }
        var parts: [MultipartPartLayout] = []
        while true {
            position += delimiter.count
            // What follows a delimiter: "--" (the end), or transport padding and a line break.
            let after = body.bytes(position..<min(count, position + maximumPaddingBytes + 2))
            if after.starts(with: [UInt8(ascii: "-"), UInt8(ascii: "-")]) { return parts }
            var offset = 0
            while offset < after.count, after[offset] == UInt8(ascii: " ") || after[offset] == UInt8(ascii: "\t") { offset += 1 }
            guard let lineEnd = lineBreakEnd(after, at: offset) else { throw .unterminated }
            position += lineEnd
            guard let next = body.lineStart(of: delimiter, from: position) else { throw .unterminated }
            // The part ends before the line break that precedes the next delimiter.
            var end = next
            let before = body.bytes(max(position, next - 2)..<next)
            if end > position, before.last == UInt8(ascii: "\n") { end -= 1 }
            if end > position, before.count == 2, before.first == UInt8(ascii: "\r"), before.last == UInt8(ascii: "\n") { end -= 1 }
            guard parts.count < maximumParts else { throw .tooManyParts(limit: maximumParts) }
            let head = body.bytes(position..<min(end, position + maximumHeaderBytes))
            let (headers, bodyOffset) = try self.headers(head, partEnd: end - position, number: parts.count + 1)
            parts.append(MultipartPartLayout(headers: headers, body: (position + bodyOffset)..<max(position + bodyOffset, end)))
            position = next
        }
    }

    /// Bounds on what is read into memory per part: its headers, and padding after a delimiter.
    static let maximumHeaderBytes = 16 << 10
    static let maximumPaddingBytes = 1024

    /// The headers at the start of a part (`head`: its first bytes, `partEnd`: its length) and where its
    /// body starts.
    static func headers(_ head: [UInt8], partEnd: Int, number: Int) throws(MultipartError) -> ([(name: String, value: String)], Int) {
        var headers: [(name: String, value: String)] = []
        var position = 0
        while true {
            // An empty line ends the headers.
            if let end = lineBreakEnd(head, at: position) { return (headers, end) }
            guard let newline = head[position...].firstIndex(of: UInt8(ascii: "\n")) else {
                // No body separator: a part with headers only is malformed; one with neither is empty.
                if headers.isEmpty && position == partEnd { return ([], position) }
                throw .malformedPartHeaders(part: number)
            }
            var lineEnd = newline
            if lineEnd > position, head[lineEnd - 1] == UInt8(ascii: "\r") { lineEnd -= 1 }
            let line = String(decoding: head[position..<lineEnd], as: UTF8.self)
            guard let colon = line.firstIndex(of: ":"), colon != line.startIndex else { throw .malformedPartHeaders(part: number) }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingCharacters(in: " ")))
            position = newline + 1
            guard headers.count <= 64 else { throw .malformedPartHeaders(part: number) }
        }
    }

    /// The index after a CRLF or LF at `index`, or nil.
    static func lineBreakEnd<Bytes: RandomAccessCollection<UInt8>>(_ bytes: Bytes, at index: Int) -> Int? where Bytes.Index == Int {
        if index + 1 < bytes.endIndex, bytes[index] == UInt8(ascii: "\r"), bytes[index + 1] == UInt8(ascii: "\n") { return index + 2 }
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "\n") { return index + 1 }
        return nil
    }

    /// The next occurrence of `pattern` at or after `start`; with `atLineStart`, only one that starts a
    /// line (at 0 or after an LF).
    public static func find(_ pattern: [UInt8], in bytes: [UInt8], from start: Int, atLineStart: Bool) -> Int? {
        guard let first = pattern.first, bytes.count >= pattern.count else { return nil }
        var index = start
        let last = bytes.count - pattern.count
        while index <= last {
            if bytes[index] == first && (!atLineStart || index == 0 || bytes[index - 1] == UInt8(ascii: "\n")) {
                var matched = true
                for offset in 1..<pattern.count where bytes[index + offset] != pattern[offset] {
                    matched = false
                    break
                }
                if matched { return index }
            }
            index += 1
        }
        return nil
    }
}

/// Where one part of a multipart body lies.
public struct MultipartPartLayout: Sendable {
    public var headers: [(name: String, value: String)]
    /// The body's bytes within the whole message.
    public var body: Range<Int>

    public func header(_ name: String) -> String? {
        let key = name.lowercased()
        return headers.first { $0.name.lowercased() == key }?.value
    }

    public var contentType: MIMEType? { header("Content-Type").flatMap(MIMEType.init(parsing:)) }
}

/// Bytes a multipart body can be split from: in memory, or a file read a window at a time.
public protocol MultipartSource {
    var count: Int { get }
    /// The bytes in `range` (clamped to the source); only small ranges are asked for.
    func bytes(_ range: Range<Int>) -> [UInt8]
    /// The next position at or after `start` where `pattern` begins a line (at 0 or after an LF).
    func lineStart(of pattern: [UInt8], from start: Int) -> Int?
}

extension Array: MultipartSource where Element == UInt8 {
    public func bytes(_ range: Range<Int>) -> [UInt8] { Array(self[range.clamped(to: 0..<count)]) }

    public func lineStart(of pattern: [UInt8], from start: Int) -> Int? { Multipart.find(pattern, in: self, from: start, atLineStart: true) }
}
