import DicomImaging
import DicomWeb

/// Renders frames of DICOM files: decode → modality → VOI → presentation → resize (docs/architecture.md).
public struct InstanceRenderer: Sendable {
    public init() {}

    /// Decodes and renders frame `frame` (1-based) of `file`.
    public func render(_ file: DicomFile, frame: Int = 1, request: RenderRequest = RenderRequest()) throws(DicomError) -> RenderedImage {
        let dataSet = try file.dataSet(bulkThreshold: 1 << 20)
        let pixels = try file.decodeFrame(frame)
        return try render(pixels, dataSet: dataSet, frame: frame, request: request)
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
