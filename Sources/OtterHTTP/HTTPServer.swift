import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

public enum HTTPServerError: Error, CustomStringConvertible, Equatable, Sendable {
    case addressInUse(host: String, port: Int)
    case cannotResolve(String)
    case socket(String)

    public var description: String {
        switch self {
        case .addressInUse(let host, let port): return "address in use: \(host):\(port)"
        case .cannotResolve(let m): return "cannot resolve \(m)"
        case .socket(let m): return "socket error: \(m)"
        }
    }
}

/// The embedded HTTP/1.1 server ("Otter sandbox").
///
/// ## Design
/// One I/O thread runs a `poll()` loop over the listening socket, a wake-up pipe and every
/// connection: it accepts, reads, parses (with `HTTPRequestParser`), writes and enforces the
/// timeouts. Sockets are non-blocking; sends use `MSG_NOSIGNAL`, so a vanished client never
/// raises SIGPIPE. Handlers run on a fixed pool of `handlerThreads` worker threads, so a slow
/// handler only occupies a worker, never the I/O thread or other connections; the finished
/// response is serialized on the worker and handed back to the I/O thread through the pipe.
///
/// Why not a thread per connection: 500+ mostly idle keep-alive connections would each pin a
/// thread and its stack; with one loop the per-connection cost is a socket and its buffers.
/// `poll()` rather than epoll keeps the loop simple; rebuilding a pollfd array of at most
/// `maxConnections` entries per wake-up is cheap at this scale.
///
/// ## Bounded memory
/// A connection handles one request at a time: while its handler runs or its response is
/// being written, the server stops reading from it (pipelined bytes wait in the kernel), so
/// its input buffer holds at most one read (64 KiB) beyond the limits the parser enforces
/// (`maxHeaderBytes`, `maxHeaderCount`, `maxBodyBytes`). The worker queue holds at most one
/// job per connection.
///
/// ## Limits and timeouts
/// - `headerTimeout` runs from the first byte of a request (from accept for a new connection
///   that sends nothing) and is not reset by further bytes: a trickling client gets 408 and is
///   closed; a new connection that never sent anything is just closed.
/// - `bodyTimeout` runs from the end of the head; on expiry 408 and close. It also bounds how
///   long a response write may make no progress.
/// - `idleTimeout` closes a keep-alive connection that has been quiet since its last response.
/// - `maxConnections`: when reached, the server stops accepting; further clients wait in the
///   listen backlog until a connection closes (no 503 is sent). Connections in their closing
///   linger (below) still count.
/// - `maxConnectionsPerClient`: connections from one peer IP address beyond this are answered
///   `503` (`Retry-After: 1`, `Connection: close`) at once, without reading their request, and
///   closed, so one client holding many (slow) connections cannot take the slots of the others.
///   The answer is best-effort: it is written once into the new socket's send buffer.
/// - After an error response (4xx/5xx from the parser, 408) the connection is closed: the
///   write side is shut down first and unread input is drained for up to a second, so the
///   client can read the error instead of getting a reset.
///
/// ## Bodies kept in part
/// `bodyRetention` is asked, on the I/O thread, once per request head how many body bytes the
/// handler needs; the rest of the body is still read (within `maxBodyBytes`) and hashed but not
/// buffered, and the handler sees `bodySize` and `bodySHA256`. It must be quick (it runs on the
/// I/O thread) and must not block.
///
/// Responses always carry `Date` (unless the handler set one) and `Content-Length` (the
/// handler's body size; a handler's own Content-Length / Transfer-Encoding / Connection
/// headers are replaced), except 1xx/204/304, which get neither body nor Content-Length.
/// HEAD responses get the headers of the handler's response without its body.
///
/// ## Streaming responses
/// A handler may answer `HTTPResponse.streaming`: its head is sent, then the producer it carries runs on the same
/// worker thread and writes chunks through an `HTTPStreamWriter`; the I/O thread takes them and sends them as it
/// sends any response (non-blocking, `bodyTimeout` bounding a write that makes no progress). While a stream runs
/// the connection reads and discards what the client sends (up to 64 KiB, then it is closed) to notice at once a
/// client that closes; every later write then returns false. The writer holds at most 64 KiB (or one larger
/// chunk) and the I/O thread one batch of it. The connection closes when the stream ends. A stream holds its
/// worker thread until its producer returns.
///
/// `stop()` closes the listener and every connection and joins the I/O thread. Handlers
/// already running cannot be interrupted: they finish on their worker thread and their
/// response is discarded; `stop()` does not wait for them.
public final class HTTPServer: @unchecked Sendable {
    public struct Configuration: Sendable {
        public var host: String = "127.0.0.1"
        /// 0 = ephemeral; read `HTTPServer.port` after `start()`.
        public var port: Int = 0
        /// Request line + headers; over → 431.
        public var maxHeaderBytes = 16 * 1024
        /// Over → 431.
        public var maxHeaderCount = 100
        /// Over → 413 (checked against Content-Length before reading, and while reading chunks).
        public var maxBodyBytes = 1 << 20
        /// The whole request head must arrive within this; a trickling client is closed (408 if anything arrived).
        public var headerTimeout: TimeInterval = 10
        public var bodyTimeout: TimeInterval = 30
        /// Keep-alive idle.
        public var idleTimeout: TimeInterval = 30
        /// Beyond this the server stops accepting; extra clients wait in the listen backlog.
        public var maxConnections = 1024
        /// Connections one peer IP address may hold at once; more are answered 503 and closed at once.
        public var maxConnectionsPerClient = 64
        /// Longest request line (method, target, version); over → 414.
        public var maxRequestLineBytes = 8 * 1024
        /// How many body bytes of a request (given its head, body still empty) to keep; nil keeps every body whole.
        /// Runs on the I/O thread: it must be quick.
        public var bodyRetention: (@Sendable (HTTPRequest) -> Int)? = nil
        /// Worker threads running the handler.
        public var handlerThreads = 32
        /// listen() backlog (the kernel may cap it at net.core.somaxconn).
        public var listenBacklog = 1024
        public init() {}
    }

