import DicomCodec
import DicomStorage

/// The cache key of one rendered image: `dicomserve:{generation}:{kind}:{sop}:{frame}:{canonical params}`.
/// Equal requests give equal keys whatever order or spelling their parameters came in. Made only by
/// `CacheKeys`.
public struct RenderKey: Hashable, Sendable, CustomStringConvertible {
    public var generation: Int
    public var kind: String
    public var sopInstanceUID: String
    public var frame: Int
    /// Canonical render parameters, e.g. `w=-600,1500,LINEAR;vp=256x256;png=fast;v=…`.
    public var parameters: String

    public init(generation: Int, kind: String, sopInstanceUID: String, frame: Int, parameters: String) {
        self.generation = generation
        self.kind = kind
        self.sopInstanceUID = sopInstanceUID
        self.frame = frame
        self.parameters = parameters
    }

    public var description: String { "dicomserve:\(generation):\(kind):\(sopInstanceUID):\(frame):\(parameters)" }

    /// A strong entity tag (quoted): the key names exactly one rendering of one stored object, so
    /// equal tags mean equal bytes.
    public var entityTag: String { CacheKeys.entityTag(of: description) }
}

/// A decoded frame's cache key.
public struct FrameKey: Hashable, Sendable {
    public var sopInstanceUID: String
    /// `InstanceRow.contentVersion` of the object decoded.
    public var version: String
    public var frame: Int
    /// Wavelet levels skipped (JPEG 2000, HTJ2K); 0 for a full decode.
    public var resolutionReduction: Int
}

/// A built document's cache key with the entity tag its answer carries.
public struct DocumentKey: Hashable, Sendable {
    public var key: String
    public var entityTag: String
}

/// Every cache key, Redis key and entity tag the archive makes, in one place, so that what one part
/// writes another can find (and retire) without spelling the format again.
public enum CacheKeys {
    /// The shared cache generation (`clear-cache` increments it; every key carries it).
    static let generation = "dicomserve:generation"
    /// The stream of replaced instances replicas read to drop their copies.
    static let replacements = "dicomserve:replaced"

    /// The key of a render of the stored object in `row` (its content version included): a replaced
    /// object gets new keys, so new ETags, and an old render can never be served as the current one, by
    /// us, nginx or a browser.
    /// `png` is part of a PNG's key: replicas (or a restart) with another `--png-compression` write other
    /// bytes, so they must not share entity tags.
    public static func render(_ row: InstanceRow, options: RenderOptions, png: PNGCompression, generation: Int) -> RenderKey {
        var parameters: [String] = []
        switch options.voi {
        case .automatic: parameters.append("voi=auto")
        case .minMax: parameters.append("voi=minmax")
        case .window(let window): parameters.append("w=\(window.center),\(window.width),\(window.function.rawValue)")
        }
        parameters.append(options.viewport.map { "vp=\($0.width)x\($0.height)\($0.allowsUpscaling ? "+" : "")" } ?? "vp=full")
        parameters.append(options.format == .png ? "png=\(png.rawValue)" : "jpeg,q=\(options.quality)")
        parameters.append("v=\(row.contentVersion)")
        return RenderKey(
            generation: generation,
            kind: "rendered",
            sopInstanceUID: row.sopInstanceUID,
            frame: options.frame,
            parameters: parameters.joined(separator: ";")
        )
    }

    /// The key of a frame re-encoded in `transferSyntax` (WADO-RS frames in a requested syntax).
    static func transcodedFrame(_ row: InstanceRow, frame: Int, transferSyntax: String, generation: Int) -> RenderKey {
        RenderKey(
            generation: generation,
            kind: "transcoded",
            sopInstanceUID: row.sopInstanceUID,
            frame: frame,
            parameters: "ts=\(transferSyntax);v=\(row.contentVersion)"
        )
    }

    /// The Redis pattern matching every render of an instance, in any generation (SCAN MATCH).
    static func renderPattern(sopInstanceUID uid: String) -> String { "dicomserve:*:rendered:\(uid):*" }

    /// The Redis pattern matching every transcoded frame of an instance, in any generation.
    static func transcodedPattern(sopInstanceUID uid: String) -> String { "dicomserve:*:transcoded:\(uid):*" }

    /// The key of a decoded frame of the stored object in `row`.
    static func frame(_ row: InstanceRow, frame: Int, resolutionReduction: Int = 0) -> FrameKey {
        FrameKey(sopInstanceUID: row.sopInstanceUID, version: row.contentVersion, frame: frame, resolutionReduction: resolutionReduction)
    }

    /// The key of a series' WADO-RS metadata document: it changes with the series (its version), the
    /// generation, the base of the URLs inside and the media type.
    public static func seriesMetadata(
        study: String,
        series: String,
        version: SeriesVersion,
        base: String,
        mediaType: String,
        generation: Int
    ) -> DocumentKey {
        let key = "dicomserve:\(generation):metadata:\(study):\(series):\(version.instances):\(version.latest):\(base):\(mediaType)"
        return DocumentKey(key: key, entityTag: entityTag(of: "dicomserve:0:document:\(series):0:\(key)"))
    }

    /// The text's 64-bit FNV-1a hash, quoted as an HTTP entity tag.
    static func entityTag(of text: String) -> String {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01B3
        }
        let hex = String(hash, radix: 16)
        return "\"" + String(repeating: "0", count: 16 - hex.count) + hex + "\""
    }
}
