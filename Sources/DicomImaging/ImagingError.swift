/// Why a decoded frame could not be rendered.
public enum ImagingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The pixel format is one this pipeline does not render (named in the message).
    case unsupportedPixelFormat(String)
    /// PALETTE COLOR without usable palette lookup tables.
    case missingPalette
    /// A window with a non-finite centre or a width too small for its function.
    case invalidWindow(Window)
    /// Rescale Slope/Intercept that carry stored values outside the finite numbers (e.g. slope 1e300 on
    /// 32-bit samples): no window can be computed from them, so the frame is refused, not guessed at.
    case unusableRescale(slope: Double, intercept: Double)
    /// The decoded samples are fewer than the format needs.
    case frameTooShort(expected: Int, actual: Int)

    public var description: String {
        switch self {
        case .unsupportedPixelFormat(let detail): "unsupported pixel format: \(detail)"
        case .missingPalette: "PALETTE COLOR image without a usable Red/Green/Blue Palette Color Lookup Table"
        case .invalidWindow(let window):
            "invalid window \(window): width must be ≥ 1 for LINEAR and > 0 for LINEAR_EXACT and SIGMOID"
        case .unusableRescale(let slope, let intercept):
            "Rescale Slope \(slope) and Intercept \(intercept) map the stored values outside the finite range"
        case .frameTooShort(let expected, let actual): "decoded frame has \(actual) bytes, \(expected) expected"
        }
    }
}
