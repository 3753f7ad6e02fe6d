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

    /// Integer factors: whole blocks, integer sums, rounded mean. Rows are summed first (a contiguous,
    /// vectorisable loop), then each output pixel adds `factorX` neighbours of that row sum.
    static func boxReduce(_ image: RenderedImage, factorX: Int, factorY: Int) -> RenderedImage {
        let width = image.width / factorX
        let height = image.height / factorY
        let channels = image.channels
        let rowLength = image.width * channels
        let area = UInt32(factorX * factorY)
        var rowSums = [UInt32](repeating: 0, count: rowLength)
        let pixels = [UInt8](unsafeUninitializedCapacity: width * height * channels) { output, initialized in
            image.pixels.withUnsafeBufferPointer { source in
                rowSums.withUnsafeMutableBufferPointer { sums in
                    for outputRow in 0..<height {
                        for index in 0..<rowLength { sums[index] = 0 }
                        for sourceRow in (outputRow * factorY)..<((outputRow + 1) * factorY) {
                            let row = UnsafeBufferPointer(rebasing: source[(sourceRow * rowLength)..<((sourceRow + 1) * rowLength)])
                            for index in 0..<rowLength { sums[index] &+= UInt32(row[index]) }
                        }
                        let target = outputRow * width * channels
                        for x in 0..<width {
                            for c in 0..<channels {
                                var sum: UInt32 = 0
                                var index = x * factorX * channels + c
                                for _ in 0..<factorX {
                                    sum &+= sums[index]
                                    index += channels
                                }
                                output[target + x * channels + c] = UInt8((sum + area / 2) / area)
                            }
                        }
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
            let start = Double(index) * scale
            let end = Double(index + 1) * scale
            let first = Int(start.rounded(.down))
            let last = min(source - 1, Int((end - 1e-9).rounded(.down)))
            var weights = [Float]()
            for position in first...max(first, last) {
                let covered = min(end, Double(position + 1)) - max(start, Double(position))
                weights.append(Float(covered / scale))
            }
            return Span(first: first, weights: weights)
        }
    }

    /// Any factors: a vertical pass over whole rows (contiguous, vectorisable) into floats, then a
    /// horizontal pass over the few remaining rows.
    static func separable(_ image: RenderedImage, width: Int, height: Int) -> RenderedImage {
        let channels = image.channels
        let rowLength = image.width * channels
        let columns = spans(source: image.width, target: width)
        let rows = spans(source: image.height, target: height)
        var vertical = [Float](repeating: 0, count: height * rowLength)
        image.pixels.withUnsafeBufferPointer { source in
            vertical.withUnsafeMutableBufferPointer { vertical in
                for (y, span) in rows.enumerated() {
                    let target = UnsafeMutableBufferPointer(rebasing: vertical[(y * rowLength)..<((y + 1) * rowLength)])
                    for (offset, weight) in span.weights.enumerated() {
                        let row = UnsafeBufferPointer(rebasing: source[((span.first + offset) * rowLength)..<((span.first + offset + 1) * rowLength)])
                        for index in 0..<rowLength { target[index] += weight * Float(row[index]) }
                    }
                }
            }
        }
        let outputLength = width * channels
        let pixels = [UInt8](unsafeUninitializedCapacity: height * outputLength) { output, initialized in
            vertical.withUnsafeBufferPointer { vertical in
                for y in 0..<height {
                    let row = y * rowLength
                    for (x, span) in columns.enumerated() {
                        for c in 0..<channels {
                            var sum: Float = 0
                            var index = row + span.first * channels + c
                            for weight in span.weights {
                                sum += weight * vertical[index]
                                index += channels
                            }
                            output[y * outputLength + x * channels + c] = UInt8(min(max(sum + 0.5, 0), 255))
                        }
                    }
                }
            }
            initialized = height * outputLength
        }
        return RenderedImage(width: width, height: height, channels: channels, pixels: pixels)
    }
}
