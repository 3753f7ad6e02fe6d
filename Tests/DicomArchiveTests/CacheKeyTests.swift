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
