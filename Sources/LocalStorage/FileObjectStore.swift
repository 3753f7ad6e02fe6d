import DicomStorage
import DicomWeb
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Objects on the local file system: `<root>/<study>/<series>/<sop>.dcm`, written atomically (temporary
/// file, fsync, rename, fsync of the directory) so a crash never leaves a half-written object. A
/// location is the object's absolute path; files indexed in place (`import --in-place`) are read where
/// they are and never written or deleted.
public struct FileObjectStore: ObjectStorage {
    public let root: String

    public init(root: String) throws(StorageFailure) {
        self.root = root
        do {
            try FileManager.default.createDirectory(atPath: Self.temporaryDirectory(root), withIntermediateDirectories: true)
        } catch {
            throw StorageFailure(reason: "cannot create the object store at \(root): \(error.localizedDescription)")
        }
    }

    static func temporaryDirectory(_ root: String) -> String { root + "/.incoming" }

    public var stagingDirectory: String { Self.temporaryDirectory(root) }

    public func owns(_ location: String) -> Bool {
        location.hasPrefix(root + "/") && !location.split(separator: "/").contains("..")
    }

    /// UIDs become path components only when they are what the standard allows (`DicomUID.isValid`).
    public func location(study: String, series: String, instance: String) throws(StorageFailure) -> String {
        for uid in [study, series, instance] where !DicomUID.isValid(uid) {
            throw StorageFailure(reason: "\"\(uid.prefix(80))\" is not a valid UID (digits and dots, at most 64 characters)")
        }
        return "\(root)/\(study)/\(series)/\(instance).dcm"
    }

    /// Renames the complete `temporary` file to `path` and makes the rename durable (the directory entry
    /// fsynced); fsyncs the file first unless `synced`. Removes `temporary` on failure.
    private func moveIntoPlace(_ temporary: String, at path: String, synced: Bool) throws(StorageFailure) {
        var synced = synced
        if !synced {
            let descriptor = open(temporary, O_RDONLY | O_CLOEXEC)
            synced = descriptor >= 0 && fsync(descriptor) == 0
            if descriptor >= 0 { close(descriptor) }
        }
        guard synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw StorageFailure(reason: "cannot move the object into place: \(reason)")
        }
        // The rename is durable only once the directory entry is.
        let directoryDescriptor = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// Moved when `moving` (a staged upload, same file system), else copied a chunk at a time; fsynced
    /// before the rename.
    @discardableResult
    public func put(_ source: String, sha256: String, at path: String, moving: Bool) throws(StorageFailure) -> Bool {
        if FileManager.default.fileExists(atPath: path), (try? FileDigest.of(path).sha256) == sha256 { return false }
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw StorageFailure(reason: "cannot create \(directory): \(error.localizedDescription)")
        }
        let temporary = temporaryPath()
        if moving {
            guard rename(source, temporary) == 0 else {
                throw StorageFailure(reason: "cannot take the staged file: \(String(cString: strerror(errno)))")
            }
        } else {
            try copyFile(source, to: temporary)
        }
        try moveIntoPlace(temporary, at: path, synced: false)
        return true
    }

    /// Copies `source` to the new file `target` in chunks.
    private func copyFile(_ source: String, to target: String) throws(StorageFailure) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw StorageFailure(reason: "cannot read \(source): \(String(cString: strerror(errno)))") }
        defer { close(input) }
        let output = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw StorageFailure(reason: "cannot create a temporary file: \(String(cString: strerror(errno)))") }
        defer { close(output) }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let capacity = chunk.count
            let count = chunk.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress!, capacity) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else {
                unlink(target)
                throw StorageFailure(reason: "cannot read \(source): \(String(cString: strerror(errno)))")
            }
            if count == 0 { return }
            var written = 0
            while written < count {
                let result = chunk.withUnsafeBytes { Glibc.write(output, $0.baseAddress! + written, count - written) }
                if result < 0 && errno == EINTR { continue }
                guard result > 0 else {
                    unlink(target)
                    throw StorageFailure(reason: "write failed: \(String(cString: strerror(errno)))")
                }
                written += result
            }
        }
    }

    func temporaryPath() -> String { StagedFile.temporaryPath(in: stagingDirectory) }

    /// Removes temporary files that processes no longer running left behind (a crash or kill mid-write).
    @discardableResult
    public func removeStaleTemporaryFiles() -> Int {
        let directory = Self.temporaryDirectory(root)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var removed = 0
        for name in names where name.hasSuffix(".part") {
            if let writer = StagedFile.writer(ofTemporaryFile: name), writer != getpid(),
                kill(writer, 0) == 0 || errno == EPERM
            {
                continue  // its writer is alive
            }
            if unlink(directory + "/" + name) == 0 { removed += 1 }
        }
        return removed
    }

    // MARK: Reading

    public func read(_ location: String) throws(StorageFailure) -> [UInt8] {
        guard let data = FileManager.default.contents(atPath: location) else { throw Self.unreadable }
        return [UInt8](data)
    }

    /// One `open` and a `pread` per range: native frames are read without parsing the file.
    public func read(_ location: String, ranges: [Range<Int>]) throws(StorageFailure) -> [[UInt8]] {
        let descriptor = open(location, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Self.unreadable }
        defer { close(descriptor) }
        var parts: [[UInt8]] = []
        parts.reserveCapacity(ranges.count)
        for range in ranges {
            guard range.lowerBound >= 0 else { throw Self.unreadable }
            var bytes = [UInt8](repeating: 0, count: range.count)
            let complete = bytes.withUnsafeMutableBytes { buffer in
                var done = 0
                while done < buffer.count {
                    let count = pread(descriptor, buffer.baseAddress! + done, buffer.count - done, off_t(range.lowerBound + done))
                    if count < 0 && errno == EINTR { continue }
                    guard count > 0 else { return false }
                    done += count
                }
                return true
            }
            guard complete else { throw Self.unreadable }
            parts.append(bytes)
        }
        return parts
    }

    /// The location is the file.
    public func localFile(_ location: String) throws(StorageFailure) -> String { location }

    // MARK: Deleting and listing

    /// Only the store's own objects are deleted; a file indexed in place stays where it is.
    public func delete(_ location: String) throws(StorageFailure) {
        guard owns(location) else { return }
        guard unlink(location) == 0 || errno == ENOENT else {
            throw StorageFailure(reason: "cannot delete a stored object: \(String(cString: strerror(errno)))")
        }
    }

    public func list() throws(StorageFailure) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: root) else {
            throw StorageFailure(reason: "cannot list the object store")
        }
        var locations: [String] = []
        while let relative = enumerator.nextObject() as? String {
            if relative.hasPrefix(".incoming") {
                enumerator.skipDescendants()
                continue
            }
            if relative.hasSuffix(".dcm") { locations.append(root + "/" + relative) }
        }
        return locations.sorted()
    }

    static let unreadable = StorageFailure(reason: "the stored object cannot be read")
}
