import Caching
import DicomCodec
import DicomStorage

/// Frames re-encoded in a requested transfer syntax, kept like renders: in process (L1), and in Redis
/// for the other replicas, under keys that carry the generation and the object's content version, and
/// dropped with the instance's renders when it is replaced.
final class TranscodedFrameCache: Sendable {
    private let caches: LocalCaches
    private let shared: SharedCache?
    private let replicas: ReplicaCoordinator
    private let timeToLive: Duration

    init(caches: LocalCaches, shared: SharedCache?, replicas: ReplicaCoordinator, timeToLive: Duration) {
        self.caches = caches
        self.shared = shared
        self.replicas = replicas
        self.timeToLive = timeToLive
    }

    var replacementMark: Int { caches.replacementMark }

    func value(_ row: InstanceRow, frame: Int, encoding: FrameEncoding) async -> [UInt8]? {
        await replicas.refreshIfDue()
        let key = CacheKeys.transcodedFrame(row, frame: frame, transferSyntax: encoding.transferSyntaxUID, generation: replicas.generation)
        if let cached = caches.transcodedFrames.value(for: key), cached.isFresh() { return cached.value }
        guard let shared, let blob = await shared.value(key.description), let bytes = Self.frame(fromBlob: blob, frame: frame) else { return nil }
        caches.transcodedFrames.insert(Expiring(bytes, timeToLive: timeToLive), for: key, cost: bytes.count + 128)
        return bytes
    }

    func keep(_ bytes: [UInt8], _ row: InstanceRow, frame: Int, encoding: FrameEncoding, unlessReplacedSince mark: Int) {
        guard caches.replacementMark == mark else { return }
        let key = CacheKeys.transcodedFrame(row, frame: frame, transferSyntax: encoding.transferSyntaxUID, generation: replicas.generation)
        caches.transcodedFrames.insert(Expiring(bytes, timeToLive: timeToLive), for: key, cost: bytes.count + 128)
        shared?.store(Self.blob(bytes, frame: frame), at: key.description, timeToLive: timeToLive)
    }

    /// `DSF1`, the frame number and the byte count (little endian), then the frame's bytes.
    static func blob(_ bytes: [UInt8], frame: Int) -> [UInt8] {
        var blob = Array("DSF1".utf8)
        LittleEndian.append(UInt32(frame), to: &blob)
        LittleEndian.append(UInt32(bytes.count), to: &blob)
        return blob + bytes
    }

    /// Nil for anything but a whole frame of this number in that layout: what Redis hands back is input.
    static func frame(fromBlob blob: [UInt8], frame: Int) -> [UInt8]? {
        guard blob.count >= 12, blob.starts(with: Array("DSF1".utf8)),
            Int(LittleEndian.read(UInt32.self, from: blob, at: 4)) == frame,
            Int(LittleEndian.read(UInt32.self, from: blob, at: 8)) == blob.count - 12, blob.count > 12
        else { return nil }
        return Array(blob[12...])
    }
}
