#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A read-only memory map of a whole file, for walks that touch only a few of its pages.
enum MappedFile {
    /// Maps `path`, runs `EncodingScanner` over it and unmaps it.
    static func scan(path: String, limits: DecodingLimits) throws(DicomError) -> EncodingScanner.Summary {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .failure(.unreadable, "cannot open file: \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw .failure(.unreadable, "cannot read file: \(String(cString: strerror(errno)))") }
        guard (status.st_mode & S_IFMT) == S_IFREG else { throw .failure(.unreadable, "not a regular file") }
        let size = Int(status.st_size)
        guard size > 0 else { throw .failure(.empty, "the file is empty (0 bytes)") }
        guard UInt64(size) <= limits.maxFileBytes else {
            throw .failure(.limitExceeded, "the file is \(size) bytes, over the limit of \(limits.maxFileBytes)")
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, descriptor, 0), base != MAP_FAILED else {
            throw .failure(.unreadable, "cannot map file: \(String(cString: strerror(errno)))")
        }
        defer { munmap(base, size) }
        return try EncodingScanner.scan(UnsafeRawBufferPointer(start: base, count: size), limits: limits)
    }
}
