import DicomCodec
import DicomImaging
import DicomWeb

/// What to render: VOI, frame, size and encoding.
public struct RenderOptions: Sendable, Equatable {
    public var voi: VOIRequest
    public var frame: Int
    public var viewport: Viewport?
    public var format: ImageFormat
    public var quality: Int

    public init(voi: VOIRequest = .automatic, frame: Int = 1, viewport: Viewport? = nil, format: ImageFormat = .png, quality: Int = 90) {
        self.voi = voi
        self.frame = frame
        self.viewport = viewport
        self.format = format
        self.quality = quality
    }
}

/// A rendered image and what it was rendered with.
public struct RenderedImageResult: Sendable {
    public var bytes: [UInt8]
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    /// The explicit window applied, when there was one (preset or caller's).
    public var window: Window?
    public var frame: Int
    /// Where the bytes came from: `X-Cache` and `cached` say it.
    public var cache: CacheOutcome = .miss
    /// The strong ETag of these bytes (from the cache key).
    public var entityTag: String = ""
    /// The cache key these bytes were rendered (or found) under.
    public var key: RenderKey?
}

/// Which layer answered a render or a document.
public enum CacheOutcome: String, Sendable {
    /// The in-process cache.
    case l1
    /// Redis, shared by every replica (L2).
    case redis
    /// Built for this request (or for a concurrent identical one: single-flight).
    case miss
}

/// A decoded frame with the dataset its rendering needs.
public struct DecodedFrame: Sendable {
    public var pixels: PixelFrame
    public var dataSet: DicomDataSet
    /// Set when the frame was decoded below its stored size (wavelet levels skipped).
    public var reducedDecode: ReducedDecode?
}
