import DicomImaging
import DicomWeb

/// Renders frames of DICOM files: decode → modality → VOI → presentation → resize (docs/architecture.md).
public struct InstanceRenderer: Sendable {
    public init() {}

    /// Decodes and renders frame `frame` (1-based) of `file`; JPEG 2000 and HTJ2K frames at a reduced
    /// resolution when the viewport is small enough (`decodeOptions(for:…)`).
    public func render(_ file: DicomFile, frame: Int = 1, request: RenderRequest = RenderRequest()) throws(DicomError) -> RenderedImage {
        let dataSet = try file.dataSet(bulkThreshold: 1 << 20)
        let info = try file.frameInfo()
        let options = Self.decodeOptions(for: request, dataSet: dataSet, frame: frame, info: info, transferSyntax: file.transferSyntax)
        let pixels = try file.decodeFrame(frame, options: options)
        var request = request
        if options.resolutionReduction > 0 {
            request.reducedDecode = ReducedDecode(fullSize: ImageSize(width: info.columns, height: info.rows), levels: options.resolutionReduction)
        }
        return try render(pixels, dataSet: dataSet, frame: frame, request: request)
    }

    /// How to decode a frame for `request`: a JPEG 2000 or HTJ2K frame skips as many wavelet levels as
    /// leave it at least as large as the output in both dimensions (so the resize still only shrinks),
    /// unless the VOI is computed from the pixel values (min/max), which a smaller decode would change.
    public static func decodeOptions(
        for request: RenderRequest,
        dataSet: DicomDataSet,
        frame: Int,
        info: FrameInfo,
        transferSyntax: TransferSyntax
    ) -> DecodeOptions {
        decodeOptions(
            for: request,
            dataSet: dataSet,
            frame: frame,
            storedSize: ImageSize(width: info.columns, height: info.rows),
            isMonochrome: PhotometricInterpretation(rawValue: info.photometric)?.isMonochrome ?? true,
            isSigned: info.isSigned,
            transferSyntax: transferSyntax
        )
    }

    /// The same decision from what a decoded frame's format says of the stored frame.
    public static func decodeOptions(
        for request: RenderRequest,
        dataSet: DicomDataSet,
        frame: Int,
        storedSize: ImageSize,
        isMonochrome: Bool,
        isSigned: Bool,
        transferSyntax: TransferSyntax
    ) -> DecodeOptions {
        guard transferSyntax.isWaveletCoded, let viewport = request.viewport, storedSize.width > 0, storedSize.height > 0 else {
            return DecodeOptions()
        }
        if isMonochrome, FrameAttributes.greyscale(dataSet, frame: frame, isSigned: isSigned).voiDependsOnPixelValues(request.voi) {
            return DecodeOptions()
        }
        let output = viewport.fittedSize(width: storedSize.width, height: storedSize.height)
        return DecodeOptions(resolutionReduction: DecodeOptions.reduction(rows: storedSize.height, columns: storedSize.width, fitting: output))
    }

    /// Renders an already-decoded frame with the attributes of its dataset.
    public func render(_ pixels: PixelFrame, dataSet: DicomDataSet, frame: Int, request: RenderRequest) throws(DicomError) -> RenderedImage {
        let greyscale = FrameAttributes.greyscale(dataSet, frame: frame, isSigned: pixels.format.isSigned)
        let palette = pixels.format.photometric == .paletteColor ? FrameAttributes.palette(dataSet) : nil
        do {
            return try FrameRenderer.render(pixels, greyscale: greyscale, palette: palette, request: request)
        } catch {
            switch error {
            case .invalidWindow: throw .failure(.invalidRenderParameters, error.description)
            case .missingPalette, .unusableRescale: throw .failure(.missingAttribute, error.description)
            case .frameTooShort: throw .failure(.pixelDataTooShort, error.description)
            case .unsupportedPixelFormat: throw .failure(.unsupportedPixelFormat, error.description)
            }
        }
    }
}
