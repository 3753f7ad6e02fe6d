import CImageCodecs
import Foundation
import Testing

/// The hand-written PNG container around ISA-L and libdeflate: decoded by libpng (which checks every
/// chunk's CRC, the zlib checksum and the filter bytes) to exactly the pixels written.
struct PNGWriterTests {
    static let deflaters: [(cimg_deflater, Int32)] = [
        (CIMG_DEFLATER_ISAL, 0), (CIMG_DEFLATER_ISAL, 1), (CIMG_DEFLATER_ISAL, 2), (CIMG_DEFLATER_ISAL, 3),
        (CIMG_DEFLATER_LIBDEFLATE, 1), (CIMG_DEFLATER_LIBDEFLATE, 6), (CIMG_DEFLATER_LIBDEFLATE, 12),
    ]
    static let filters = [CIMG_PNG_FILTER_NONE, CIMG_PNG_FILTER_SUB, CIMG_PNG_FILTER_UP, CIMG_PNG_FILTER_AVERAGE, CIMG_PNG_FILTER_PAETH]

    static func write(
        _ pixels: [UInt8],
        width: Int,
        height: Int,
        channels: Int,
        stride: Int? = nil,
        deflater: cimg_deflater,
        level: Int32,
        filter: cimg_png_filter
    ) -> (status: cimg_status, png: [UInt8]) {
        var buffer = cimg_buffer()
        defer { cimg_buffer_free(&buffer) }
        var options = cimg_png_writer_options(deflater: deflater, level: level, filter: filter)
        var message = [CChar](repeating: 0, count: 128)
        let status = cimg_png_write(
            pixels,
            UInt32(width),
            UInt32(height),
            UInt32(channels),
            stride ?? width * channels,
            &options,
            &buffer,
            &message,
            message.count
        )
        return (status, status == CIMG_OK ? Array(UnsafeBufferPointer(start: buffer.data, count: buffer.size)) : [])
    }

