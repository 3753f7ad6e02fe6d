import CImageCodecs
import Foundation
import Testing

/// Encoders round-trip through independent decoders (libpng's simplified API, tjDecompress2).
struct EncoderTests {
    /// A smooth gradient with an edge: realistic for both compressors.
    static func image(width: Int, height: Int, channels: Int) -> [UInt8] {
        (0..<(width * height * channels)).map { index in
            let pixel = index / channels
            let x = pixel % width
            let y = pixel / width
            let c = index % channels
            return UInt8(truncatingIfNeeded: (x * 2 + y + c * 40) / (x > width / 2 ? 2 : 1))
        }
    }

    static func encodePNG(
        _ pixels: [UInt8],
        width: Int,
        height: Int,
        channels: Int,
        filter: cimg_png_filter,
        level: Int32 = 1,
        strategy: cimg_zlib_strategy = CIMG_ZLIB_RLE
    ) -> [UInt8]? {
        var buffer = cimg_buffer()
        defer { cimg_buffer_free(&buffer) }
        var options = cimg_png_options(compression_level: level, filter: filter, strategy: strategy)
        var message = [CChar](repeating: 0, count: 128)
        let status = cimg_png_encode(
            pixels,
            UInt32(width),
            UInt32(height),
            UInt32(channels),
            width * channels,
            &options,
            &buffer,
            &message,
            message.count
        )
        guard status == CIMG_OK else { return nil }
        return Array(UnsafeBufferPointer(start: buffer.data, count: buffer.size))
    }

    static func decodePNG(_ png: [UInt8], channels: Int) -> [UInt8]? {
        var width: UInt32 = 0
        var height: UInt32 = 0
        var native: UInt32 = 0
        guard cimg_png_info(png, png.count, &width, &height, &native) == CIMG_OK else { return nil }
        var pixels = [UInt8](repeating: 0, count: Int(width * height) * channels)
        guard cimg_png_decode(png, png.count, UInt32(channels), &pixels, pixels.count) == CIMG_OK else { return nil }
        return pixels
    }

    static func encodeJPEG(_ encoder: OpaquePointer, _ pixels: [UInt8], width: Int, height: Int, channels: Int, quality: Int32) -> [UInt8]? {
        var buffer = cimg_buffer()
        defer { cimg_buffer_free(&buffer) }
        var message = [CChar](repeating: 0, count: 128)
        guard
            cimg_jpeg_encode(
                encoder,
                pixels,
                UInt32(width),
                UInt32(height),
                UInt32(channels),
                width * channels,
                quality,
                &buffer,
                &message,
                message.count
            ) == CIMG_OK
        else { return nil }
        return Array(UnsafeBufferPointer(start: buffer.data, count: buffer.size))
    }

    static func decodeJPEG(_ jpeg: [UInt8], width: Int, height: Int, channels: Int) -> [UInt8]? {
        var pixels = [UInt8](repeating: 0, count: width * height * channels)
        guard cimg_jpeg_decode(jpeg, jpeg.count, UInt32(channels), &pixels, pixels.count) == CIMG_OK else { return nil }
        return pixels
    }

    static func psnr(_ a: [UInt8], _ b: [UInt8]) -> Double {
        var sum = 0.0
        for (x, y) in zip(a, b) {
            let difference = Double(Int(x) - Int(y))
            sum += difference * difference
        }
        let mse = sum / Double(a.count)
        return mse == 0 ? .infinity : 10 * log10(255 * 255 / mse)
    }

    @Test(arguments: [1, 3])
    func pngIsLosslessForEveryFilter(channels: Int) throws {
        let pixels = Self.image(width: 67, height: 31, channels: channels)
        for filter in [
            CIMG_PNG_FILTER_NONE, CIMG_PNG_FILTER_SUB, CIMG_PNG_FILTER_UP, CIMG_PNG_FILTER_AVERAGE,
            CIMG_PNG_FILTER_PAETH, CIMG_PNG_FILTER_ADAPTIVE,
        ] {
            let png = try #require(Self.encodePNG(pixels, width: 67, height: 31, channels: channels, filter: filter))
            #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
            #expect(Self.decodePNG(png, channels: channels) == pixels, "filter \(filter)")
        }
    }

