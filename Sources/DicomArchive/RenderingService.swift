import Caching
import DicomCodec
import DicomImaging
import DicomStorage
import DicomWeb
import Synchronization

/// Renders frames of catalogued instances: from the in-process cache, else Redis, else decoded (or
/// taken from the decoded-frame cache), windowed, resized and encoded on the render pool, once for any
/// number of concurrent identical requests.
public final class RenderingService: Sendable {
    public let presets: PresetLibrary
    /// The box thumbnails fit in, unless the request gives a viewport.
    public let thumbnailViewport: Viewport
    private let store: any ObjectStorage
    private let pool: WorkPool
    private let caches: LocalCaches
    private let shared: SharedCache?
    private let replicas: ReplicaCoordinator
    private let limits: DecodingLimits
    private let timeToLive: Duration
    /// How PNG output is compressed (`--png-compression`); part of every PNG's cache key.
    public let pngCompression: PNGCompression
    private let encoder: ImageEncoder
    private let renderer = InstanceRenderer()
    private let flights = SingleFlight<RenderKey, RenderedImageResult>()
    private let metrics = ServiceMetrics()
    private let renderCount = Atomic(0)

    init(
        presets: PresetLibrary,
        thumbnailViewport: Viewport,
        store: any ObjectStorage,
        pool: WorkPool,
        caches: LocalCaches,
        shared: SharedCache?,
        replicas: ReplicaCoordinator,
        limits: DecodingLimits,
        timeToLive: Duration,
        pngCompression: PNGCompression
    ) {
        self.pngCompression = pngCompression
        encoder = ImageEncoder(png: pngCompression.options)
        self.presets = presets
        self.thumbnailViewport = thumbnailViewport
        self.store = store
        self.pool = pool
        self.caches = caches
        self.shared = shared
        self.replicas = replicas
        self.limits = limits
        self.timeToLive = timeToLive
    }

    /// Frames actually rendered (not answered from a cache or shared with a concurrent render).
    public var rendersPerformed: Int { renderCount.load(ordering: .relaxed) }

    /// Renders one frame of the instance in `row`.
    public func render(_ row: InstanceRow, options: RenderOptions) async throws -> RenderedImageResult {
        guard (1...100).contains(options.quality) else {
            throw ArchiveError.invalidParameter(name: "quality", reason: "must be 1–100")
        }
        if case .window(let window) = options.voi, !window.isValid {
            throw ArchiveError.invalidParameter(name: "window", reason: "width must be ≥ 1 (LINEAR) or > 0")
        }
        await replicas.refreshIfDue()
        let key = CacheKeys.render(row, options: options, png: pngCompression, generation: replicas.generation)
        if let cached = caches.renders.value(for: key), cached.isFresh() {
            metrics.cacheLookup(layer: "l1", hit: true)
            var result = cached.value
            result.cache = .l1
            result.key = key
            return result
        }
        metrics.cacheLookup(layer: "l1", hit: false)
        let (result, concurrent) = try await flights.run(key) { [self] in
            if let found = await sharedRender(key) {
                keepInProcess(found, key: key)
                return found
            }
            let mark = caches.replacementMark
            var result = try await pool.run { try self.renderNow(row, options: options) }
            result.entityTag = key.entityTag
            result.key = key
            // Replaced while it was rendering: the bytes may be of either version, so they are answered
            // (this request asked before the replacement) but never kept.
            guard caches.replacementMark == mark else { return result }
            keepInProcess(result, key: key)
            // Fire and forget: the answer does not wait for the shared cache.
            shared?.store(result.cacheBlob, at: key.description, timeToLive: timeToLive)
            return result
        }
        if concurrent { metrics.sharedRenders.increment() }
        return result
    }

    /// The base64 text of a render (as `render` returned it), from the cache when it was encoded before.
    public func base64(of result: RenderedImageResult) -> [UInt8] {
        guard let key = result.key else { return ImageEncoder.base64Bytes(result.bytes) }
        if let cached = caches.base64.value(for: key), cached.isFresh() { return cached.value }
        let encoded = ImageEncoder.base64Bytes(result.bytes)
        caches.base64.insert(Expiring(encoded, timeToLive: timeToLive), for: key, cost: encoded.count)
        return encoded
    }

    /// Resolves a preset name to its VOI, or `.invalidParameter` naming the known ones.
    public func voi(forPreset name: String) throws -> (Preset, VOIRequest) {
        guard let preset = presets.preset(named: name) else {
            throw ArchiveError.invalidParameter(
                name: "preset",
                reason: "unknown preset \"\(name)\"; known: \(presets.presets.map(\.id).joined(separator: ", "))"
            )
        }
        return (preset, preset.voiRequest)
    }

    private func keepInProcess(_ result: RenderedImageResult, key: RenderKey) {
        caches.renders.insert(
            Expiring(result, timeToLive: timeToLive),
            for: key,
            cost: result.bytes.count + key.description.utf8.count + 64
        )
    }

    /// The render from Redis, or nil (a miss, Redis down or slow: never an error for the request).
    private func sharedRender(_ key: RenderKey) async -> RenderedImageResult? {
        guard let shared else { return nil }
        guard let blob = await shared.value(key.description), var result = RenderedImageResult(cacheBlob: blob) else {
            metrics.cacheLookup(layer: "redis", hit: false)
            return nil
        }
        metrics.cacheLookup(layer: "redis", hit: true)
        result.cache = .redis
        result.entityTag = key.entityTag
        result.key = key
        return result
    }

