import DicomImaging
import Testing

@testable import DicomArchive

struct RenderKeyTests {
    @Test func keysFollowTheDesignAndTagsAreStable() {
        let key = RenderKey(generation: 3, kind: "rendered", sopInstanceUID: "1.2.3", frame: 1, parameters: "w=-600,1500,LINEAR;vp=full;png")
        #expect(key.description == "dicomserve:3:rendered:1.2.3:1:w=-600,1500,LINEAR;vp=full;png")
        #expect(key.entityTag.count == 18 && key.entityTag.hasPrefix("\"") && key.entityTag.hasSuffix("\""))
        var other = key
        other.generation = 4
        #expect(other.entityTag != key.entityTag)
        #expect(
            RenderKey(generation: 3, kind: "rendered", sopInstanceUID: "1.2.3", frame: 1, parameters: "w=-600,1500,LINEAR;vp=full;png").entityTag
                == key.entityTag
        )
    }
}

/// What comes back from Redis is input: the render layout round-trips, and any cut or flipped copy of it
/// is refused or read back whole, never trusted half-way or trapped on.
struct CacheBlobTests {
    static let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 7, count: 40)

    @Test func aRenderRoundTrips() throws {
        let result = RenderedImageResult(
            bytes: Self.png,
            format: .png,
            width: 64,
            height: 32,
            window: Window(center: -600, width: 1500, function: .sigmoid),
            frame: 3
        )
        let back = try #require(RenderedImageResult(cacheBlob: result.cacheBlob))
        #expect(back.bytes == result.bytes && back.width == 64 && back.height == 32 && back.frame == 3 && back.window == result.window)
    }

    @Test func truncatedAndMutatedBlobsAreRefusedOrWhole() {
        let blob = RenderedImageResult(bytes: Self.png, format: .png, width: 64, height: 32, window: nil, frame: 1).cacheBlob
        for length in 0..<blob.count {
            #expect(RenderedImageResult(cacheBlob: Array(blob.prefix(length))) == nil, "cut at \(length)")
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2_000 {
            var mutated = blob
            mutated[Int.random(in: 0..<mutated.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            if let read = RenderedImageResult(cacheBlob: mutated) {
                #expect(read.bytes.count == Self.png.count && (1...65_535).contains(read.width) && read.frame >= 1)
            }
        }
    }
}
