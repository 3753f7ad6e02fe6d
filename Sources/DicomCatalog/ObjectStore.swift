import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where instances live on disk: `<root>/<study>/<series>/<sop>.dcm`, written atomically (temporary
/// file, fsync, rename, fsync of the directory) so a crash never leaves a half-written object.
public struct ObjectStore: Sendable {
    public let root: String

    /// Why an object could not be stored.
    public struct Failure: Error, Sendable, Equatable, CustomStringConvertible {
        public var reason: String
        public var description: String { reason }
    }

    public init(root: String) throws(Failure) {
        self.root = root
        do {
            try FileManager.default.createDirectory(atPath: Self.temporaryDirectory(root), withIntermediateDirectories: true)
        } catch {
            throw Failure(reason: "cannot create the object store at \(root): \(error.localizedDescription)")
        }
    }

    static func temporaryDirectory(_ root: String) -> String { root + "/.incoming" }

    /// Whether `path` names an object inside this store (files indexed in place are not the store's to delete).
    public func contains(_ path: String) -> Bool {
        path.hasPrefix(root + "/") && !path.split(separator: "/").contains("..")
    }

    /// UIDs become path components only when they are what the standard allows: digits and dots,
    /// at most 64 characters. Anything else (`..`, `/`) is refused, so no UID can escape the store.
    public static func isValidUID(_ uid: String) -> Bool {
        !uid.isEmpty && uid.count <= 64 && uid.first != "." && uid.allSatisfy { $0.isASCII && ($0.isNumber || $0 == ".") }
            && !uid.contains("..")
    }

    public func path(study: String, series: String, instance: String) throws(Failure) -> String {
        for uid in [study, series, instance] where !Self.isValidUID(uid) {
            throw Failure(reason: "\"\(uid.prefix(80))\" is not a valid UID (digits and dots, at most 64 characters)")
        }
        return "\(root)/\(study)/\(series)/\(instance).dcm"
    }

    /// Writes `bytes` to `path` atomically. Returns false (and writes nothing) when the file already
    /// holds exactly these bytes.
    @discardableResult
    public func write(_ bytes: [UInt8], to path: String) throws(Failure) -> Bool {
        if let existing = FileManager.default.contents(atPath: path), existing.count == bytes.count, [UInt8](existing) == bytes {
            return false
        }
        let directory = (path as NSString).deletingLastPathComponent
        let temporary = temporaryPath()
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw Failure(reason: "cannot create \(directory): \(error.localizedDescription)")
        }
        try writeFile(bytes, to: temporary)
        try moveIntoPlace(temporary, at: path, synced: true)
        return true
    }

    /// Renames the complete `temporary` file to `path` and makes the rename durable (the directory entry
    /// fsynced); fsyncs the file first unless `synced`. Removes `temporary` on failure.
    private func moveIntoPlace(_ temporary: String, at path: String, synced: Bool) throws(Failure) {
        var synced = synced
        if !synced {
            let descriptor = open(temporary, O_RDONLY | O_CLOEXEC)
            synced = descriptor >= 0 && fsync(descriptor) == 0
            if descriptor >= 0 { close(descriptor) }
        }
        guard synced, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw Failure(reason: "cannot move the object into place: \(reason)")
        }
        // The rename is durable only once the directory entry is.
        let directoryDescriptor = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// Size and SHA-256 (hex) of a file, read a chunk at a time.
    public static func contentDigest(of path: String) throws(Failure) -> (size: Int, sha256: String) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw Failure(reason: "cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var hasher = SHA256()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var size = 0
        while true {
            let capacity = chunk.count
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress!, capacity) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw Failure(reason: "cannot read \(path): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            chunk.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            size += count
        }
        return (size, hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }

    /// Puts the file at `source` (whose digest is `sha256`) at `path` atomically: moved when `moving`
    /// (a staged upload, same file system), else copied a chunk at a time; fsynced before the rename.
    /// Returns false (and changes nothing) when `path` already holds exactly these bytes.
    @discardableResult
    public func place(_ source: String, sha256: String, at path: String, moving: Bool) throws(Failure) -> Bool {
        if FileManager.default.fileExists(atPath: path), (try? Self.contentDigest(of: path).sha256) == sha256 { return false }
        let directory = (path as NSString).deletingLastPathComponent
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw Failure(reason: "cannot create \(directory): \(error.localizedDescription)")
        }
        let temporary = temporaryPath()
        if moving {
            guard rename(source, temporary) == 0 else { throw Failure(reason: "cannot take the staged file: \(String(cString: strerror(errno)))") }
        } else {
            try copyFile(source, to: temporary)
        }
        try moveIntoPlace(temporary, at: path, synced: false)
        return true
    }

    /// Copies `source` to the new file `target` in chunks.
    private func copyFile(_ source: String, to target: String) throws(Failure) {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw Failure(reason: "cannot read \(source): \(String(cString: strerror(errno)))") }
        defer { close(input) }
        let output = open(target, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard output >= 0 else { throw Failure(reason: "cannot create a temporary file: \(String(cString: strerror(errno)))") }
        defer { close(output) }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let capacity = chunk.count
            let count = chunk.withUnsafeMutableBytes { Glibc.read(input, $0.baseAddress!, capacity) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else {
                unlink(target)
                throw Failure(reason: "cannot read \(source): \(String(cString: strerror(errno)))")
            }
            if count == 0 { return }
            var written = 0
            while written < count {
                let result = chunk.withUnsafeBytes { Glibc.write(output, $0.baseAddress! + written, count - written) }
                if result < 0 && errno == EINTR { continue }
                guard result > 0 else {
                    unlink(target)
                    throw Failure(reason: "write failed: \(String(cString: strerror(errno)))")
                }
                written += result
            }
        }
    }

    /// Creates `path` (which must not exist), writes all of `bytes` and fsyncs; removes it on failure.
    private func writeFile(_ bytes: [UInt8], to path: String) throws(Failure) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw Failure(reason: "cannot create a temporary file: \(String(cString: strerror(errno)))") }
        var written = 0
        let failure: String? = bytes.withUnsafeBytes { buffer in
            while written < buffer.count {
                let result = Glibc.write(descriptor, buffer.baseAddress! + written, buffer.count - written)
                if result < 0 {
                    if errno == EINTR { continue }
                    return "write failed: \(String(cString: strerror(errno)))"
                }
                written += result
            }
            return fsync(descriptor) == 0 ? nil : "fsync failed: \(String(cString: strerror(errno)))"
        }
        close(descriptor)
        if let failure {
            unlink(path)
            throw Failure(reason: failure)
        }
    }

    /// A new temporary file name. It starts with the writer's process id, so clean-up can tell the
    /// files of a live process (an import running beside the server) from a dead one's.
    func temporaryPath() -> String {
        Self.temporaryDirectory(root) + "/\(getpid())-\(UUID().uuidString).part"
    }

    /// Removes temporary files that processes no longer running left behind (a crash or kill mid-write).
    @discardableResult
    public func removeStaleTemporaryFiles() -> Int {
        let directory = Self.temporaryDirectory(root)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var removed = 0
        for name in names where name.hasSuffix(".part") {
            if let writer = name.split(separator: "-").first.flatMap({ pid_t($0) }), writer != getpid(),
                kill(writer, 0) == 0 || errno == EPERM
            {
                continue  // its writer is alive
            }
            if unlink(directory + "/" + name) == 0 { removed += 1 }
        }
        return removed
    }
}
