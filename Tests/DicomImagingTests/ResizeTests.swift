import Testing

@testable import DicomImaging

struct ResizeTests {
    static func checkerboard(_ size: Int) -> RenderedImage {
        RenderedImage(
            width: size,
            height: size,
            channels: 1,
            pixels: (0..<(size * size)).map { ($0 / size + $0 % size) % 2 == 0 ? 255 : 0 }
        )
    }

    @Test func thumbnailOfACheckerboardIsSmoothGrey() {
        // Point sampling would give pure black or white; area averaging gives the mean.
        let thumbnail = AreaAverageResizer.resize(Self.checkerboard(512), to: Viewport(width: 128, height: 128))
        #expect(thumbnail.width == 128 && thumbnail.height == 128)
        #expect(thumbnail.pixels.allSatisfy { $0 == 128 })
    }

    @Test func nonIntegerFactorAveragesCoveredArea() {
        // 3 → 2: output 0 covers source 0 fully and half of source 1.
        let image = RenderedImage(width: 3, height: 1, channels: 1, pixels: [0, 90, 180])
        let resized = AreaAverageResizer.resize(image, width: 2, height: 1)
        #expect(resized.pixels == [30, 150])  // (0 + 45)/1.5, (45 + 180)/1.5
        let odd = AreaAverageResizer.resize(Self.checkerboard(511), to: Viewport(width: 100, height: 100))
        #expect(odd.pixels.allSatisfy { (120...135).contains($0) })
    }

    @Test func aspectIsKeptAndNeverEnlarged() {
        let wide = RenderedImage(width: 512, height: 256, channels: 3, pixels: Array(repeating: 7, count: 512 * 256 * 3))
        let fitted = AreaAverageResizer.resize(wide, to: Viewport(width: 128, height: 128))
        #expect((fitted.width, fitted.height) == (128, 64))
        #expect(fitted.pixels.allSatisfy { $0 == 7 })
        let small = AreaAverageResizer.resize(wide, to: Viewport(width: 4096, height: 4096))
        #expect((small.width, small.height) == (512, 256))
        #expect(Viewport(width: 100, height: 100, allowsUpscaling: true).fittedSize(width: 10, height: 20) == (50, 100))
    }

    @Test func rgbChannelsStaySeparate() {
        let image = RenderedImage(width: 2, height: 2, channels: 3, pixels: [255, 0, 0, 255, 0, 0, 0, 0, 255, 0, 0, 255])
        let resized = AreaAverageResizer.resize(image, width: 1, height: 1)
        #expect(resized.pixels == [128, 0, 128])
    }
}
