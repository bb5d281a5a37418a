import Foundation
import OtterCore
#if canImport(Glibc)
import Glibc
#endif

/// A response as read off the wire by `RawClient`.
public struct RawResponse {
    public var status: Int
    public var headers: [(String, String)]
    public var body: [UInt8]

    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }
    public var text: String { String(decoding: body, as: UTF8.self) }
    /// The body as JSON, when it is JSON.
    public var json: JSONValue? { try? JSONValue.parse(body) }
    /// The `error` field of a JSON error body.
    public var errorCode: String? { json?["error"]?.stringValue }
}

/// Minimal blocking-ish TCP client for tests: raw bytes out, responses parsed just enough.
public final class RawClient {
    public let fd: Int32
    private var buffer: [UInt8] = []
    public private(set) var sawClose = false

    /// Connects to `host:port`; `source` binds the client's end to that local address first (e.g. "127.0.0.2",
    /// to be a second client on loopback).
    public init?(port: Int, host: String = "127.0.0.1", source: String? = nil) {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_NUMERICSERV
        var res: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &res) == 0, let ai = res else { return nil }
        defer { freeaddrinfo(res) }
        let s = socket(ai.pointee.ai_family, ai.pointee.ai_socktype, ai.pointee.ai_protocol)
        guard s >= 0 else { return nil }
        var tv = timeval(tv_sec: 3, tv_usec: 0)
        setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        if let source {
            var local = sockaddr_in()
            local.sin_family = sa_family_t(AF_INET)
            guard inet_pton(AF_INET, source, &local.sin_addr) == 1 else { Glibc.close(s); return nil }
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(s, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard bound == 0 else { Glibc.close(s); return nil }
        }
        guard connect(s, ai.pointee.ai_addr, ai.pointee.ai_addrlen) == 0 else {
            Glibc.close(s)
            return nil
        }
        fd = s
    }

    deinit { Glibc.close(fd) }

    /// Sends everything; false if the peer is gone (reset/EPIPE) or the send timed out.
    @discardableResult
    public func send(_ bytes: [UInt8]) -> Bool {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress! + off, bytes.count - off, Int32(MSG_NOSIGNAL)) }
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                return false
            }
            off += n
        }
        return true
    }

    @discardableResult
    public func send(_ s: String) -> Bool { send(Array(s.utf8)) }

    public func shutdownWrite() { shutdown(fd, Int32(SHUT_WR)) }

    /// Whether bytes (or EOF) can be read now or within `timeoutMs`.
    public func readable(timeoutMs: Int32) -> Bool {
        if !buffer.isEmpty { return true }
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        return poll(&p, 1, timeoutMs) > 0
    }

    /// Reads more bytes into the buffer. Returns >0 bytes read, 0 on EOF/reset, -1 on timeout.
    private func fill(until deadline: Date) -> Int {
        while true {
            let left = deadline.timeIntervalSinceNow
            if left <= 0 { return -1 }
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let rc = poll(&p, 1, Int32(left * 1000) + 1)
            if rc == 0 { continue }
            if rc < 0 { if errno == EINTR { continue }; return 0 }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let n = recv(fd, &chunk, chunk.count, Int32(MSG_DONTWAIT))
            if n > 0 {
                buffer.append(contentsOf: chunk[0..<n])
                return n
            }
            if n < 0 && (errno == EAGAIN || errno == EINTR) { continue }
            sawClose = true
            return 0
        }
    }

    /// Reads one full response (skipping 1xx). nil if the connection closed or timed out first.
    public func readResponse(head: Bool = false, timeout: TimeInterval = 5) -> RawResponse? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            guard let end = findHeadEnd() else {
                if fill(until: deadline) <= 0 { return nil }
                continue
            }
            let headText = String(decoding: buffer[0..<end], as: UTF8.self)
            var lines = headText.components(separatedBy: "\r\n")
            let statusLine = lines.removeFirst().split(separator: " ")
            guard statusLine.count >= 2, let status = Int(statusLine[1]) else { return nil }
            var headers: [(String, String)] = []
            for l in lines where !l.isEmpty {
                guard let c = l.firstIndex(of: ":") else { continue }
                headers.append((String(l[..<c]), l[l.index(after: c)...].trimmingCharacters(in: .whitespaces)))
            }
            if status >= 100 && status < 200 {
                buffer.removeSubrange(0..<(end + 4))
                continue
            }
            var length = 0
            if !head && status != 204 && status != 304,
               let cl = headers.first(where: { $0.0.lowercased() == "content-length" }) {
                length = Int(cl.1) ?? 0
            }
            while buffer.count < end + 4 + length {
                if fill(until: deadline) <= 0 { return nil }
            }
            let body = Array(buffer[(end + 4)..<(end + 4 + length)])
            buffer.removeSubrange(0..<(end + 4 + length))
            return RawResponse(status: status, headers: headers, body: body)
        }
    }

    /// True when the server closes the connection (EOF or reset) within `timeout`; data is discarded.
    public func waitClosed(timeout: TimeInterval) -> Bool {
        if sawClose { return true }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            buffer.removeAll()
            let n = fill(until: deadline)
            if n == 0 { return true }
            if n < 0 { return false }
        }
    }

    /// Reads until `marker` is among the bytes received (or the connection closes, or `timeout` passes); returns
    /// and consumes everything received so far, as text.
    public func readUntil(_ marker: String, timeout: TimeInterval = 5) -> String {
        let deadline = Date().addingTimeInterval(timeout)
        let m = Array(marker.utf8)
        func has() -> Bool {
            guard buffer.count >= m.count, !m.isEmpty else { return m.isEmpty }
            for i in 0...(buffer.count - m.count) where buffer[i] == m[0] && Array(buffer[i..<(i + m.count)]) == m { return true }
            return false
        }
        while !has() {
            if fill(until: deadline) <= 0 { break }
        }
        defer { buffer.removeAll() }
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Bytes received but not yet consumed as a response.
    public var pendingBytes: Int { buffer.count }

    private func findHeadEnd() -> Int? {
        guard buffer.count >= 4 else { return nil }
        for i in 0...(buffer.count - 4)
        where buffer[i] == 13 && buffer[i + 1] == 10 && buffer[i + 2] == 13 && buffer[i + 3] == 10 {
            return i
        }
        return nil
    }
}

/// Resident set size of this process (the server runs in it).
public func residentBytes() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return 0 }
    let fields = text.split(separator: " ")
    guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

/// Runs `body` on a new thread; wait on the result to join it.
public func spawn(_ body: @escaping @Sendable () -> Void) -> DispatchSemaphore {
    let done = DispatchSemaphore(value: 0)
    Thread {
        body()
        done.signal()
    }.start()
    return done
}

public final class Counter: @unchecked Sendable {
    public init() {}
    private let lock = NSLock()
    private var n = 0
    public func add(_ d: Int) { lock.lock(); n += d; lock.unlock() }
    public var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}

public final class Flag: @unchecked Sendable {
    public init() {}
    private let lock = NSLock()
    private var value = false
    public func set() { lock.lock(); value = true; lock.unlock() }
    public var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
}

/// Small deterministic PRNG for fuzz-style tests.
public struct SplitMix {
    public var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// A number in 0..<n.
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    /// A random byte.
    public mutating func byte() -> UInt8 { UInt8(truncatingIfNeeded: next()) }
}
