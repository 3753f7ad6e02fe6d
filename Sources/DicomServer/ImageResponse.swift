import DicomArchive
import Foundation
import HTTPTypes
import Hummingbird

extension HTTPField.Name {
    /// Which cache layer answered: `l1` or `miss` (docs/architecture.md, "Caches and keys").
    static var xCache: Self { Self("X-Cache")! }
    /// The window the image was rendered with, when it has one (viewers start window/level drags from it).
    static var xWindowCenter: Self { Self("X-Window-Center")! }
    static var xWindowWidth: Self { Self("X-Window-Width")! }
}

extension Response {
    /// A rendered image with its validators: a strong ETag from the cache key, `Cache-Control` for an
    /// immutable rendering of a stored object (private: it is patient data), and `X-Cache`. When the
    /// request's `If-None-Match` already names these bytes, a 304 without a body.
    init(image result: RenderedImageResult, for request: Request) {
        var headers: HTTPFields = [
            .eTag: result.entityTag,
            .cacheControl: "private, max-age=1800",
            .xCache: result.cache.rawValue,
        ]
        if let window = result.window {
            headers[.xWindowCenter] = Self.number(window.center)
            headers[.xWindowWidth] = Self.number(window.width)
        }
        if let condition = request.headers[.ifNoneMatch], Self.matches(condition, entityTag: result.entityTag) {
            self.init(status: .notModified, headers: headers)
            return
        }
        headers[.contentType] = result.format.mediaType
        self.init(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: result.bytes)))
    }

    /// `40`, not `40.0`; fractions as they are.
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
    }

    /// If-None-Match (RFC 9110 13.1.2): `*`, or a list of tags compared weakly (a `W/` prefix ignored).
    static func matches(_ condition: String, entityTag: String) -> Bool {
        guard !entityTag.isEmpty else { return false }
        if condition.trimmingCharacters(in: .whitespaces) == "*" { return true }
        return condition.split(separator: ",").contains { candidate in
            var tag = candidate.trimmingCharacters(in: .whitespaces)
            if tag.hasPrefix("W/") { tag.removeFirst(2) }
            return tag == entityTag
        }
    }
}
