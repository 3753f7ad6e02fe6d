import CDCMTK
import DicomImaging

/// A compressed transfer syntax frames can be re-encoded in for a WADO-RS client that asks for it
/// (PS3.18 8.7.3.5; OHIF's `requestTransferSyntaxUID`).
public enum FrameEncoding: Sendable, Hashable {
    /// JPEG-LS lossless, 1.2.840.10008.1.2.4.80 (DCMTK's dcmjpls).
    case jpegLSLossless
    /// HTJ2K lossless, 1.2.840.10008.1.2.4.201, written RPCL so that it is also .202 (OpenJPH).
    case htj2kLossless(rpcl: Bool)
    /// JPEG baseline, 1.2.840.10008.1.2.4.50: lossy, 8-bit samples only (DCMTK's dcmjpeg).
    case jpegBaseline(quality: Int)

    /// The encoding a transfer syntax names, if frames can be produced in it.
    public init?(transferSyntax uid: String) {
        switch uid {
        case "1.2.840.10008.1.2.4.80": self = .jpegLSLossless
        case "1.2.840.10008.1.2.4.201": self = .htj2kLossless(rpcl: false)
        case "1.2.840.10008.1.2.4.202": self = .htj2kLossless(rpcl: true)
        case "1.2.840.10008.1.2.4.50": self = .jpegBaseline(quality: 90)
        default: return nil
        }
    }

    public var transferSyntaxUID: String {
        switch self {
        case .jpegLSLossless: "1.2.840.10008.1.2.4.80"
        case .htj2kLossless(let rpcl): rpcl ? "1.2.840.10008.1.2.4.202" : "1.2.840.10008.1.2.4.201"
        case .jpegBaseline: "1.2.840.10008.1.2.4.50"
        }
    }

    public var isLossy: Bool { if case .jpegBaseline = self { true } else { false } }

    /// The syntaxes frames of this layout can be transcoded to: the lossless ones for 8- and 16-bit
    /// grey or colour samples; JPEG baseline as well when the samples are 8-bit grey or RGB.
    public static func producible(bitsAllocated: Int?, bitsStored: Int?, samplesPerPixel: Int?, photometric: String?) -> [FrameEncoding] {
        guard let bitsAllocated, [8, 16].contains(bitsAllocated), let samplesPerPixel, [1, 3].contains(samplesPerPixel) else { return [] }
        var encodings: [FrameEncoding] = [.jpegLSLossless, .htj2kLossless(rpcl: false), .htj2kLossless(rpcl: true)]
        let photometric = photometric ?? ""
        // Grey or RGB only: palette indices are not an image JPEG can hold, and native YBR samples would be
        // taken for RGB by the encoder's colour conversion.
        let baselineFits = photometric.hasPrefix("MONOCHROME") || photometric == "RGB"
        if bitsAllocated == 8, bitsStored == 8, baselineFits { encodings.append(.jpegBaseline(quality: 90)) }
        return encodings
    }

    var shimEncoding: dcmshim_encoding {
        switch self {
        case .jpegLSLossless: DCMSHIM_ENCODE_JPEGLS_LOSSLESS
        case .htj2kLossless: DCMSHIM_ENCODE_HTJ2K_LOSSLESS
        case .jpegBaseline: DCMSHIM_ENCODE_JPEG_BASELINE
        }
    }
}

/// Encodes decoded frames in another transfer syntax.
public enum FrameTranscoder {
    /// One frame (as `DicomFile.decodeFrame` returns it) as one compressed bitstream.
    public static func encode(_ frame: PixelFrame, as encoding: FrameEncoding) throws(DicomError) -> [UInt8] {
        let format = frame.format
        guard [8, 16].contains(format.bitsAllocated), [1, 3].contains(format.samplesPerPixel) else {
            throw .failure(.unsupportedPixelFormat, "frames with \(format.bitsAllocated)-bit samples cannot be transcoded")
        }
        let bytes = format.isPlanar ? interleaved(frame) : Array(frame.bytes.prefix(format.frameByteCount))
        var layout = dcmshim_frame_info()
        layout.rows = UInt32(format.rows)
        layout.columns = UInt32(format.columns)
        layout.samples_per_pixel = UInt32(format.samplesPerPixel)
        layout.bits_allocated = UInt32(format.bitsAllocated)
        // Every bit up to High Bit is encoded, so a field shifted below it (PS3.5 8.1.1) survives too;
        // bits above High Bit carry nothing and are left out.
        layout.bits_stored = UInt32(max(1, min(format.bitsAllocated, format.highBit + 1)))
        layout.high_bit = layout.bits_stored - 1
        layout.pixel_representation = format.isSigned ? 1 : 0
        layout.planar_configuration = 0
        layout.number_of_frames = 1
        withUnsafeMutableBytes(of: &layout.photometric) { target in
            let name = Array(format.photometric.rawValue.utf8.prefix(target.count - 1))
            target.copyBytes(from: name + [0])
        }
        var output: UnsafeMutablePointer<UInt8>?
        var size = 0
        let quality: Int32 = if case .jpegBaseline(let quality) = encoding { Int32(clamping: quality) } else { 0 }
        let (status, message) = bytes.withUnsafeBytes { pixels in
            withMessageBuffer { text, capacity in
                dcmshim_encode_frame(&layout, pixels.baseAddress, pixels.count, encoding.shimEncoding, quality, &output, &size, text, capacity)
            }
        }
        defer { dcmshim_free(output) }
        guard status == DCMSHIM_OK, let output else { throw DicomError(status: status, message: message) }
        return Array(UnsafeBufferPointer(start: output, count: size))
    }

    /// Colour-by-plane samples rearranged colour-by-pixel.
    static func interleaved(_ frame: PixelFrame) -> [UInt8] {
        let format = frame.format
        let pixels = format.rows * format.columns
        let sampleBytes = format.bitsAllocated / 8
        let samples = format.samplesPerPixel
        var out = [UInt8](repeating: 0, count: pixels * samples * sampleBytes)
        frame.bytes.withUnsafeBufferPointer { source in
            for plane in 0..<samples {
                for pixel in 0..<pixels {
                    for byte in 0..<sampleBytes {
                        out[(pixel * samples + plane) * sampleBytes + byte] = source[(plane * pixels + pixel) * sampleBytes + byte]
                    }
                }
            }
        }
        return out
    }
}
