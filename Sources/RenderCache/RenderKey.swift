/// The cache key of one rendered image (DESIGN.md "Caching"):
/// `dicomserve:{generation}:{kind}:{sop}:{frame}:{canonical params}`. Equal requests give equal keys
/// whatever order or spelling their parameters came in; the HTTP layer derives the strong ETag from it.
public struct RenderKey: Hashable, Sendable, CustomStringConvertible {
    public var generation: Int
    public var kind: String
    public var sopInstanceUID: String
    public var frame: Int
    /// Canonical render parameters, e.g. `w=-600,1500,LINEAR;vp=256x256;png`.
    public var parameters: String

    public init(generation: Int, kind: String, sopInstanceUID: String, frame: Int, parameters: String) {
        self.generation = generation
        self.kind = kind
        self.sopInstanceUID = sopInstanceUID
        self.frame = frame
        self.parameters = parameters
    }

    public var description: String { "dicomserve:\(generation):\(kind):\(sopInstanceUID):\(frame):\(parameters)" }

    /// A strong entity tag: the key's 64-bit FNV-1a hash, quoted. The key names exactly one rendering of
    /// one stored object, so equal tags mean equal bytes.
    public var entityTag: String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in description.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return "\"" + String(repeating: "0", count: 16 - hex.count) + hex + "\""
    }
}
