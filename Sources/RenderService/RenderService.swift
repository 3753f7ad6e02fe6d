import DicomCatalog
import DicomCodec
import DicomImaging
import Foundation
import Synchronization

/// A rendered image and what it was rendered with.
public struct RenderedImageResult: Sendable {
    public var bytes: [UInt8]
    public var format: ImageFormat
    public var width: Int
    public var height: Int
    /// The explicit window applied, when there was one (preset or caller's).
    public var window: Window?
    public var frame: Int
}

/// What to render: VOI, frame, size and encoding.
public struct RenderOptions: Sendable, Equatable {
    public var voi: VOIRequest
    public var frame: Int
    public var viewport: Viewport?
    public var format: ImageFormat
    public var quality: Int

    public init(voi: VOIRequest = .automatic, frame: Int = 1, viewport: Viewport? = nil, format: ImageFormat = .png, quality: Int = 90) {
        self.voi = voi
        self.frame = frame
        self.viewport = viewport
        self.format = format
        self.quality = quality
    }
}

/// Finds instances in the catalog and renders them on the render pool. No HTTP types here.
public final class RenderService: Sendable {
    public let catalog: Catalog
    public let store: ObjectStore
    public let presets: PresetLibrary
    /// Decoding, rendering and encoding: CPU-bound, sized to the cores.
    public let pool: RenderPool
    /// Blocking file reads and ingest writes, kept off both the event loops and the render threads.
    public let filePool: RenderPool
    public let thumbnailViewport: Viewport
    public let limits: DecodingLimits
    let encoder = ImageEncoder()
    let renderer = InstanceRenderer()
    private let generation = Atomic(0)

    public init(
        catalog: Catalog,
        store: ObjectStore,
        presets: PresetLibrary,
        pool: RenderPool,
        filePool: RenderPool = RenderPool(threads: 4, queueLimit: 1024),
        thumbnailViewport: Viewport = Viewport(width: 256, height: 256),
        limits: DecodingLimits = .default
    ) {
        self.catalog = catalog
        self.store = store
        self.presets = presets
        self.pool = pool
        self.filePool = filePool
        self.thumbnailViewport = thumbnailViewport
        self.limits = limits
    }

    /// The cache generation: part of every cache key, so bumping it retires every cached render at once.
    public var cacheGeneration: Int { generation.load(ordering: .relaxed) }

    /// Retires every cached render (`clear-cache`); returns the new generation.
    @discardableResult
    public func bumpCacheGeneration() -> Int { generation.add(1, ordering: .relaxed).newValue }

    /// Stops the worker threads once their queued work is done.
    public func shutdown() async throws {
        try await pool.shutdown()
        try await filePool.shutdown()
    }

    /// Runs catalog queries (blocking SQLite calls) on the file pool, never on an event loop.
    public func query<Result: Sendable>(_ body: @escaping @Sendable (Catalog) throws -> Result) async throws -> Result {
        let catalog = self.catalog
        return try await filePool.run { try body(catalog) }
    }

    /// The catalog row of an instance, or `.notFound`.
    public func instance(_ uid: String) async throws -> InstanceRow {
        try await query { catalog in try Self.instance(uid, in: catalog) }
    }

    static func instance(_ uid: String, in catalog: Catalog) throws -> InstanceRow {
        guard let row = try catalog.instance(uid) else { throw RenderServiceError.notFound(kind: "instance", uid: uid) }
        return row
    }

    /// Renders one frame of a catalogued instance. Lookup, decoding and encoding run on the render pool.
    public func render(instance uid: String, options: RenderOptions) async throws -> RenderedImageResult {
        guard (1...100).contains(options.quality) else {
            throw RenderServiceError.invalidParameter(name: "quality", reason: "must be 1–100")
        }
        if case .window(let window) = options.voi, !window.isValid {
            throw RenderServiceError.invalidParameter(name: "window", reason: "width must be ≥ 1 (LINEAR) or > 0")
        }
        let (catalog, encoder, renderer, limits) = (self.catalog, self.encoder, self.renderer, self.limits)
        return try await pool.run {
            let row = try Self.instance(uid, in: catalog)
            guard options.frame >= 1 && options.frame <= row.numberOfFrames else {
                throw RenderServiceError.invalidParameter(name: "frame", reason: "must be 1…\(row.numberOfFrames) for this instance")
            }
            do {
                let file = try DicomFile(path: row.filePath, limits: limits)
                let image = try renderer.render(file, frame: options.frame, request: RenderRequest(voi: options.voi, viewport: options.viewport))
                let bytes = try encoder.encode(image, as: options.format, jpeg: JPEGOptions(quality: options.quality))
                var window: Window? = nil
                if case .window(let applied) = options.voi { window = applied }
                return RenderedImageResult(
                    bytes: bytes,
                    format: options.format,
                    width: image.width,
                    height: image.height,
                    window: window,
                    frame: options.frame
                )
            } catch let error as DicomError {
                // Parameters were checked above, so anything left is about the stored object.
                throw error.kind == .invalidRenderParameters
                    ? RenderServiceError.invalidParameter(name: "render", reason: error.message) : RenderServiceError.unrenderable(error)
            }
        }
    }

    /// Resolves a preset name to its VOI, or `.invalidParameter` naming the known ones.
    public func voi(forPreset name: String) throws -> (Preset, VOIRequest) {
        guard let preset = presets.preset(named: name) else {
            throw RenderServiceError.invalidParameter(
                name: "preset",
                reason: "unknown preset \"\(name)\"; known: \(presets.presets.map(\.id).joined(separator: ", "))"
            )
        }
        return (preset, preset.voiRequest)
    }
}
