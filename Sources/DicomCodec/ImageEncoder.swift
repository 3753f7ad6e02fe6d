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

/// PNG settings. The defaults were chosen by measurement (benchmarks/README.md): zlib level 1 with the
/// RLE strategy and the Up filter is ~8× faster than libpng's defaults on CT for 2 % more bytes, and
/// faster than Paeth on every image measured (CT, MR, CR) for at most 5 % more.
public struct PNGOptions: Sendable, Equatable, Hashable {
    /// PNG row filters (PNG §9); `adaptive` lets libpng choose per row.
    public enum Filter: String, Sendable, CaseIterable {
        case none, sub, up, average, paeth, adaptive
    }

    /// zlib strategies.
    public enum Strategy: String, Sendable, CaseIterable {
        case `default`, filtered, huffmanOnly, rle
    }

    /// zlib level 0–9.
    public var compressionLevel: Int
    public var filter: Filter
    public var strategy: Strategy

    public init(compressionLevel: Int = 1, filter: Filter = .up, strategy: Strategy = .rle) {
        self.compressionLevel = compressionLevel
        self.filter = filter
        self.strategy = strategy
    }

    /// libpng's own defaults (level 6, adaptive filters): the baseline the benchmark compares with.
    public static let libpngDefaults = PNGOptions(compressionLevel: 6, filter: .adaptive, strategy: .filtered)

    var cOptions: cimg_png_options {
        let filters: [Filter: cimg_png_filter] = [
            .none: CIMG_PNG_FILTER_NONE, .sub: CIMG_PNG_FILTER_SUB, .up: CIMG_PNG_FILTER_UP,
            .average: CIMG_PNG_FILTER_AVERAGE, .paeth: CIMG_PNG_FILTER_PAETH, .adaptive: CIMG_PNG_FILTER_ADAPTIVE,
        ]
        let strategies: [Strategy: cimg_zlib_strategy] = [
            .default: CIMG_ZLIB_DEFAULT, .filtered: CIMG_ZLIB_FILTERED, .huffmanOnly: CIMG_ZLIB_HUFFMAN_ONLY, .rle: CIMG_ZLIB_RLE,
        ]
        return cimg_png_options(compression_level: Int32(compressionLevel), filter: filters[filter]!, strategy: strategies[strategy]!)
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
        var settings = (options ?? png).cOptions
        return try collect { out, message, capacity in
            image.pixels.withUnsafeBufferPointer { pixels in
                cimg_png_encode(
                    pixels.baseAddress,
                    UInt32(image.width),
                    UInt32(image.height),
                    UInt32(image.channels),
                    image.rowStride,
                    &settings,
                    out,
                    message,
                    capacity
                )
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