    public let configuration: Configuration
    private let handler: @Sendable (HTTPRequest) -> HTTPResponse
    private let lock = NSLock()
    private var loop: EventLoop?
    private var boundPort = 0

    public init(configuration: Configuration = Configuration(), handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) {
        self.configuration = configuration
        self.handler = handler
    }

    deinit {
        loop?.stop()
    }

    /// Binds and listens; after it returns, `port` is the bound port.
    public func start() throws(HTTPServerError) {
        lock.lock()
        defer { lock.unlock() }
        guard loop == nil else { throw .socket("server already started") }
        let fd = try Posix.makeListener(host: configuration.host, port: configuration.port,
                                        backlog: Int32(clamping: configuration.listenBacklog))
        var pipeFDs: [Int32] = [0, 0]
        guard pipe(&pipeFDs) == 0 else {
            close(fd)
            throw .socket("pipe: \(Posix.errnoText)")
        }
        for p in pipeFDs {
            Posix.setNonBlocking(p)
            Posix.setCloseOnExec(p)
        }
        boundPort = Posix.localPort(fd)
        let l = EventLoop(listener: fd, wakeRead: pipeFDs[0], wakeWrite: pipeFDs[1],
                          configuration: configuration, handler: handler)
        loop = l
        l.start()
    }

    /// The bound port (0 before `start()`).
    public var port: Int {
        lock.lock()
        defer { lock.unlock() }
        return boundPort
    }

    /// Closes the listener and all connections and joins the I/O thread. Idempotent.
    public func stop() {
        lock.lock()
        let l = loop
        loop = nil
        lock.unlock()
        l?.stop()
    }
}

// MARK: - Event loop

private final class Connection {
    enum State { case reading, handling, writing, streaming, lingering }

    let id: UInt64
    let fd: Int32
    let remote: String
    /// The peer's IP address, the key of the per-client connection count.
    let peer: String
    var parser: HTTPRequestParser
    var state: State = .reading
    var out: [UInt8] = []
    var outPos = 0
    var closeAfterWrite = false
    var readEOF = false
    var servedAny = false
    var phase: HTTPRequestParser.Phase = .idle
    var phaseStart: UInt64
    var receivedAt = Date()
    var deadline: UInt64 = .max
    var lingerBytes = 0
    var closed = false
    /// While `streaming`: where the body comes from.
    var stream: HTTPStreamWriter?

