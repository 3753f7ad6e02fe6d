import DicomArchive
import DicomCodec
import DicomImaging
import DicomServer
import LocalStorage

/// Opens the embedded engines in the data directory (the SQLite catalog and the object files), loads
/// the presets and builds the archive over them: the one place that names the storage engines.
func openArchive(_ configuration: ServerConfiguration) throws -> Archive {
    let catalog = try SQLiteCatalog(path: configuration.dataDirectory + "/catalog.sqlite")
    let store = try FileObjectStore(root: configuration.dataDirectory + "/objects")
    // Uploads interrupted by a crash left only temporary files; nothing refers to them.
    store.removeStaleTemporaryFiles()
    let presets = try PresetLibrary.load(directory: configuration.presetsDirectory)
    return Archive(
        catalog: catalog,
        store: store,
        presets: presets,
        pool: WorkPool(threads: configuration.renderThreads),
        thumbnailViewport: Viewport(width: configuration.thumbnailSize, height: configuration.thumbnailSize),
        limits: configuration.decodingLimits,
        reader: configuration.instanceReader,
        retrieveLimits: RetrieveLimits(
            maxFramesPerRequest: configuration.maximumFramesPerRequest,
            maxResponseBytes: configuration.maximumResponseBytes
        ),
        cache: configuration.cache
    )
}
