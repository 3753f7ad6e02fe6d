import DicomCodec
import DicomWeb
import Foundation

/// Turns a file into what the catalog records of it: every parse of untrusted bytes an import does
/// (the encoding scan, DCMTK's parser, the pixel data locator, the JSON model, and a decode of every
/// frame) happens behind this protocol, so that it can run in an isolated worker process
/// (`ParseWorkerPool`) where a crash costs one file, not the server.
public protocol InstanceReader: Sendable {
    /// Reads the file at `path`; blocking (run it off the event loops).
    func read(path: String) -> InstanceReading
}

/// What reading one file gave.
public enum InstanceReading: Sendable, Equatable, Codable {
    /// The instance with its attributes and JSON model; `filePath` is the path read, `contentHash` unset
    /// (the importer hashes the bytes it stores).
    case instance(IndexedInstance)
    /// Why the file cannot be stored, and who it is when it was read far enough to know.
    case rejected(reason: String, identity: Importer.Identity?)
}

/// Reads files in this process. What `import` and tests use when isolation is off, and what a parse
/// worker runs inside its limits.
public struct InProcessInstanceReader: InstanceReader {
    public let limits: DecodingLimits
    /// Decode every frame once, so that a file whose pixel data cannot be decoded is refused at the door
    /// rather than at its first render (and so a codec fault happens inside the worker's limits).
    public let decodesFrames: Bool

    public init(limits: DecodingLimits = .default, decodesFrames: Bool = true) {
        self.limits = limits
        self.decodesFrames = decodesFrames
    }

    public func read(path: String) -> InstanceReading {
        var identity: Importer.Identity?
        do {
            let file = try DicomFile(path: path, limits: limits)
            let dataSet = try file.dataSet()
            guard let bytes = FileManager.default.contents(atPath: path).map([UInt8].init) else {
                return .rejected(reason: "the file could not be read", identity: nil)
            }
            var instance = try IndexedInstance(
                dataSet: dataSet,
                transferSyntaxUID: file.transferSyntaxUID,
                filePath: path,
                fileSize: bytes.count,
                pixelData: PixelDataLocator.locate(in: bytes)
            )
            identity = instance.identity
            instance.metadataJSON = DicomJSONEncoder().encode(dataSet).serialized()
            if decodesFrames, dataSet.contains(.pixelData) {
                let frames = try file.frameInfo().numberOfFrames
                for frame in 1...max(1, frames) { _ = try file.decodeFrame(frame) }
            }
            return .instance(instance)
        } catch let error as DicomError {
            return .rejected(reason: error.message, identity: identity)
        } catch let error as IndexedInstance.MissingIdentifier {
            return .rejected(reason: error.description, identity: identity)
        } catch {
            return .rejected(reason: "\(error)", identity: identity)
        }
    }
}

extension IndexedInstance {
    /// Who the instance is, as import outcomes report it.
    var identity: Importer.Identity {
        Importer.Identity(
            studyInstanceUID: studyInstanceUID,
            seriesInstanceUID: seriesInstanceUID,
            sopInstanceUID: sopInstanceUID,
            sopClassUID: sopClassUID
        )
    }
}
