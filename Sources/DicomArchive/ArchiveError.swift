import DicomCodec

/// Why a request to the render service failed, in terms the HTTP layer maps to a status.
public enum ArchiveError: Error, Sendable, Equatable {
    /// No study, series or instance with that UID (404).
    case notFound(kind: String, uid: String)
    /// The request's parameters are invalid (400), e.g. an unknown preset or a zero window width.
    case invalidParameter(name: String, reason: String)
    /// The render queue is full (503 with Retry-After).
    case overloaded(retryAfterSeconds: Int)
    /// The stored object could not be decoded or rendered (422).
    case unrenderable(DicomError)
    /// The catalogued file is missing or unreadable (a storage fault, 500).
    case unreadable(sopInstanceUID: String)
}
