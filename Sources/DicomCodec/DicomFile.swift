import CDCMTK
import DicomImaging
import DicomWeb

/// An open DICOM Part 10 file: its attributes and its frames.
///
/// Not thread-safe (DCMTK keeps per-file state while decoding); use one instance per task.
public final class DicomFile {
    private let handle: OpaquePointer
    public let path: String
    public let limits: DecodingLimits

    /// What `EncodingScanner` found before DCMTK was allowed to parse the file.
    public let encoding: EncodingScanner.Summary

    /// Opens and parses `path`. The encoding is checked against `limits` first (`EncodingScanner`), so
    /// DCMTK only ever parses files within them. Pixel data stays on disk until a frame is decoded.
    public init(path: String, limits: DecodingLimits = .default) throws(DicomError) {
        encoding = try MappedFile.scan(path: path, limits: limits)
        var cLimits = dcmshim_limits(
            max_file_bytes: limits.maxFileBytes,
            max_frame_pixels: limits.maxFramePixels,
            max_frames: limits.maxFrames
        )
        var file: OpaquePointer?
        let (status, message) = withMessageBuffer { buffer, capacity in
            dcmshim_open_file(path, &cLimits, &file, buffer, capacity)
        }
        guard status == DCMSHIM_OK, let file else { throw DicomError(status: status, message: message) }
        self.handle = file
        self.path = path
        self.limits = limits
    }

    deinit { dcmshim_close(handle) }

    /// The Transfer Syntax UID the dataset is encoded with.
    public var transferSyntaxUID: String { String(cString: dcmshim_transfer_syntax(handle)) }

    public var transferSyntax: TransferSyntax { TransferSyntax(uid: transferSyntaxUID) }

    /// All attributes (file meta information when asked for, then the dataset), values longer than
    /// `bulkThreshold` bytes and pixel data left as `.bulk`.
    public func dataSet(includeMetaInformation: Bool = false, bulkThreshold: UInt32 = 64 * 1024) throws(DicomError) -> DicomDataSet {
        var builder = DataSetBuilder()
        let (status, message) = withUnsafeMutablePointer(to: &builder) { builderPointer in
            withMessageBuffer { buffer, capacity in
                dcmshim_walk(
                    handle,
                    includeMetaInformation ? 1 : 0,
                    bulkThreshold,
                    { context, event, element in
                        context!.assumingMemoryBound(to: DataSetBuilder.self).pointee.handle(event, element)
                        return 0
                    },
                    builderPointer,
                    buffer,
                    capacity
                )
            }
        }
        guard status == DCMSHIM_OK else { throw DicomError(status: status, message: message) }
        return builder.result
    }

    /// The layout of this file's frames as they will be decoded.
    public func frameInfo() throws(DicomError) -> FrameInfo {
        var info = dcmshim_frame_info()
        let (status, message) = withMessageBuffer { buffer, capacity in dcmshim_frame_info_get(handle, &info, buffer, capacity) }
        guard status == DCMSHIM_OK else { throw DicomError(status: status, message: message) }
        return FrameInfo(info)
    }

