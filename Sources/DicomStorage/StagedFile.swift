import DicomWeb
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A temporary file in the object store's staging directory (same file system, so storing it is a
/// rename, not a copy), removed when the value goes away. Upload bodies are spooled into one as they
/// arrive and split into one per part, so no upload is ever held in memory whole. Blocking: use it off
/// the event loops. Used by one task at a time.
public final class StagedFile: @unchecked Sendable {
    public let path: String
    private var descriptor: Int32
    public private(set) var count = 0

    /// Creates an empty staged file in `store`'s staging directory.
    public convenience init(in store: any ObjectStorage) throws(StorageFailure) {
        try self.init(inDirectory: store.stagingDirectory)
    }

    /// Creates an empty staged file in `directory`.
    public init(inDirectory directory: String) throws(StorageFailure) {
        path = Self.temporaryPath(in: directory)
        descriptor = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw StorageFailure(reason: "cannot create a temporary file: \(String(cString: strerror(errno)))") }
    }

    /// A new temporary file name in `directory`. It starts with the writer's process id, so clean-up
    /// can tell the files of a live process (an import running beside the server) from a dead one's.
    public static func temporaryPath(in directory: String) -> String {
        directory + "/\(getpid())-\(UUID().uuidString).part"
    }

    /// The process that wrote a temporary file, from its name.
    public static func writer(ofTemporaryFile name: String) -> pid_t? {
        guard name.hasSuffix(".part") else { return nil }
        return name.split(separator: "-").first.flatMap { pid_t($0) }
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        unlink(path)
    }

    /// Appends `bytes` at the end.
    public func append(_ bytes: UnsafeRawBufferPointer) throws(StorageFailure) {
        if let failure = write(bytes) { throw StorageFailure(reason: failure) }
    }

    public func append(_ bytes: [UInt8]) throws(StorageFailure) {
        if let failure = bytes.withUnsafeBytes({ write($0) }) { throw StorageFailure(reason: failure) }
    }

    /// Writes at the end; the reason on failure.
    private func write(_ bytes: UnsafeRawBufferPointer) -> String? {
        var written = 0
        while written < bytes.count {
            let result = pwrite(descriptor, bytes.baseAddress! + written, bytes.count - written, off_t(count + written))
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { return "cannot write a temporary file: \(String(cString: strerror(errno)))" }
            written += result
        }
        count += written
        return nil
    }

    /// A new staged file holding `range` of this one, copied in the kernel (copy_file_range) or in
    /// bounded chunks, never whole in memory.
    public func extract(_ range: Range<Int>, in store: any ObjectStorage) throws(StorageFailure) -> StagedFile {
        let part = try StagedFile(in: store)
        var offset = range.lowerBound
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while offset < range.upperBound {
            let length = min(chunk.count, range.upperBound - offset)
            let read = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, length, off_t(offset)) }
            if read < 0 && errno == EINTR { continue }
            guard read > 0 else { throw StorageFailure(reason: "cannot read a temporary file: \(String(cString: strerror(errno)))") }
            if let failure = chunk.withUnsafeBytes({ part.write(UnsafeRawBufferPointer(rebasing: $0[0..<read])) }) {
                throw StorageFailure(reason: failure)
            }
            offset += read
        }
        return part
    }

    /// Reads `range` (clamped to the file).
    func read(_ range: Range<Int>) -> [UInt8] {
        let clamped = range.clamped(to: 0..<count)
        var bytes = [UInt8](repeating: 0, count: clamped.count)
        var done = 0
        while done < bytes.count {
            let total = bytes.count
            let result = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress! + done, total - done, off_t(clamped.lowerBound + done)) }
            if result < 0 && errno == EINTR { continue }
            guard result > 0 else { break }
            done += result
        }
        return Array(bytes[0..<done])
    }
}

extension StagedFile: MultipartSource {
    public func bytes(_ range: Range<Int>) -> [UInt8] { read(range) }

    /// Searches a window at a time; windows overlap by the pattern's length so no match is split.
    public func lineStart(of pattern: [UInt8], from start: Int) -> Int? {
        let window = 1 << 20
        var offset = max(0, start)
        while offset < count {
            // One byte before the window tells whether a match at its start begins a line.
            let lead = offset > 0 ? 1 : 0
            let bytes = read((offset - lead)..<min(count, offset + window + pattern.count))
            var searchFrom = lead
            while let index = Multipart.find(pattern, in: bytes, from: searchFrom, atLineStart: false) {
                let absolute = offset - lead + index
                if absolute == 0 || bytes[index - 1] == UInt8(ascii: "\n") { return absolute }
                searchFrom = index + 1
            }
            offset += window
        }
        return nil
    }
}
