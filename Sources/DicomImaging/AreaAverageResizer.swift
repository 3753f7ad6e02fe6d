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

    /// Resizes a frame decoded at a reduced resolution. A JPEG 2000 low-pass sample of level r stands
    /// for the stored pixels centred on its even-indexed position 2^r·n, not for the block
    /// [2^r·n, 2^r·(n+1)) a box average would: it lies 1/2 − 2^−(r+1) of a reduced pixel before the
    /// block's centre (ISO/IEC 15444-1 F.3.8: the low-pass outputs are the even samples). The areas are
    /// taken on that grid, and over the stored size (2^−r of it, not the rounded-up decoded size).
    public static func resize(_ image: RenderedImage, width: Int, height: Int, from reduced: ReducedDecode) -> RenderedImage {
        let factor = Double(1 << reduced.levels)
        let shift = 0.5 - 0.5 / factor
        return separable(
            image,
            columns: spans(source: image.width, target: width, extent: Double(reduced.fullSize.width) / factor, shift: shift),
            rows: spans(source: image.height, target: height, extent: Double(reduced.fullSize.height) / factor, shift: shift),
            width: width,
            height: height
        )
    }

    /// The source span and weights of each output position along one axis.
    struct Span {
        var first: Int
        var weights: [Float]
    }

    /// Output position i covers [i, i + 1)·extent/target of the source, moved by `shift` source pixels
    /// (positive: towards higher indices) and cut to the source; weights are the covered fractions.
    static func spans(source: Int, target: Int, extent: Double? = nil, shift: Double = 0) -> [Span] {
        let scale = (extent ?? Double(source)) / Double(target)
        return (0..<target).map { index in
            let start = max(0, min(Double(source), Double(index) * scale + shift))
            let end = max(start, min(Double(source), Double(index + 1) * scale + shift))
            let first = min(source - 1, Int(start.rounded(.down)))
            let last = max(first, min(source - 1, Int((end - 1e-9).rounded(.down))))
            var weights = [Float]()
            var total = 0.0
            for position in first...last {
                let covered = max(0, min(end, Double(position + 1)) - max(start, Double(position)))
                weights.append(Float(covered))
                total += covered
            }
            // An interval cut by the edge (or empty) is averaged over what it still covers.
            if total > 0 {
                weights = weights.map { $0 / Float(total) }
            } else {
                weights = weights.map { _ in 0 }
                weights[weights.count - 1] = 1
            }
            return Span(first: first, weights: weights)
        }
    }

    /// Any factors: a vertical pass over whole rows (contiguous, vectorisable) into floats, then a
    /// horizontal pass over the few remaining rows.
    static func separable(_ image: RenderedImage, width: Int, height: Int) -> RenderedImage {
        separable(
            image,
            columns: spans(source: image.width, target: width),
            rows: spans(source: image.height, target: height),
            width: width,
            height: height
        )
    }

    static func separable(_ image: RenderedImage, columns: [Span], rows: [Span], width: Int, height: Int) -> RenderedImage {
        let channels = image.channels
        let rowLength = image.width * channels
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
