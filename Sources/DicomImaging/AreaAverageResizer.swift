/// Downscaling by area averaging: each output pixel is the mean of the source area it covers, partial
/// pixels weighted by the fraction covered. Smooth thumbnails, no aliasing from point sampling.
/// Upscaling (only when a viewport asks for it) uses the same weights, which reduces to nearest area.
public enum AreaAverageResizer {
    public static func resize(_ image: RenderedImage, to viewport: Viewport) -> RenderedImage {
        let size = viewport.fittedSize(width: image.width, height: image.height)
        return resize(image, width: size.width, height: size.height)
    }

    public static func resize(_ image: RenderedImage, width: Int, height: Int) -> RenderedImage {
        if width == image.width && height == image.height { return image }
        if image.width % width == 0 && image.height % height == 0 {
            return boxReduce(image, factorX: image.width / width, factorY: image.height / height)
        }
        return separable(image, width: width, height: height)
    }

    /// Integer factors: whole blocks, integer sums, rounded mean.
    static func boxReduce(_ image: RenderedImage, factorX: Int, factorY: Int) -> RenderedImage {
        let width = image.width / factorX, height = image.height / factorY, channels = image.channels
        let area = UInt32(factorX * factorY)
        var sums = [UInt32](repeating: 0, count: width * channels)
        let pixels = [UInt8](unsafeUninitializedCapacity: width * height * channels) { output, initialized in
            image.pixels.withUnsafeBufferPointer { source in
                sums.withUnsafeMutableBufferPointer { sums in
                    for outputRow in 0..<height {
                        for index in 0..<sums.count { sums[index] = 0 }
                        for sourceRow in (outputRow * factorY)..<((outputRow + 1) * factorY) {
                            let row = sourceRow * image.width * channels
                            for x in 0..<width {
                                for dx in 0..<factorX {
                                    let base = row + (x * factorX + dx) * channels
                                    for c in 0..<channels { sums[x * channels + c] &+= UInt32(source[base + c]) }
                                }
                            }
                        }
                        let target = outputRow * width * channels
                        for index in 0..<sums.count { output[target + index] = UInt8((sums[index] + area / 2) / area) }
                    }
                }
            }
            initialized = width * height * channels
        }
        return RenderedImage(width: width, height: height, channels: channels, pixels: pixels)
    }

    /// The source span and weights of each output position along one axis.
    struct Span {
        var first: Int
        var weights: [Float]
    }

    static func spans(source: Int, target: Int) -> [Span] {
        let scale = Double(source) / Double(target)
        return (0..<target).map { index in
            let start = Double(index) * scale, end = Double(index + 1) * scale
            let first = Int(start.rounded(.down)), last = min(source - 1, Int((end - 1e-9).rounded(.down)))
            var weights = [Float]()
            for position in first...max(first, last) {
                let covered = min(end, Double(position + 1)) - max(start, Double(position))
                weights.append(Float(covered / scale))
            }
            return Span(first: first, weights: weights)
        }
    }

    static func separable(_ image: RenderedImage, width: Int, height: Int) -> RenderedImage {
        let channels = image.channels
        let columns = spans(source: image.width, target: width)
        let rows = spans(source: image.height, target: height)
        // Horizontal pass into floats, then vertical pass to bytes.
        var horizontal = [Float](repeating: 0, count: image.height * width * channels)
        for y in 0..<image.height {
            let sourceRow = y * image.width * channels, targetRow = y * width * channels
            for (x, span) in columns.enumerated() {
                for c in 0..<channels {
                    var sum: Float = 0
                    for (offset, weight) in span.weights.enumerated() {
                        sum += weight * Float(image.pixels[sourceRow + (span.first + offset) * channels + c])
                    }
                    horizontal[targetRow + x * channels + c] = sum
                }
            }
        }
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        for (y, span) in rows.enumerated() {
            for index in 0..<(width * channels) {
                var sum: Float = 0
                for (offset, weight) in span.weights.enumerated() {
                    sum += weight * horizontal[(span.first + offset) * width * channels + index]
                }
                pixels[y * width * channels + index] = UInt8(min(max(sum + 0.5, 0), 255))
            }
        }
        return RenderedImage(width: width, height: height, channels: channels, pixels: pixels)
    }
}