    @Test func pngRejectsBadArguments() {
        var buffer = cimg_buffer()
        defer { cimg_buffer_free(&buffer) }
        var options = cimg_png_options(compression_level: 12, filter: CIMG_PNG_FILTER_UP, strategy: CIMG_ZLIB_RLE)
        var message = [CChar](repeating: 0, count: 128)
        #expect(cimg_png_encode([0], 1, 1, 1, 1, &options, &buffer, &message, message.count) == CIMG_ERR_ARGUMENT)
        options.compression_level = 1
        #expect(cimg_png_encode([0, 0], 1, 1, 2, 2, &options, &buffer, &message, message.count) == CIMG_ERR_ARGUMENT)
        #expect(cimg_png_encode([0], 0, 1, 1, 1, &options, &buffer, &message, message.count) == CIMG_ERR_ARGUMENT)
    }

    @Test(arguments: [1, 3])
    func jpegRoundTripsAtHighQuality(channels: Int) throws {
        let encoder = try #require(cimg_jpeg_encoder_create(0, 0))
        defer { cimg_jpeg_encoder_destroy(encoder) }
        let pixels = Self.image(width: 96, height: 64, channels: channels)
        let jpeg = try #require(Self.encodeJPEG(encoder, pixels, width: 96, height: 64, channels: channels, quality: 95))
        #expect(Array(jpeg.prefix(2)) == [0xFF, 0xD8])
        let decoded = try #require(Self.decodeJPEG(jpeg, width: 96, height: 64, channels: channels))
        #expect(Self.psnr(pixels, decoded) > 35)
    }

    /// libturbojpeg 2.1.5 corrupts a baseline encode on a handle that earlier made a progressive one
    /// (PSNR 4.8 dB seen). Each configuration has its own encoder, so a baseline encode after a
    /// progressive one, in the same process and in any order, stays as good as a first one.
    @Test func baselineAfterProgressiveIsNotCorrupted() throws {
        let progressive = try #require(cimg_jpeg_encoder_create(1, 2))
        let baseline = try #require(cimg_jpeg_encoder_create(0, 2))
        defer {
            cimg_jpeg_encoder_destroy(progressive)
            cimg_jpeg_encoder_destroy(baseline)
        }
        let pixels = Self.image(width: 128, height: 96, channels: 3)
        let first = try #require(Self.encodeJPEG(baseline, pixels, width: 128, height: 96, channels: 3, quality: 90))
        let progressiveJPEG = try #require(Self.encodeJPEG(progressive, pixels, width: 128, height: 96, channels: 3, quality: 90))
        let after = try #require(Self.encodeJPEG(baseline, pixels, width: 128, height: 96, channels: 3, quality: 90))
        #expect(first == after, "a baseline encode must not depend on what another configuration did before")
        for jpeg in [progressiveJPEG, after] {
            let decoded = try #require(Self.decodeJPEG(jpeg, width: 128, height: 96, channels: 3))
            #expect(Self.psnr(pixels, decoded) > 30)
        }
        // The progressive stream carries an SOF2 marker, the baseline one SOF0.
        #expect(progressiveJPEG.indices.dropLast().contains { progressiveJPEG[$0] == 0xFF && progressiveJPEG[$0 + 1] == 0xC2 })
        #expect(after.indices.dropLast().contains { after[$0] == 0xFF && after[$0 + 1] == 0xC0 })
    }

    @Test func jpegRejectsBadQuality() throws {
        let encoder = try #require(cimg_jpeg_encoder_create(0, 0))
        defer { cimg_jpeg_encoder_destroy(encoder) }
        #expect(Self.encodeJPEG(encoder, [0], width: 1, height: 1, channels: 1, quality: 0) == nil)
        #expect(Self.encodeJPEG(encoder, [0], width: 1, height: 1, channels: 1, quality: 101) == nil)
        #expect(cimg_jpeg_encoder_create(0, 7) == nil)
    }
}
