import CImageCodecs
import DicomImaging
import Foundation
import Synchronization

/// Output image formats.
public enum ImageFormat: String, Sendable, CaseIterable {
    case png
    case jpeg

    public var mediaType: String { self == .png ? "image/png" : "image/jpeg" }

    /// `png`, `jpeg` or `jpg`, any case.
    public init?(name: String) {
        let lowered = name.lowercased()
        self.init(rawValue: lowered == "jpg" ? "jpeg" : lowered)
    }
}

/// How hard PNG output is compressed: the server's `--png-compression`. Each names one `PNGOptions`,
/// chosen by the deflate sweep in benchmarks/README.md (the lung CT, an MR and a CR; bytes against
/// time). libdeflate, also measured, lost to zlib's RLE strategy on every image at every level a
/// server can afford, so neither slower setting uses it.
public enum PNGCompression: String, Sendable, CaseIterable {
    /// ISA-L level 1, Up filter, our own container: 0.36 ms and 64 KB for the lung CT slice, 5.5× faster
    /// than zlib's fastest. The default: uncached renders are bound by the PNG encoder.
    case fast
    /// zlib level 1, RLE, Up (libpng): 13 % smaller on CT, 15 % on CR, 2 % on MR, for 3.5–5.5× the time.
    case balanced
    /// zlib level 1, RLE, Paeth (libpng): 15–19 % smaller on CT and CR than `fast`, for 5–7× the time.
    case small

    public var options: PNGOptions {
        switch self {
        case .fast: PNGOptions(deflater: .isal(level: 1), filter: .up)
        case .balanced: PNGOptions(deflater: .zlib(level: 1, strategy: .rle), filter: .up)
        case .small: PNGOptions(deflater: .zlib(level: 1, strategy: .rle), filter: .paeth)
        }
    }
}

/// One way of writing PNG: a deflate implementation with its level, and the row filter.
public struct PNGOptions: Sendable, Equatable, Hashable {
    /// PNG row filters (PNG §9); `adaptive` lets libpng choose per row, so it needs `.zlib`.
    public enum Filter: String, Sendable, CaseIterable {
        case none, sub, up, average, paeth, adaptive
    }

    /// zlib strategies.
    public enum Strategy: String, Sendable, CaseIterable {
        case `default`, filtered, huffmanOnly, rle
    }

    /// Who deflates the filtered rows.
    public enum Deflater: Sendable, Hashable, CustomStringConvertible {
        /// Intel ISA-L igzip, levels 0–3, with our own PNG container.
        case isal(level: Int)
        /// libdeflate, levels 1–12, with our own PNG container.
        case libdeflate(level: Int)
        /// zlib through libpng, levels 0–9: the fallback, and the only one with adaptive filtering.
        case zlib(level: Int, strategy: Strategy)

        public var description: String {
            switch self {
            case .isal(let level): "isal-\(level)"
            case .libdeflate(let level): "libdeflate-\(level)"
            case .zlib(let level, let strategy): "zlib-\(level)-\(strategy.rawValue)"
            }
        }
    }

    public var deflater: Deflater
    public var filter: Filter

    public init(deflater: Deflater, filter: Filter) {
        self.deflater = deflater
        self.filter = filter
    }

    /// The default: `PNGCompression.fast`.
    public init() { self = PNGCompression.fast.options }

    /// libpng's own defaults (zlib level 6, adaptive filters): the baseline the benchmark compares with.
    public static let libpngDefaults = PNGOptions(deflater: .zlib(level: 6, strategy: .filtered), filter: .adaptive)

    var cFilter: cimg_png_filter {
        switch filter {
        case .none: CIMG_PNG_FILTER_NONE
        case .sub: CIMG_PNG_FILTER_SUB
        case .up: CIMG_PNG_FILTER_UP
        case .average: CIMG_PNG_FILTER_AVERAGE
        case .paeth: CIMG_PNG_FILTER_PAETH
        case .adaptive: CIMG_PNG_FILTER_ADAPTIVE
        }
    }
}

extension PNGOptions.Strategy {
    var cStrategy: cimg_zlib_strategy {
        switch self {
        case .default: CIMG_ZLIB_DEFAULT
        case .filtered: CIMG_ZLIB_FILTERED
        case .huffmanOnly: CIMG_ZLIB_HUFFMAN_ONLY
        case .rle: CIMG_ZLIB_RLE
        }
    }
}

/// JPEG settings.
public struct JPEGOptions: Sendable, Equatable, Hashable {
    /// 1–100.
    public var quality: Int
    public var progressive: Bool

    public init(quality: Int = 90, progressive: Bool = false) {
        self.quality = quality
        self.progressive = progressive
    }
}

/// Encodes rendered images as PNG, JPEG, base64 and data URLs. Safe to share between tasks.
public final class ImageEncoder: Sendable {
    public let png: PNGOptions
    private let compressors = JPEGCompressorPool()

    public init(png: PNGOptions = PNGOptions()) {
        self.png = png
    }

