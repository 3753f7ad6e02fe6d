import DicomArchive
import DicomCodec
import DicomImaging
import DicomServer
import LocalStorage

/// Opens the embedded engines in the data directory (the SQLite catalog and the object files), loads
/// the presets and builds the archive over them: the one place that names the storage engines.
func openArchive(_ configuration: ServerConfiguration) throws -> Archive {
    let catalog: SQLiteCatalog
    let store: FileObjectStore
    do {
        catalog = try SQLiteCatalog(path: configuration.dataDirectory + "/catalog.sqlite")
        store = try FileObjectStore(root: configuration.dataDirectory + "/objects")
    } catch {
        throw CommandFailure.environment("cannot open the archive in \(configuration.dataDirectory): \(error)")
    }
    // Uploads interrupted by a crash left only temporary files; nothing refers to them.
    store.removeStaleTemporaryFiles()
    let presets: PresetLibrary
    do {
        presets = try PresetLibrary.load(directory: configuration.presetsDirectory)
    } catch {
        throw CommandFailure.usage("cannot load the presets (--presets \(configuration.presetsDirectory)): \(error)")
    }
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
        cache: configuration.cache,
        pngCompression: configuration.pngCompression
    )
}