    /// Decodes frame `number` (1-based) to stored samples: in full, or as `options` allow (a JPEG 2000 or
    /// HTJ2K frame at a reduced resolution, the returned frame's format says the size).
    public func decodeFrame(_ number: Int, options: DecodeOptions = DecodeOptions()) throws(DicomError) -> PixelFrame {
        let info = try frameInfo()
        guard number >= 1 && number <= info.numberOfFrames else {
            throw .failure(.frameOutOfRange, "frame \(number) requested, the object has \(info.numberOfFrames)")
        }
        // frameBytes already counts what codecs return (e.g. full RGB for JPEG YBR_FULL_422); DCMTK
        // wants an even buffer.
        let capacity = Int(info.frameBytes) + 1
        var decoded = dcmshim_frame_info()
        var failure: (dcmshim_status, String)?
        var bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            let (status, message) = withMessageBuffer { text, textCapacity in
                var shimOptions = dcmshim_decode_options(
                    resolution_reduction: UInt32(clamping: options.resolutionReduction),
                    threads: UInt32(clamping: options.threads)
                )
                return dcmshim_decode_frame_with(handle, UInt32(number - 1), &shimOptions, buffer.baseAddress, capacity, &decoded, text, textCapacity)
            }
            if status != DCMSHIM_OK {
                failure = (status, message)
                initialized = 0
                return
            }
            initialized = Int(decoded.frame_bytes)
        }
        if let (status, message) = failure { throw DicomError(status: status, message: message) }
        let decodedInfo = FrameInfo(decoded)
        guard let photometric = PhotometricInterpretation(rawValue: decodedInfo.photometric) else {
            throw .failure(.unsupportedPixelFormat, "Photometric Interpretation \(decodedInfo.photometric) is not supported")
        }
        if bytes.count > Int(decoded.frame_bytes) { bytes.removeLast(bytes.count - Int(decoded.frame_bytes)) }
        let format = PixelFormat(
            rows: decodedInfo.rows,
            columns: decodedInfo.columns,
            samplesPerPixel: decodedInfo.samplesPerPixel,
            bitsAllocated: decodedInfo.bitsAllocated,
            bitsStored: decodedInfo.bitsStored,
            highBit: decodedInfo.highBit,
            isSigned: decodedInfo.isSigned,
            isPlanar: decodedInfo.isPlanar,
            photometric: photometric
        )
        guard bytes.count >= format.frameByteCount else {
            throw .failure(.pixelDataTooShort, "decoded frame has \(bytes.count) bytes, \(format) needs \(format.frameByteCount)")
        }
        return PixelFrame(format: format, bytes: bytes)
    }

    /// The compressed bitstream of one frame of encapsulated pixel data, untouched (1-based frame).
    public func encapsulatedFrame(_ number: Int) throws(DicomError) -> [UInt8] {
        guard number >= 1 else { throw .failure(.frameOutOfRange, "frame numbers start at 1") }
        var size = 0
        var (status, message) = withMessageBuffer { buffer, capacity in
            dcmshim_encapsulated_frame(handle, UInt32(number - 1), nil, &size, buffer, capacity)
        }
        guard status == DCMSHIM_OK else { throw DicomError(status: status, message: message) }
        var bytes = [UInt8](repeating: 0, count: size)
        (status, message) = bytes.withUnsafeMutableBytes { bytes in
            withMessageBuffer { buffer, capacity in
                dcmshim_encapsulated_frame(handle, UInt32(number - 1), bytes.baseAddress, &size, buffer, capacity)
            }
        }
        guard status == DCMSHIM_OK else { throw DicomError(status: status, message: message) }
        return bytes
    }
}

/// How a frame may be decoded; the default is in full, on the calling thread.
public struct DecodeOptions: Sendable, Equatable, Hashable {
    /// JPEG 2000 and HTJ2K: wavelet levels to skip, each halving both dimensions (rounded up); clamped
    /// to the levels the codestream has. Other syntaxes decode in full.
    public var resolutionReduction: Int
    /// JPEG 2000: threads OpenJPEG may use for this frame (1: the calling thread only).
    public var threads: Int

    public init(resolutionReduction: Int = 0, threads: Int = 1) {
        self.resolutionReduction = max(0, resolutionReduction)
        self.threads = max(1, threads)
    }

    /// The most levels to skip so that a frame of `rows`×`columns` still covers `viewport` in both
    /// dimensions: the reduced frame (each level halves, rounding up) stays at least as large as the
    /// box it is resized into, so the area-averaging resize only ever shrinks.
    public static func reduction(rows: Int, columns: Int, fitting viewport: (width: Int, height: Int)) -> Int {
        guard viewport.width > 0, viewport.height > 0 else { return 0 }
        var levels = 0
        while levels < 8 {
            let next = levels + 1
            let reducedColumns = (columns + (1 << next) - 1) >> next
            let reducedRows = (rows + (1 << next) - 1) >> next
            guard reducedColumns >= viewport.width && reducedRows >= viewport.height else { break }
            levels = next
        }
        return levels
    }
}

/// The image pixel module of a file (before decoding, or of what a decode returned).
public struct FrameInfo: Sendable, Equatable {
    public var rows: Int
    public var columns: Int
    public var samplesPerPixel: Int
    public var bitsAllocated: Int
    public var bitsStored: Int
    public var highBit: Int
    public var isSigned: Bool
    public var isPlanar: Bool
    public var numberOfFrames: Int
    public var isEncapsulated: Bool
    public var frameBytes: UInt64
    public var photometric: String

    init(_ info: dcmshim_frame_info) {
        rows = Int(info.rows)
        columns = Int(info.columns)
        samplesPerPixel = Int(info.samples_per_pixel)
        bitsAllocated = Int(info.bits_allocated)
        bitsStored = Int(info.bits_stored)
        highBit = Int(info.high_bit)
        isSigned = info.pixel_representation == 1
        isPlanar = info.planar_configuration == 1
        numberOfFrames = Int(info.number_of_frames)
        isEncapsulated = info.is_encapsulated != 0
        frameBytes = info.frame_bytes
        photometric = withUnsafeBytes(of: info.photometric) { raw in
            String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
        }
    }
}

/// Calls a shim function with a message buffer and returns its status and message.
func withMessageBuffer(_ body: (UnsafeMutablePointer<CChar>, Int) -> dcmshim_status) -> (dcmshim_status, String) {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 512) { buffer in
        buffer[0] = 0
        let status = body(buffer.baseAddress!, buffer.count)
        return (status, status == DCMSHIM_OK ? "" : String(cString: buffer.baseAddress!))
    }
}
