/// 8-bit display pixels ready for encoding: grey (1 channel) or RGB (3 channels, interleaved).
public struct RenderedImage: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var channels: Int
    public var pixels: [UInt8]
    /// The window a greyscale image was rendered with, whatever chose it (the request, a preset, the
    /// file, min/max; for a VOI LUT the window spanning its input), so a viewer can start a
    /// window/level drag from it. Nil for colour images, which have none.
    public var window: Window?

    public init(width: Int, height: Int, channels: Int, pixels: [UInt8], window: Window? = nil) {
        precondition(channels == 1 || channels == 3)
        precondition(pixels.count == width * height * channels)
        self.width = width
        self.height = height
        self.channels = channels
        self.pixels = pixels
        self.window = window
    }

    public var rowStride: Int { width * channels }
}