    public func encode(_ image: RenderedImage, as format: ImageFormat, jpeg: JPEGOptions = JPEGOptions()) throws(DicomError) -> [UInt8] {
        switch format {
        case .png: try encodePNG(image)
        case .jpeg: try encodeJPEG(image, options: jpeg)
        }
    }

    public func encodePNG(_ image: RenderedImage, options: PNGOptions? = nil) throws(DicomError) -> [UInt8] {
        let settings = options ?? png
        let filter = settings.cFilter
        return try collect { out, message, capacity in
            image.pixels.withUnsafeBufferPointer { pixels in
                let (width, height, channels) = (UInt32(image.width), UInt32(image.height), UInt32(image.channels))
                switch settings.deflater {
                case .isal(let level), .libdeflate(let level):
                    let deflater = if case .isal = settings.deflater { CIMG_DEFLATER_ISAL } else { CIMG_DEFLATER_LIBDEFLATE }
                    var writer = cimg_png_writer_options(deflater: deflater, level: Int32(clamping: level), filter: filter)
                    return cimg_png_write(pixels.baseAddress, width, height, channels, image.rowStride, &writer, out, message, capacity)
                case .zlib(let level, let strategy):
                    var libpng = cimg_png_options(compression_level: Int32(clamping: level), filter: filter, strategy: strategy.cStrategy)
                    return cimg_png_encode(pixels.baseAddress, width, height, channels, image.rowStride, &libpng, out, message, capacity)
                }
            }
        }
    }

    public func encodeJPEG(_ image: RenderedImage, options: JPEGOptions = JPEGOptions()) throws(DicomError) -> [UInt8] {
        guard (1...100).contains(options.quality) else {
            throw .failure(.invalidRenderParameters, "JPEG quality must be 1–100, got \(options.quality)")
        }
        guard let compressor = compressors.take(progressive: options.progressive) else {
            throw .failure(.encodeFailed, "cannot create a JPEG compressor")
        }
        defer { compressors.give(compressor) }
        return try collect { out, message, capacity in
            image.pixels.withUnsafeBufferPointer { pixels in
                cimg_jpeg_encode(
                    compressor.handle,
                    pixels.baseAddress,
                    UInt32(image.width),
                    UInt32(image.height),
                    UInt32(image.channels),
                    image.rowStride,
                    Int32(options.quality),
                    out,
                    message,
                    capacity
                )
            }
        }
    }

    /// `data:<media type>;base64,<bytes>`, as the JSON API returns images.
    public static func dataURL(_ bytes: [UInt8], mediaType: String) -> String {
        "data:\(mediaType);base64," + base64(bytes)
    }

    public static func base64(_ bytes: [UInt8]) -> String {
        bytes.withUnsafeBufferPointer { Data(buffer: $0) }.base64EncodedString()
    }

    /// The base64 text as UTF-8 bytes, for bodies written without a `String` in between.
    public static func base64Bytes(_ bytes: [UInt8]) -> [UInt8] {
        Array(bytes.withUnsafeBufferPointer { Data(buffer: $0) }.base64EncodedData())
    }

    private func collect(
        _ body: (UnsafeMutablePointer<cimg_buffer>, UnsafeMutablePointer<CChar>, Int) -> cimg_status
    ) throws(DicomError) -> [UInt8] {
        var buffer = cimg_buffer()
        defer { cimg_buffer_free(&buffer) }
        var message = [CChar](repeating: 0, count: 256)
        let status = message.withUnsafeMutableBufferPointer { body(&buffer, $0.baseAddress!, $0.count) }
        guard status == CIMG_OK else {
            let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw .failure(status == CIMG_ERR_ARGUMENT ? .invalidRenderParameters : .encodeFailed, text)
        }
        return Array(UnsafeBufferPointer(start: buffer.data, count: buffer.size))
    }
}

/// One libturbojpeg handle, bound to one configuration for life (libturbojpeg 2.1.5 corrupts a baseline
/// encode on a handle that earlier did a progressive one). Used by one task at a time, via the pool.
final class JPEGCompressor: @unchecked Sendable {
    let handle: OpaquePointer
    let progressive: Bool

    init?(progressive: Bool) {
        guard let handle = cimg_jpeg_encoder_create(progressive ? 1 : 0, 2) else { return nil }
        self.handle = handle
        self.progressive = progressive
    }

    deinit { cimg_jpeg_encoder_destroy(handle) }
}

/// Idle compressors per configuration, so concurrent encodes never share a handle.
final class JPEGCompressorPool: Sendable {
    private let idle = Mutex<[Bool: [JPEGCompressor]]>([:])

    func take(progressive: Bool) -> JPEGCompressor? {
        idle.withLock { $0[progressive]?.popLast() } ?? JPEGCompressor(progressive: progressive)
    }

    func give(_ compressor: JPEGCompressor) {
        idle.withLock { pools in
            if pools[compressor.progressive, default: []].count < 16 { pools[compressor.progressive, default: []].append(compressor) }
        }
    }
}
