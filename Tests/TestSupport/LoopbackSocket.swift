#if canImport(Glibc)
import Glibc
#endif

/// A TCP connection to a port on 127.0.0.1 as a bare file descriptor, for tests that need to send bytes
/// no HTTP client would (malformed requests, half a request) or only to see whether a port accepts.
public enum LoopbackSocket {
    /// A connected descriptor (the caller closes it), with a receive timeout; nil when refused.
    public static func connect(port: Int, receiveTimeoutSeconds: Int = 10) -> Int32? {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { return nil }
        var timeout = timeval(tv_sec: receiveTimeoutSeconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            close(descriptor)
            return nil
        }
        return descriptor
    }

    /// Whether something accepts connections on the port.
    public static func accepts(port: Int) -> Bool {
        guard let descriptor = connect(port: port) else { return false }
        close(descriptor)
        return true
    }
}
