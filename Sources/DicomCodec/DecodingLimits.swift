/// Bounds checked before anything large is allocated, so hostile files cannot exhaust memory.
public struct DecodingLimits: Sendable, Equatable {
    public var maxFileBytes: UInt64
    /// Rows × columns of one frame.
    public var maxFramePixels: UInt64
    public var maxFrames: UInt32

    public init(maxFileBytes: UInt64 = 4 << 30, maxFramePixels: UInt64 = 1 << 28, maxFrames: UInt32 = 65_535) {
        self.maxFileBytes = maxFileBytes
        self.maxFramePixels = maxFramePixels
        self.maxFrames = maxFrames
    }

    public static let `default` = DecodingLimits()
}
