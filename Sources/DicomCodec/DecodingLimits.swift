/// Bounds checked before anything large is allocated or any parser builds a dataset, so hostile files
/// cannot exhaust memory, the stack or the CPU. `EncodingScanner` enforces the structural ones on the raw
/// bytes before DCMTK sees them; the shim enforces the pixel ones again before it allocates.
public struct DecodingLimits: Sendable, Equatable, Codable {
    public var maxFileBytes: UInt64
    /// Rows × columns of one frame.
    public var maxFramePixels: UInt64
    public var maxFrames: UInt32
    /// Sequences inside sequences: DCMTK's parser, its walker and the JSON encoder recurse per level.
    public var maxSequenceDepth: Int
    /// Data elements in the whole object, nested ones included.
    public var maxElements: Int
    /// Sequence items in the whole object.
    public var maxItems: Int
    /// Encapsulated pixel data fragments in the whole object (the offset table item included).
    public var maxFragments: Int
    /// Bytes one decoded frame may take (rows × columns × samples × bytes per sample).
    public var maxDecodedFrameBytes: UInt64
    /// Bytes a deflated data set may inflate to.
    public var maxInflatedBytes: UInt64
    /// Decoded over encoded bytes, for deflated data sets and pixel codestreams alike. Applied only
    /// above `compressionRatioFloorBytes`, because a blank frame legitimately compresses to almost nothing.
    public var maxCompressionRatio: UInt64
    public var compressionRatioFloorBytes: UInt64

    public init(
        maxFileBytes: UInt64 = 4 << 30,
        maxFramePixels: UInt64 = 1 << 28,
        maxFrames: UInt32 = 65_535,
        maxSequenceDepth: Int = 32,
        maxElements: Int = 250_000,
        maxItems: Int = 100_000,
        maxFragments: Int = 262_144,
        maxDecodedFrameBytes: UInt64 = 1 << 30,
        maxInflatedBytes: UInt64 = 512 << 20,
        maxCompressionRatio: UInt64 = 1000,
        compressionRatioFloorBytes: UInt64 = 64 << 20
    ) {
        self.maxFileBytes = maxFileBytes
        self.maxFramePixels = maxFramePixels
        self.maxFrames = maxFrames
        self.maxSequenceDepth = maxSequenceDepth
        self.maxElements = maxElements
        self.maxItems = maxItems
        self.maxFragments = maxFragments
        self.maxDecodedFrameBytes = maxDecodedFrameBytes
        self.maxInflatedBytes = maxInflatedBytes
        self.maxCompressionRatio = maxCompressionRatio
        self.compressionRatioFloorBytes = compressionRatioFloorBytes
    }

    public static let `default` = DecodingLimits()

    /// Whether `decoded` bytes made from `encoded` ones exceed the compression-ratio bound.
    func exceedsCompressionRatio(decoded: UInt64, encoded: UInt64) -> Bool {
        guard decoded > compressionRatioFloorBytes else { return false }
        let (bound, overflow) = max(encoded, 1).multipliedReportingOverflow(by: maxCompressionRatio)
        return !overflow && decoded > bound
    }
}
