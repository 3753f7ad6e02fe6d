import CImageCodecs
import Foundation

/// How glibc's allocator treats the frame-sized buffers every render allocates and frees (decoded
/// frames, display pixels, encoder output: 0.25–16 MB each).
///
/// By default glibc serves any block above 128 KiB by a fresh `mmap` and unmaps it on `free`, so every
/// request touches new pages: on the machines measured, those first-touch page faults made the decode of
/// a 512² CT 3.8× slower (545 µs instead of 145) and the whole render → PNG 1.4× (1.27 ms instead of
/// 0.92; benchmarks/README.md). Raising the mmap threshold to 32 MiB makes such blocks come from the
/// thread's arena and be reused by the next request; the trim threshold bounds what an arena keeps free
/// at its top (128 MiB) before it is given back.
public enum AllocatorTuning {
    public static let mmapThreshold: Int32 = 32 << 20
    public static let trimThreshold: Int32 = 128 << 20

    /// Called once at start-up, before any thread allocates (the server, `render`, the benchmarks). The
    /// `MALLOC_MMAP_THRESHOLD_` / `MALLOC_TRIM_THRESHOLD_` environment variables, when set, win.
    public static func keepFrameBuffersInTheHeap() {
        let environment = ProcessInfo.processInfo.environment
        guard environment["MALLOC_MMAP_THRESHOLD_"] == nil && environment["MALLOC_TRIM_THRESHOLD_"] == nil else { return }
        cimg_set_allocator_thresholds(mmapThreshold, trimThreshold)
    }
}