    init(id: UInt64, fd: Int32, remote: String, peer: String, limits: HTTPRequestParser.Limits,
         retention: (@Sendable (HTTPRequest) -> Int)?, now: UInt64) {
        self.id = id
        self.fd = fd
        self.remote = remote
        self.peer = peer
        self.parser = HTTPRequestParser(limits: limits, bodyRetention: retention)
        self.phaseStart = now
    }
}

private final class EventLoop: @unchecked Sendable {
    private let listener: Int32
    private let wakeRead: Int32
    private let wakeWrite: Int32
    private let config: HTTPServer.Configuration
    private let limits: HTTPRequestParser.Limits
    private let handler: @Sendable (HTTPRequest) -> HTTPResponse
    private let pool: WorkerPool

    // Shared with workers and stop(), under `lock`.
    private let lock = NSLock()
    private var completions: [(id: UInt64, bytes: [UInt8], close: Bool, stream: HTTPStreamWriter?)] = []
    private var stopRequested = false
    private var finished = false
    private let done = DispatchSemaphore(value: 0)

    // I/O thread only.
    private var conns: [UInt64: Connection] = [:]
    private var perPeer: [String: Int] = [:]
    private var nextID: UInt64 = 1
    private var acceptPausedUntil: UInt64 = 0
    private var readBuffer = [UInt8](repeating: 0, count: 64 * 1024)

    private static let lingerTime: UInt64 = 1_000_000_000
    private static let lingerMaxBytes = 1 << 20
    /// What a streaming writer may hold before `write` waits.
    static let streamMaxPending = 64 * 1024
    /// What a client may send while its stream runs before it is closed.
    private static let streamMaxInput = 64 * 1024

    init(listener: Int32, wakeRead: Int32, wakeWrite: Int32, configuration: HTTPServer.Configuration,
         handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) {
        self.listener = listener
        self.wakeRead = wakeRead
        self.wakeWrite = wakeWrite
        self.config = configuration
        self.limits = HTTPRequestParser.Limits(maxHeaderBytes: configuration.maxHeaderBytes,
                                               maxHeaderCount: configuration.maxHeaderCount,
                                               maxBodyBytes: configuration.maxBodyBytes,
                                               maxRequestLineBytes: configuration.maxRequestLineBytes)
        self.handler = handler
        self.pool = WorkerPool(threads: configuration.handlerThreads, name: "otter-http-worker")
    }

    func start() {
        let t = Thread { [self] in self.run() }
        t.name = "otter-http-io"
        t.start()
    }

    func stop() {
        lock.lock()
        if finished {
            lock.unlock()
            return
        }
        let first = !stopRequested
        stopRequested = true
        if first { wakeLocked() }
        lock.unlock()
        done.wait()
        done.signal()  // let any other concurrent stop() return too
    }

    /// Writes a wake-up byte. Caller holds `lock`; the pipe is closed under the same lock,
    /// so this never writes to a closed (or reused) descriptor.
    private func wakeLocked() {
        guard !finished else { return }
        var b: UInt8 = 1
        _ = write(wakeWrite, &b, 1)  // EAGAIN (pipe full) is fine: the loop is awake anyway
    }

    /// Called on a worker thread when a handler has finished.
    private func complete(id: UInt64, bytes: [UInt8], close: Bool, stream: HTTPStreamWriter? = nil) {
        lock.lock()
        if stopRequested {
            lock.unlock()
            stream?.markGone()
            return
        }
        completions.append((id, bytes, close, stream))
        wakeLocked()
        lock.unlock()
    }

    /// A streaming writer has bytes (or has finished): wake the loop.
    fileprivate func streamWoke() {
        lock.lock()
        wakeLocked()
        lock.unlock()
    }

    // MARK: Loop

