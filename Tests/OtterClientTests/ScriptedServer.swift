import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A request as the scripted server read it off the wire.
struct ReceivedRequest: Sendable {
    var method: String
    var target: String
    var version: String
    var headers: [(name: String, value: String)]
    var body: [UInt8]
    /// Which accepted TCP connection (0-based) carried it.
    var connection: Int

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// What the server does after reading one request.
enum ScriptedAction: Sendable {
    /// Write these bytes and keep the connection open for the next request.
    case respond([UInt8])
    /// Wait, then write the bytes and keep the connection open.
    case delay(TimeInterval, [UInt8])
    /// Write these bytes (possibly nothing) and close the connection.
    case respondAndClose([UInt8])
    /// Never answer; read until the client goes away (or the server stops).
    case hang
}

/// A tiny blocking HTTP/1.1-ish server on 127.0.0.1 for tests: it parses just enough of each request
/// (request line, headers, Content-Length body) to record it, then does what the script says.
/// In raw mode it skips parsing: it waits for the first bytes from the client, writes canned bytes and closes.
final class ScriptedServer: @unchecked Sendable {
    enum Mode: Sendable {
        case http(@Sendable (ReceivedRequest) -> ScriptedAction)
        case raw([UInt8])
    }

    let port: UInt16
    private let listenFD: Int32
    private let mode: Mode
    private let lock = NSLock()
    private var stopped = false
    private var openFDs = Set<Int32>()
    private var _connectionCount = 0
    private var _requests: [ReceivedRequest] = []
    private let acceptDone = DispatchSemaphore(value: 0)

    var connectionCount: Int { lock.withLock { _connectionCount } }
    var requests: [ReceivedRequest] { lock.withLock { _requests } }

    convenience init(_ handler: @escaping @Sendable (ReceivedRequest) -> ScriptedAction) throws {
        try self.init(mode: .http(handler))
    }

    init(mode: Mode) throws {
        self.mode = mode
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let err = errno
            close(fd)
            throw POSIXError(.init(rawValue: err) ?? .EIO)
        }
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { _ = getsockname(fd, $0, &len) }
        }
        listenFD = fd
        port = UInt16(bigEndian: addr.sin_port)
        let thread = Thread { [self] in acceptLoop() }
        thread.start()
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Stops accepting, wakes every connection thread and waits for the accept loop to finish.
    func stop() {
        // Shut down under the lock: a connection thread removes its fd (under the lock) before closing it,
        // so no fd number here can have been closed and reused meanwhile.
        let first: Bool = lock.withLock {
            if stopped { return false }
            stopped = true
            for fd in openFDs { shutdown(fd, Int32(SHUT_RDWR)) }
            return true
        }
        guard first else { return }
        acceptDone.wait()
        close(listenFD)
    }

    private var isStopped: Bool { lock.withLock { stopped } }

    private func acceptLoop() {
        defer { acceptDone.signal() }
        while !isStopped {
            var pfd = pollfd(fd: listenFD, events: Int16(POLLIN), revents: 0)
            let ready = poll(&pfd, 1, 20)
            if ready <= 0 { continue }
            let fd = accept(listenFD, nil, nil)
            if fd < 0 { continue }
            let index: Int? = lock.withLock {
                if stopped { return nil }
                openFDs.insert(fd)
                _connectionCount += 1
                return _connectionCount - 1
            }
            guard let index else { close(fd); return }
            let thread = Thread { [self] in
                serve(fd: fd, connection: index)
                lock.withLock { _ = openFDs.remove(fd) }
                close(fd)
            }
            thread.start()
        }
    }

    private func serve(fd: Int32, connection: Int) {
        switch mode {
        case .raw(let bytes):
            var scratch = [UInt8](repeating: 0, count: 4096)
            if read(fd, &scratch, scratch.count) > 0 {
                writeAll(fd, bytes)
            }
        case .http(let handler):
            var buffer: [UInt8] = []
            while let request = readRequest(fd: fd, buffer: &buffer, connection: connection) {
                lock.withLock { _requests.append(request) }
                switch handler(request) {
                case .respond(let bytes):
                    writeAll(fd, bytes)
                case .delay(let seconds, let bytes):
                    Thread.sleep(forTimeInterval: seconds)
                    writeAll(fd, bytes)
                case .respondAndClose(let bytes):
                    writeAll(fd, bytes)
                    return
                case .hang:
                    var scratch = [UInt8](repeating: 0, count: 4096)
                    while read(fd, &scratch, scratch.count) > 0 {}
                    return
                }
            }
        }
    }

    /// Reads one request; nil at EOF or on garbage.
    private func readRequest(fd: Int32, buffer: inout [UInt8], connection: Int) -> ReceivedRequest? {
        let terminator: [UInt8] = [13, 10, 13, 10]
        var headerEnd: Int?
        while true {
            if let range = buffer.firstRange(of: terminator) {
                headerEnd = range.upperBound
                break
            }
            guard readMore(fd, into: &buffer) else { return nil }
        }
        guard let end = headerEnd else { return nil }
        let head = String(decoding: buffer[..<(end - 4)], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ", omittingEmptySubsequences: false).map(String.init)
        guard requestLine.count == 3 else { return nil }
        var headers: [(name: String, value: String)] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]),
                            line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        while buffer.count < end + length {
            guard readMore(fd, into: &buffer) else { return nil }
        }
        let body = Array(buffer[end..<(end + length)])
        buffer.removeFirst(end + length)
        return ReceivedRequest(method: requestLine[0], target: requestLine[1], version: requestLine[2],
                               headers: headers, body: body, connection: connection)
    }

    private func readMore(_ fd: Int32, into buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let n = read(fd, &chunk, chunk.count)
        guard n > 0 else { return false }
        buffer.append(contentsOf: chunk[..<n])
        return true
    }

    private func writeAll(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes {
                send(fd, $0.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            }
            if n <= 0 { return }
            offset += n
        }
    }

    // MARK: - Canned responses

    static func response(status: Int, reason: String = "OK", headers: [(String, String)] = [],
                         body: [UInt8] = []) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(reason)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        head += "Content-Length: \(body.count)\r\n\r\n"
        return Array(head.utf8) + body
    }

    static func response(status: Int, reason: String = "OK", headers: [(String, String)] = [],
                         body: String) -> [UInt8] {
        response(status: status, reason: reason, headers: headers, body: Array(body.utf8))
    }
}
