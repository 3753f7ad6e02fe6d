/// What to render: the VOI to apply and the box to fit into.
public struct RenderRequest: Sendable, Equatable, Hashable {
    public var voi: VOIRequest
    public var viewport: Viewport?
    /// Set when the frame given was decoded at a reduced resolution (JPEG 2000 wavelet levels skipped):
    /// the viewport is fitted to the stored size, and the resize knows where the samples lie.
    public var reducedDecode: ReducedDecode?

    public init(voi: VOIRequest = .automatic, viewport: Viewport? = nil, reducedDecode: ReducedDecode? = nil) {
        self.voi = voi
        self.viewport = viewport
        self.reducedDecode = reducedDecode
    }
}

/// A frame decoded `levels` wavelet levels below its stored size `fullSize`.
public struct ReducedDecode: Sendable, Equatable, Hashable {
    public var fullSize: ImageSize
    public var levels: Int

    public init(fullSize: ImageSize, levels: Int) {
        self.fullSize = fullSize
        self.levels = levels
    }
}

/// Decoded frame → display pixels: the whole presentation pipeline (modality, VOI, photometric, then
/// the viewport; docs/architecture.md, "A rendered image").
public enum FrameRenderer {
    public static func render(
        _ frame: PixelFrame,
        greyscale: GreyscaleAttributes = GreyscaleAttributes(),
        palette: Palette? = nil,
        request: RenderRequest = RenderRequest()
    ) throws(ImagingError) -> RenderedImage {
        let format = frame.format
        guard frame.bytes.count >= format.frameByteCount else {
            throw .frameTooShort(expected: format.frameByteCount, actual: frame.bytes.count)
        }
        var image: RenderedImage
        if format.photometric.isMonochrome {
            guard format.samplesPerPixel == 1 else {
                throw .unsupportedPixelFormat("\(format.photometric.rawValue) with \(format.samplesPerPixel) samples per pixel")
            }
            let pipeline = try greyscalePipeline(for: frame, greyscale: greyscale, request: request)
            image = RenderedImage(
                width: format.columns,
                height: format.rows,
                channels: 1,
                pixels: pipeline.apply(to: frame),
                window: pipeline.voi.equivalentWindow
            )
        } else {
            let pixels = try ColorConversion.rgb8(from: frame, palette: palette)
            image = RenderedImage(width: format.columns, height: format.rows, channels: 3, pixels: pixels)
        }
        if let viewport = request.viewport {
            let window = image.window
            if let reduced = request.reducedDecode {
                let size = viewport.fittedSize(width: reduced.fullSize.width, height: reduced.fullSize.height)
                image = AreaAverageResizer.resize(image, width: size.width, height: size.height, from: reduced)
            } else {
                image = AreaAverageResizer.resize(image, to: viewport)
            }
            image.window = window
        }
        return image
    }

    /// The pipeline a greyscale frame is rendered with (its lookup table is built per frame; tests and
    /// benchmarks inspect it).
    public static func greyscalePipeline(
        for frame: PixelFrame,
        greyscale: GreyscaleAttributes,
        request: RenderRequest
    ) throws(ImagingError) -> GreyscalePipeline {
        let decoder = StoredValueDecoder(frame.format)
        // A rescale is monotonic, so finite at both ends of the stored range means finite everywhere.
        if case .rescale(let slope, let intercept) = greyscale.modality {
            let ends = [greyscale.modality.apply(decoder.valueRange.lowerBound), greyscale.modality.apply(decoder.valueRange.upperBound)]
            guard slope.isFinite, intercept.isFinite, ends.allSatisfy(\.isFinite) else {
                throw .unusableRescale(slope: slope, intercept: intercept)
            }
        }
        return GreyscalePipeline(
            decoder: decoder,
            modality: greyscale.modality,
            voi: try greyscale.voiTransform(for: request.voi, frame: frame),
            inverted: frame.format.photometric == .monochrome1
        )
    }
}