    private func run() {
        var fds: [pollfd] = []
        var order: [Connection] = []
        while true {
            lock.lock()
            let stopping = stopRequested
            lock.unlock()
            if stopping { break }

            var now = monotonicNanos()
            fds.removeAll(keepingCapacity: true)
            order.removeAll(keepingCapacity: true)
            fds.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
            let accepting = conns.count < config.maxConnections && now >= acceptPausedUntil
            fds.append(pollfd(fd: accepting ? listener : -1, events: Int16(POLLIN), revents: 0))
            var nearest: UInt64 = now + 1_000_000_000
            if !accepting && acceptPausedUntil > now { nearest = min(nearest, acceptPausedUntil) }
            for c in conns.values {
                var ev: Int32 = 0
                switch c.state {
                case .reading:
                    if !c.readEOF { ev |= Int32(POLLIN) }
                    if c.outPos < c.out.count { ev |= Int32(POLLOUT) }
                case .handling: break
                case .writing: ev = Int32(POLLOUT)
                case .streaming:
                    ev = Int32(POLLIN)
                    if c.outPos < c.out.count { ev |= Int32(POLLOUT) }
                case .lingering: ev = Int32(POLLIN)
                }
                fds.append(pollfd(fd: c.fd, events: Int16(ev), revents: 0))
                order.append(c)
                nearest = min(nearest, c.deadline)
            }
            let waitMs = nearest <= now ? 0 : Int32(min((nearest - now) / 1_000_000 + 1, 1000))
            let rc = poll(&fds, nfds_t(fds.count), waitMs)
            if rc < 0 && errno != EINTR {
                // Should not happen; avoid spinning.
                usleep(10_000)
                continue
            }
            now = monotonicNanos()

            if rc > 0 {
                if fds[0].revents != 0 { drainWake() }
                for (i, c) in order.enumerated() {
                    let re = Int32(fds[i + 2].revents)
                    if re == 0 || c.closed { continue }
                    handleEvents(c, re, now)
                }
                if fds[1].revents != 0 { acceptConnections(now) }
            }
            applyCompletions(now)
            pumpStreams(now)
            now = monotonicNanos()
            for c in Array(conns.values) where !c.closed && c.deadline <= now {
                onTimeout(c, now)
            }
        }
        // Shutting down.
        for c in Array(conns.values) { closeConnection(c) }
        close(listener)
        pool.shutdown()
        lock.lock()
        finished = true
        let unapplied = completions
        completions = []
        close(wakeRead)
        close(wakeWrite)
        lock.unlock()
        for item in unapplied { item.stream?.markGone() }
        done.signal()
    }

    private func drainWake() {
        var scratch = [UInt8](repeating: 0, count: 256)
        while read(wakeRead, &scratch, scratch.count) > 0 {}
    }

