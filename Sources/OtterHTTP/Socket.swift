import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Small POSIX helpers shared by the server. Linux first; nothing here is exotic.
enum Posix {
    static var errnoText: String { String(cString: strerror(errno)) }

    static func setNonBlocking(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFL, 0)
        if flags >= 0 { _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK) }
    }

    static func setCloseOnExec(_ fd: Int32) {
        let flags = fcntl(fd, F_GETFD, 0)
        if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
    }

    static func setInt(_ fd: Int32, _ level: Int32, _ option: Int32, _ value: Int32) {
        var v = value
        _ = setsockopt(fd, level, option, &v, socklen_t(MemoryLayout<Int32>.size))
    }

    static var streamType: Int32 {
        #if canImport(Glibc)
        return Int32(SOCK_STREAM.rawValue)
        #else
        return SOCK_STREAM
        #endif
    }

    static var sendFlags: Int32 {
        #if canImport(Glibc)
        return Int32(MSG_NOSIGNAL)
        #else
        return 0
        #endif
    }

    /// "1.2.3.4:80" or "[::1]:80".
    static func describe(_ storage: UnsafePointer<sockaddr_storage>) -> String {
        guard let (host, port) = address(storage) else { return "unknown" }
        return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }

    /// The numeric host ("1.2.3.4", "::1") and port of a socket address; nil for other families.
    static func address(_ storage: UnsafePointer<sockaddr_storage>) -> (host: String, port: UInt16)? {
        var host = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        switch Int32(storage.pointee.ss_family) {
        case AF_INET:
            return storage.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                var addr = sin.pointee.sin_addr
                inet_ntop(AF_INET, &addr, &host, socklen_t(host.count))
                return (cString(host), UInt16(bigEndian: sin.pointee.sin_port))
            }
        case AF_INET6:
            return storage.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                var addr = sin6.pointee.sin6_addr
                inet_ntop(AF_INET6, &addr, &host, socklen_t(host.count))
                return (cString(host), UInt16(bigEndian: sin6.pointee.sin6_port))
            }
        default:
            return nil
        }
    }

    static func localPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) }
        }
        guard rc == 0 else { return 0 }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) }
            }
        case AF_INET6:
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) }
            }
        default:
            return 0
        }
    }

    /// Resolves `host` and returns a bound, listening, non-blocking socket.
    /// "localhost" and other names resolving to several addresses prefer IPv4.
    static func makeListener(host: String, port: Int, backlog: Int32) throws(HTTPServerError) -> Int32 {
        guard port >= 0 && port <= 65535 else { throw .socket("invalid port \(port)") }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = streamType
        hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV
        var res: UnsafeMutablePointer<addrinfo>?
        let node: String? = (host.isEmpty || host == "*") ? nil : host
        let rc = getaddrinfo(node, String(port), &hints, &res)
        guard rc == 0, res != nil else {
            throw .cannotResolve("\(host): \(String(cString: gai_strerror(rc)))")
        }
        defer { freeaddrinfo(res) }
        var candidates: [UnsafeMutablePointer<addrinfo>] = []
        var p = res
        while let a = p {
            if a.pointee.ai_family == AF_INET || a.pointee.ai_family == AF_INET6 { candidates.append(a) }
            p = a.pointee.ai_next
        }
        candidates = candidates.filter { $0.pointee.ai_family == AF_INET } + candidates.filter { $0.pointee.ai_family == AF_INET6 }
        guard !candidates.isEmpty else { throw .cannotResolve("\(host): no IPv4/IPv6 address") }
        var lastError = HTTPServerError.socket("no usable address for \(host)")
        for a in candidates {
            let fd = socket(a.pointee.ai_family, a.pointee.ai_socktype, a.pointee.ai_protocol)
            if fd < 0 {
                lastError = .socket("socket: \(errnoText)")
                continue
            }
            setCloseOnExec(fd)
            setInt(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            if bind(fd, a.pointee.ai_addr, a.pointee.ai_addrlen) != 0 {
                let e = errno
                close(fd)
                if e == EADDRINUSE { throw .addressInUse(host: host, port: port) }
                lastError = .socket("bind \(host):\(port): \(String(cString: strerror(e)))")
                continue
            }
            if listen(fd, backlog) != 0 {
                let e = errno
                close(fd)
                if e == EADDRINUSE { throw .addressInUse(host: host, port: port) }
                lastError = .socket("listen: \(String(cString: strerror(e)))")
                continue
            }
            setNonBlocking(fd)
            return fd
        }
        throw lastError
    }
}

func cString(_ chars: [CChar]) -> String {
    let bytes = chars.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
    return String(decoding: bytes, as: UTF8.self)
}

@inline(__always) func monotonicNanos() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

@inline(__always) func nanos(_ seconds: TimeInterval) -> UInt64 {
    guard seconds > 0 else { return 0 }  // also catches NaN
    return UInt64(min(seconds, 1e9) * 1e9)
}
