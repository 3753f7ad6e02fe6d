/// The Photometric Interpretation (0028,0004) of decoded samples (PS3.3 C.7.6.3.1.2).
public enum PhotometricInterpretation: String, Sendable, Equatable, CaseIterable {
    case monochrome1 = "MONOCHROME1"
    case monochrome2 = "MONOCHROME2"
    case paletteColor = "PALETTE COLOR"
    case rgb = "RGB"
    case ybrFull = "YBR_FULL"
    case ybrFull422 = "YBR_FULL_422"

    /// True for the two greyscale interpretations, the only ones that take modality and VOI transforms.
    public var isMonochrome: Bool { self == .monochrome1 || self == .monochrome2 }
}

/// How samples of one decoded frame are laid out in memory.
public struct PixelFormat: Sendable, Equatable, CustomStringConvertible {
    public var rows: Int
    public var columns: Int
    public var samplesPerPixel: Int
    /// 1, 8, 16 or 32. Samples are in host byte order; 1-bit samples are packed LSB first.
    public var bitsAllocated: Int
    public var bitsStored: Int
    public var highBit: Int
    public var isSigned: Bool
    /// False: colour-by-pixel (R G B R G B …); true: colour-by-plane (R R … G G … B B …).
    public var isPlanar: Bool
    public var photometric: PhotometricInterpretation

    public init(
        rows: Int,
        columns: Int,
        samplesPerPixel: Int = 1,
        bitsAllocated: Int,
        bitsStored: Int? = nil,
        highBit: Int? = nil,
        isSigned: Bool = false,
        isPlanar: Bool = false,
        photometric: PhotometricInterpretation = .monochrome2
    ) {
        self.rows = rows
        self.columns = columns
        self.samplesPerPixel = samplesPerPixel
        self.bitsAllocated = bitsAllocated
        self.bitsStored = bitsStored ?? bitsAllocated
        self.highBit = highBit ?? ((bitsStored ?? bitsAllocated) - 1)
        self.isSigned = isSigned
        self.isPlanar = isPlanar
        self.photometric = photometric
    }

    public var pixelCount: Int { rows * columns }

    /// Samples one frame holds: native YBR_FULL_422 keeps two per pixel (Y Y Cb Cr for each pair).
    public var samplesPerFrame: Int {
        photometric == .ybrFull422 ? pixelCount * 2 : pixelCount * samplesPerPixel
    }

    /// Bytes one frame needs.
    public var frameByteCount: Int {
        bitsAllocated == 1 ? (samplesPerFrame + 7) / 8 : samplesPerFrame * (bitsAllocated / 8)
    }

    public var description: String {
        "\(columns)×\(rows) \(photometric.rawValue) \(samplesPerPixel)×\(bitsAllocated)-bit "
            + "(stored \(bitsStored), high bit \(highBit), \(isSigned ? "signed" : "unsigned"))"
    }
}

/// One decoded frame: samples as the format describes them.
public struct PixelFrame: Sendable {
    public var format: PixelFormat
    public var bytes: [UInt8]

    public init(format: PixelFormat, bytes: [UInt8]) {
        self.format = format
        self.bytes = bytes
    }
}