    private func acceptConnections(_ now: UInt64) {
        for _ in 0..<256 {
            guard conns.count < config.maxConnections else { return }
            var storage = sockaddr_storage()
            var len = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listener, $0, &len) }
            }
            if fd < 0 {
                switch errno {
                case EAGAIN, EWOULDBLOCK: return
                case EINTR, ECONNABORTED, EPROTO: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    // Out of descriptors: leave clients in the backlog for a moment.
                    acceptPausedUntil = now + 100_000_000
                    return
                default:
                    return
                }
            }
            Posix.setNonBlocking(fd)
            Posix.setCloseOnExec(fd)
            Posix.setInt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, 1)
            let remote = withUnsafePointer(to: &storage) { Posix.describe($0) }
            let peer = withUnsafePointer(to: &storage) { Posix.address($0)?.host } ?? remote
            let held = perPeer[peer, default: 0]
            if held >= config.maxConnectionsPerClient {
                refuse(fd, peer: peer)
                continue
            }
            perPeer[peer] = held + 1
            let c = Connection(id: nextID, fd: fd, remote: remote, peer: peer, limits: limits,
                               retention: config.bodyRetention, now: now)
            nextID += 1
            conns[c.id] = c
            refreshDeadline(c, now)
        }
    }

    /// A connection over the per-client limit: one non-blocking write of a 503, then close.
    private func refuse(_ fd: Int32, peer: String) {
        var response = HTTPResponse.error(503, code: "too_many_connections",
                                          message: "\(peer) already holds \(config.maxConnectionsPerClient) connections to this server; reuse one, or retry when one is closed")
        response.headers.add("Retry-After", "1")
        let bytes = HTTPResponseWriter.serialize(response, headRequest: false, close: true, keepAlive10: false)
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Posix.sendFlags) }
        shutdown(fd, Int32(SHUT_WR))
        close(fd)
    }

    private func handleEvents(_ c: Connection, _ re: Int32, _ now: UInt64) {
        let errOrHup = re & (Int32(POLLERR) | Int32(POLLHUP) | Int32(POLLNVAL)) != 0
        switch c.state {
        case .reading:
            if re & Int32(POLLOUT) != 0 { flush(c, now) }
            if !c.closed && (re & Int32(POLLIN) != 0 || errOrHup) { onReadable(c, now) }
        case .handling:
            // The client is gone in both directions: its answer cannot be delivered.
            if errOrHup { closeConnection(c) }
        case .writing:
            flush(c, now)
        case .streaming:
            if re & Int32(POLLOUT) != 0 { flush(c, now) }
            if !c.closed && (re & Int32(POLLIN) != 0 || errOrHup) { drainStreamInput(c) }
        case .lingering:
            drainLinger(c)
        }
    }

    /// While a stream runs, the client has nothing to say: what it sends is discarded, and its close is noticed.
    private func drainStreamInput(_ c: Connection) {
        let n = readBuffer.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            c.lingerBytes += n
            if c.lingerBytes > Self.streamMaxInput { closeConnection(c) }
        } else if n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            closeConnection(c)
        }
    }

    /// Moves what each stream's producer wrote into its connection, once the previous batch is sent.
    private func pumpStreams(_ now: UInt64) {
        for c in Array(conns.values) where c.state == .streaming {
            guard let stream = c.stream else { continue }
            while c.state == .streaming && !c.closed && c.outPos >= c.out.count {
                let (bytes, done) = stream.take()
                if bytes.isEmpty {
                    if done { startLinger(c, now) }
                    break
                }
                c.out = bytes
                c.outPos = 0
                c.deadline = now + nanos(config.bodyTimeout)
                flush(c, now)
            }
        }
    }

    private func onReadable(_ c: Connection, _ now: UInt64) {
        let n = readBuffer.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            readBuffer.withUnsafeBytes { c.parser.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            notePhase(c, now)
            advance(c, now)
        } else if n == 0 {
            c.readEOF = true
            advance(c, now)
        } else if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR {
            closeConnection(c)
        }
    }

    /// Tracks when the current request started and when its head completed.
    private func notePhase(_ c: Connection, _ now: UInt64) {
        let p = c.parser.phase
        guard p != c.phase else { return }
        if c.phase == .idle { c.receivedAt = Date() }
        c.phase = p
        c.phaseStart = now
    }

    /// Parses what is buffered and dispatches the next request, if complete.
    private func advance(_ c: Connection, _ now: UInt64) {
        guard c.state == .reading, !c.closed else { return }
        let request: HTTPRequest?
        do {
            request = try c.parser.next()
        } catch {
            respondWithError(c, HTTPResponseWriter.errorResponse(error), now)
            return
        }
        if let request {
            dispatch(c, request)
            return
        }
        notePhase(c, now)
        if c.readEOF {
            // The client stopped sending before completing a request.
            closeConnection(c)
            return
        }
        if c.parser.takeContinueRequest() {
            c.out.append(contentsOf: HTTPResponseWriter.continueBytes)
            flush(c, now)
            if c.closed { return }
        }
        refreshDeadline(c, now)
    }

    private func dispatch(_ c: Connection, _ request: HTTPRequest) {
        var req = request
        req.remoteAddress = c.remote
        req.receivedAt = c.receivedAt
        let keepAlive = req.wantsKeepAlive
        let isHead = req.method == "HEAD"
        let is10 = req.version == "HTTP/1.0"
        let id = c.id
        c.state = .handling
        c.deadline = .max
        let handler = self.handler
        let req0 = req
        let submitted = pool.submit { [self] in
            let response = handler(req0)
            if let produce = response.stream {
                let bytes = HTTPResponseWriter.serialize(response, headRequest: isHead, close: true, keepAlive10: false,
                                                         streamChunked: !is10)
                if isHead {
                    self.complete(id: id, bytes: bytes, close: true)
                    return
                }
                let writer = HTTPStreamWriter(chunked: !is10, maxPending: Self.streamMaxPending,
                                              wake: { [weak self] in self?.streamWoke() })
                self.complete(id: id, bytes: bytes, close: true, stream: writer)
                produce(writer)
                writer.finish()
                return
            }
            let close = !keepAlive || response.headers.containsToken("close", in: "Connection")
            let bytes = HTTPResponseWriter.serialize(response, headRequest: isHead, close: close,
                                                     keepAlive10: is10 && !close)
            self.complete(id: id, bytes: bytes, close: close)
        }
        if !submitted { closeConnection(c) }
    }

    private func applyCompletions(_ now: UInt64) {
        lock.lock()
        let list = completions
        completions = []
        lock.unlock()
        for item in list {
            guard let c = conns[item.id], !c.closed, c.state == .handling else {
                item.stream?.markGone()
                continue
            }
            c.out.append(contentsOf: item.bytes)
            c.closeAfterWrite = item.close
            if let stream = item.stream {
                c.stream = stream
                c.state = .streaming
                c.lingerBytes = 0
                c.deadline = now + nanos(config.bodyTimeout)
                flush(c, now)
                continue
            }
            c.state = .writing
            c.deadline = now + nanos(config.bodyTimeout)
            flush(c, now)
        }
    }

    private func respondWithError(_ c: Connection, _ bytes: [UInt8], _ now: UInt64) {
        c.out.append(contentsOf: bytes)
        c.closeAfterWrite = true
        c.state = .writing
        c.deadline = now + nanos(config.bodyTimeout)
        flush(c, now)
    }

    private func flush(_ c: Connection, _ now: UInt64) {
        while c.outPos < c.out.count {
            let n = c.out.withUnsafeBytes { buf in
                send(c.fd, buf.baseAddress! + c.outPos, buf.count - c.outPos, Posix.sendFlags)
            }
            if n > 0 {
                c.outPos += n
                if c.state == .writing || c.state == .streaming { c.deadline = now + nanos(config.bodyTimeout) }
            } else if n < 0 && errno == EINTR {
                continue
            } else if n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK) {
                return
            } else {
                closeConnection(c)
                return
            }
        }
        c.out = []
        c.outPos = 0
        if c.state == .writing { writeDone(c, now) }
        // A stream with nothing left to send waits for its producer without a deadline.
        if c.state == .streaming { c.deadline = .max }
    }

    private func writeDone(_ c: Connection, _ now: UInt64) {
        if c.closeAfterWrite {
            startLinger(c, now)
            return
        }
        c.state = .reading
        c.servedAny = true
        c.phase = .idle
        c.phaseStart = now
        refreshDeadline(c, now)
        // Pipelined bytes may already hold the next request.
        if c.parser.bufferedByteCount > 0 || c.readEOF {
            notePhase(c, now)
            advance(c, now)
        }
    }

    /// Half-close, then read and discard for a short while so the peer sees our last response
    /// rather than a reset caused by its unread bytes.
    private func startLinger(_ c: Connection, _ now: UInt64) {
        if c.readEOF {
            closeConnection(c)
            return
        }
        shutdown(c.fd, Int32(SHUT_WR))
        c.state = .lingering
        c.deadline = now + Self.lingerTime
    }

    private func drainLinger(_ c: Connection) {
        let n = readBuffer.withUnsafeMutableBytes { recv(c.fd, $0.baseAddress, $0.count, 0) }
        if n > 0 {
            c.lingerBytes += n
            if c.lingerBytes > Self.lingerMaxBytes { closeConnection(c) }
        } else if n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            closeConnection(c)
        }
    }

    private func refreshDeadline(_ c: Connection, _ now: UInt64) {
        switch c.state {
        case .reading:
            switch c.phase {
            case .idle:
                c.deadline = c.phaseStart + nanos(c.servedAny ? config.idleTimeout : config.headerTimeout)
            case .head:
                c.deadline = c.phaseStart + nanos(config.headerTimeout)
            case .body:
                c.deadline = c.phaseStart + nanos(config.bodyTimeout)
            }
        case .handling:
            c.deadline = .max
        case .writing, .streaming, .lingering:
            break
        }
    }

    private func onTimeout(_ c: Connection, _ now: UInt64) {
        switch c.state {
        case .reading:
            if c.phase == .idle {
                closeConnection(c)
            } else {
                let what = c.phase == .head ? "request head" : "request body"
                respondWithError(c, HTTPResponseWriter.simpleError(408, code: "request_timeout",
                                                                  message: "\(what) not received in time"), now)
            }
        case .handling:
            break
        case .writing, .streaming, .lingering:
            closeConnection(c)
        }
    }

    private func closeConnection(_ c: Connection) {
        guard !c.closed else { return }
        c.closed = true
        close(c.fd)
        c.stream?.markGone()
        conns[c.id] = nil
        if let n = perPeer[c.peer], n > 1 { perPeer[c.peer] = n - 1 } else { perPeer[c.peer] = nil }
    }
}
