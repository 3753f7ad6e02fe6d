import Caching
import DicomStorage
import Synchronization

/// This replica's in-process caches, shared by the parts of the archive that fill them (rendering,
/// documents) and the parts that must empty them (replacements here or on another replica, clear-cache).
final class LocalCaches: Sendable {
    /// Encoded renders by key (L1).
    let renders: ByteBoundedLRU<RenderKey, Expiring<RenderedImageResult>>
    /// The base64 text of renders the JSON API sent as data URLs, beside the renders and dropped with
    /// them, so that a cached image is not encoded again on every request.
    let base64: ByteBoundedLRU<RenderKey, Expiring<[UInt8]>>
    /// Frames re-encoded in a requested transfer syntax (RenderKey kind `transcoded`), beside the renders.
    let transcodedFrames: ByteBoundedLRU<RenderKey, Expiring<[UInt8]>>
    /// Decoded frames with their dataset, so a new window on the same slice skips decoding.
    let decodedFrames: ByteBoundedLRU<FrameKey, DecodedFrame>
    /// Built series-level answers (WADO-RS series metadata), plain and gzip-compressed.
    let documents = ByteBoundedLRU<String, Expiring<CachedDocument>>(capacity: 64 << 20)
    let instanceRows = InstanceRowCache()
    /// Bumped by every replacement this replica learns of; a render or decode that sees it change while
    /// it runs does not cache what it made (it may be of the object that was replaced).
    let replacements = Atomic(0)

    init(configuration: CacheConfiguration) {
        renders = ByteBoundedLRU(capacity: configuration.renderedBytes)
        base64 = ByteBoundedLRU(capacity: configuration.renderedBytes / 4)
        transcodedFrames = ByteBoundedLRU(capacity: configuration.renderedBytes / 2)
        decodedFrames = ByteBoundedLRU(capacity: configuration.decodedFrameBytes)
    }

    /// Drops in-process renders, and their base64 text with them, whose keys match.
    func forgetRenders(where matches: (RenderKey) -> Bool) {
        renders.removeAll(where: matches)
        base64.removeAll(where: matches)
        transcodedFrames.removeAll(where: matches)
    }

    /// Forgets everything kept of an instance that was replaced.
    func forget(instance uid: String) {
        replacements.add(1, ordering: .releasing)
        instanceRows.forget(uid)
        forgetRenders { $0.sopInstanceUID == uid }
        decodedFrames.removeAll { $0.sopInstanceUID == uid }
    }

    /// The replacement count now, to compare with after work that may cache what it made.
    var replacementMark: Int { replacements.load(ordering: .acquiring) }
}
