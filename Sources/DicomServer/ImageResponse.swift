import Hummingbird
import RenderService

extension Response {
    /// A rendered image: its media type, and caching that suits immutable renders of stored objects.
    init(image result: RenderedImageResult) {
        self.init(
            status: .ok,
            headers: [.contentType: result.format.mediaType, .cacheControl: "private, max-age=3600"],
            body: .init(byteBuffer: ByteBuffer(bytes: result.bytes))
        )
    }
}
