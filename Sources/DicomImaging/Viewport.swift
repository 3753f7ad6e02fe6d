/// A bounding box to fit an image into, keeping its aspect ratio.
public struct Viewport: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var width: Int
    public var height: Int
    /// Enlarge images smaller than the box. Off by default: viewers scale up better themselves.
    public var allowsUpscaling: Bool

    public init(width: Int, height: Int, allowsUpscaling: Bool = false) {
        precondition(width > 0 && height > 0)
        self.width = width
        self.height = height
        self.allowsUpscaling = allowsUpscaling
    }

    /// The output size for an image of the given size: as large as fits, aspect kept, at least 1×1.
    public func fittedSize(width sourceWidth: Int, height sourceHeight: Int) -> (width: Int, height: Int) {
        var scale = min(Double(width) / Double(sourceWidth), Double(height) / Double(sourceHeight))
        if !allowsUpscaling { scale = min(scale, 1) }
        let fittedWidth = max(1, min(width, Int((Double(sourceWidth) * scale).rounded())))
        let fittedHeight = max(1, min(height, Int((Double(sourceHeight) * scale).rounded())))
        return (fittedWidth, fittedHeight)
    }

    public var description: String { "\(width)×\(height)" }
}

/// An image's size in pixels.
public struct ImageSize: Sendable, Equatable, Hashable {
    public var width: Int
    public var height: Int

    public init(width: Int, height: Int) {
        self.width = width
        self.height = height
    }
}