    /// Decodes (or takes the cached decoded frame), renders and encodes. Runs on a render thread.
    private func renderNow(_ row: InstanceRow, options: RenderOptions) throws -> RenderedImageResult {
        guard options.frame >= 1 && options.frame <= row.numberOfFrames else {
            throw ArchiveError.invalidParameter(name: "frame", reason: "must be 1…\(row.numberOfFrames) for this instance")
        }
        let result: RenderedImageResult
        do {
            result = try renderDecoded(row, options: options)
        } catch let error as DicomError {
            // Parameters were checked above, so anything left is about the stored object.
            throw error.kind == .invalidRenderParameters
                ? ArchiveError.invalidParameter(name: "render", reason: error.message) : ArchiveError.unrenderable(error)
        }
        renderCount.add(1, ordering: .relaxed)
        metrics.renders.increment()
        return result
    }

    private func renderDecoded(_ row: InstanceRow, options: RenderOptions) throws -> RenderedImageResult {
        let format = options.format.rawValue
        var request = RenderRequest(voi: options.voi, viewport: options.viewport)
        let decoded = try metrics.time("decode", format: format) { try decodedFrame(row, frame: options.frame, for: request) }
        request.reducedDecode = decoded.reducedDecode
        // The imaging pipeline does all of the presentation: modality, VOI, photometric, then the viewport.
        let image = try metrics.time("present", format: format) { () throws(DicomError) in
            try renderer.render(decoded.pixels, dataSet: decoded.dataSet, frame: options.frame, request: request)
        }
        let bytes = try metrics.time("encode", format: format) { () throws(DicomError) in
            try encoder.encode(image, as: options.format, jpeg: JPEGOptions(quality: options.quality))
        }
        return RenderedImageResult(
            bytes: bytes,
            format: options.format,
            width: image.width,
            height: image.height,
            window: image.window,
            frame: options.frame
        )
    }

    /// A decoded frame and its dataset, from the decoded-frame cache or the stored object. A JPEG 2000
    /// or HTJ2K frame for a small viewport is decoded at a reduced resolution
    /// (`InstanceRenderer.decodeOptions`) and kept under its own key, even when the full frame is cached:
    /// one request always takes one path, so a render key names one set of bytes on every replica.
    private func decodedFrame(_ row: InstanceRow, frame: Int, for request: RenderRequest) throws -> DecodedFrame {
        let syntax = TransferSyntax(uid: row.transferSyntaxUID)
        let fullKey = CacheKeys.frame(row, frame: frame)
        let cachedFull = caches.decodedFrames.value(for: fullKey)
        if let cachedFull, !syntax.isWaveletCoded || request.viewport == nil { return cachedFull }
        let mark = caches.replacementMark
        var file: DicomFile?
        func opened() throws -> DicomFile {
            if let file { return file }
            let opening = try store.dicomFile(row, limits: limits)
            file = opening
            return opening
        }
        let dataSet = try cachedFull?.dataSet ?? opened().dataSet(bulkThreshold: 1 << 20)
        var options = DecodeOptions()
        var storedSize: ImageSize?
        if syntax.isWaveletCoded {
            let shape: (size: ImageSize, isMonochrome: Bool, isSigned: Bool)
            if let format = cachedFull?.pixels.format {
                shape = (ImageSize(width: format.columns, height: format.rows), format.photometric.isMonochrome, format.isSigned)
            } else {
                let info = try opened().frameInfo()
                let isMonochrome = PhotometricInterpretation(rawValue: info.photometric)?.isMonochrome ?? true
                shape = (ImageSize(width: info.columns, height: info.rows), isMonochrome, info.isSigned)
            }
            let size = shape.size
            storedSize = size
            options = InstanceRenderer.decodeOptions(
                for: request,
                dataSet: dataSet,
                frame: frame,
                storedSize: size,
                isMonochrome: shape.isMonochrome,
                isSigned: shape.isSigned,
                transferSyntax: syntax
            )
            if options.resolutionReduction == 0, let cachedFull { return cachedFull }
            // OpenJPEG decodes a large frame's code blocks in parallel: worth it only on cores the pool is
            // not using (the render in flight is one of `load`).
            if size.width * size.height >= 1 << 20 { options.threads = max(1, 1 + pool.threads - pool.load) }
        }
        let key = CacheKeys.frame(row, frame: frame, resolutionReduction: options.resolutionReduction)
        if key != fullKey, let cached = caches.decodedFrames.value(for: key) { return cached }
        var decoded = DecodedFrame(pixels: try opened().decodeFrame(frame, options: options), dataSet: dataSet)
        if let storedSize, options.resolutionReduction > 0 {
            decoded.reducedDecode = ReducedDecode(fullSize: storedSize, levels: options.resolutionReduction)
        }
        // The cost is what the entry holds: the frame's buffer (its capacity, not its count) and every
        // value the dataset keeps (up to 1 MiB each), not a flat guess.
        let cost = decoded.pixels.bytes.capacity + decoded.dataSet.approximateByteCount + 1024
        if caches.replacementMark == mark { caches.decodedFrames.insert(decoded, for: key, cost: cost) }
        return decoded
    }
}
