import Crypto
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Size and SHA-256 of a local file, read a chunk at a time (never whole in memory). The digest is a
/// stored object's identity: cache keys, ETags and "these bytes are already stored" are built on it.
public enum FileDigest {
    public static func of(_ path: String) throws(StorageFailure) -> (size: Int, sha256: String) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw StorageFailure(reason: "cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var hasher = SHA256()
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        var size = 0
        while true {
            let capacity = chunk.count
            let count = chunk.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress!, capacity) }
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw StorageFailure(reason: "cannot read \(path): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            chunk.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            size += count
        }
        return (size, hasher.finalize().map { String(format: "%02x", $0) }.joined())
    }
}
