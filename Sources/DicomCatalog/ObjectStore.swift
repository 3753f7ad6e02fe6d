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

    /// Writes `bytes` to a new temporary file in the store and returns its path; the caller removes it.
    /// Start-up removes any a crash left behind.
    public func stage(_ bytes: [UInt8]) throws(Failure) -> String {
        let temporary = temporaryPath()
        try writeFile(bytes, to: temporary)
        return temporary
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
        guard rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw Failure(reason: "cannot move the object into place: \(reason)")
        }
        // The rename is durable only once the directory entry is.
        let directoryDescriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
        return true
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
    private func temporaryPath() -> String {
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