    /// Noise defeats the compressor (stored blocks, output larger than input); a gradient and an edge
    /// exercise every predictor.
    static func pixels(width: Int, height: Int, channels: Int, noise: Bool) -> [UInt8] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<(width * height * channels)).map { index in
            if noise {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                return UInt8(truncatingIfNeeded: state >> 56)
            }
            let x = (index / channels) % width
            let y = (index / channels) / width
            return UInt8(truncatingIfNeeded: (x * 3 + y * 5 + (index % channels) * 70) / (x > width / 2 ? 3 : 1))
        }
    }

    @Test(arguments: [(1, 1, 1), (1, 7, 3), (7, 1, 1), (33, 17, 3), (300, 200, 1), (257, 129, 3)])
    func everyDeflaterAndFilterRoundTrips(size: (width: Int, height: Int, channels: Int)) throws {
        for noise in [false, true] {
            let source = Self.pixels(width: size.width, height: size.height, channels: size.channels, noise: noise)
            for (deflater, level) in Self.deflaters {
                for filter in Self.filters {
                    let (status, png) = Self.write(
                        source,
                        width: size.width,
                        height: size.height,
                        channels: size.channels,
                        deflater: deflater,
                        level: level,
                        filter: filter
                    )
                    try #require(status == CIMG_OK, "deflater \(deflater.rawValue) level \(level) filter \(filter.rawValue)")
                    #expect(
                        EncoderTests.decodePNG(png, channels: size.channels) == source,
                        "deflater \(deflater.rawValue) level \(level) filter \(filter.rawValue) noise \(noise)"
                    )
                }
            }
        }
    }

    @Test func rowsPaddedBeyondTheirPixelsAreReadByStride() throws {
        let (width, height) = (5, 4)
        let packed = Self.pixels(width: width, height: height, channels: 3, noise: false)
        var padded: [UInt8] = []
        for row in 0..<height { padded += packed[(row * width * 3)..<((row + 1) * width * 3)] + [0xEE, 0xEE, 0xEE, 0xEE] }
        let (status, png) = Self.write(
            padded,
            width: width,
            height: height,
            channels: 3,
            stride: width * 3 + 4,
            deflater: CIMG_DEFLATER_ISAL,
            level: 1,
            filter: CIMG_PNG_FILTER_PAETH
        )
        #expect(status == CIMG_OK)
        #expect(EncoderTests.decodePNG(png, channels: 3) == packed)
    }

    @Test func theContainerIsSignatureHeaderDataEnd() throws {
        let (_, png) = Self.write(
            [10, 20, 30, 40],
            width: 2,
            height: 2,
            channels: 1,
            deflater: CIMG_DEFLATER_LIBDEFLATE,
            level: 6,
            filter: CIMG_PNG_FILTER_UP
        )
        #expect(Array(png.prefix(8)) == [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
        // IHDR: length 13, 2×2, depth 8, greyscale, deflate, adaptive filtering, no interlace.
        #expect(Array(png[8..<33].prefix(29)) == [0, 0, 0, 13] + Array("IHDR".utf8) + [0, 0, 0, 2, 0, 0, 0, 2, 8, 0, 0, 0, 0] + Array(png[29..<33]))
        #expect(Array(png.suffix(12)) == [0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82])
        #expect(String(decoding: png[37..<41], as: UTF8.self) == "IDAT")
    }

    @Test func badArgumentsAreRefusedNotWritten() {
        let pixels = [UInt8](repeating: 1, count: 16)
        let refusals: [(Int, Int, Int, Int, cimg_deflater, Int32, cimg_png_filter)] = [
            (0, 4, 1, 0, CIMG_DEFLATER_ISAL, 1, CIMG_PNG_FILTER_UP),  // no width
            (4, 0, 1, 4, CIMG_DEFLATER_ISAL, 1, CIMG_PNG_FILTER_UP),  // no height
            (4, 4, 2, 8, CIMG_DEFLATER_ISAL, 1, CIMG_PNG_FILTER_UP),  // grey+alpha is not written
            (4, 4, 1, 3, CIMG_DEFLATER_ISAL, 1, CIMG_PNG_FILTER_UP),  // stride shorter than a row
            (4, 4, 1, 4, CIMG_DEFLATER_ISAL, 4, CIMG_PNG_FILTER_UP),  // ISA-L has levels 0–3
            (4, 4, 1, 4, CIMG_DEFLATER_LIBDEFLATE, 0, CIMG_PNG_FILTER_UP),  // libdeflate has 1–12
            (4, 4, 1, 4, CIMG_DEFLATER_LIBDEFLATE, 13, CIMG_PNG_FILTER_UP),
            (4, 4, 1, 4, CIMG_DEFLATER_ISAL, 1, CIMG_PNG_FILTER_ADAPTIVE),  // libpng's, not ours
        ]
        for (width, height, channels, stride, deflater, level, filter) in refusals {
            let (status, _) = Self.write(
                pixels,
                width: width,
                height: height,
                channels: channels,
                stride: stride,
                deflater: deflater,
                level: level,
                filter: filter
            )
            #expect(status == CIMG_ERR_ARGUMENT, "\(width)×\(height)×\(channels) stride \(stride) level \(level)")
        }
    }

    @Test func concurrentWritersKeepTheirOwnScratch() async throws {
        let images = (0..<4).map { Self.pixels(width: 200 + $0 * 37, height: 150 + $0 * 11, channels: $0 % 2 == 0 ? 1 : 3, noise: $0 == 3) }
        await withTaskGroup(of: Bool.self) { group in
            for round in 0..<32 {
                let index = round % 4
                group.addTask {
                    let (width, height, channels) = (200 + index * 37, 150 + index * 11, index % 2 == 0 ? 1 : 3)
                    let (status, png) = Self.write(
                        images[index],
                        width: width,
                        height: height,
                        channels: channels,
                        deflater: round % 3 == 0 ? CIMG_DEFLATER_LIBDEFLATE : CIMG_DEFLATER_ISAL,
                        level: 1,
                        filter: CIMG_PNG_FILTER_PAETH
                    )
                    return status == CIMG_OK && EncoderTests.decodePNG(png, channels: channels) == images[index]
                }
            }
            for await ok in group { #expect(ok) }
        }
    }
}
