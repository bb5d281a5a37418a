import Foundation

/// Writes the body of a streaming response (`HTTPResponse.streaming`), chunk by chunk, from the worker thread that
/// produces it. The I/O thread sends what was written; the writer never touches the socket.
///
/// Bounded memory: at most `maxPending` bytes (or one larger chunk) wait here, and the I/O thread holds at most one
/// batch of them while sending. A `write` beyond that waits until the client has read enough; a client that makes
/// no progress for the server's `bodyTimeout` is closed and the write returns false: a client that stops reading
/// cannot make the producer buffer without bound.
///
/// `write` returns false once the client is gone (it closed the connection, sent too much, a send failed), the
/// server stopped, or the client stalled: the producer then stops. `whenGone` tells a producer that is waiting for
/// something to send (not writing) that there is no one left to send it to.
public final class HTTPStreamWriter: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [UInt8] = []
    private var gone = false
    private var finished = false
    private var goneHandlers: [@Sendable () -> Void] = []
    private let chunked: Bool
    private let maxPending: Int
    private let wake: @Sendable () -> Void

    init(chunked: Bool, maxPending: Int, wake: @escaping @Sendable () -> Void) {
        self.chunked = chunked; self.maxPending = maxPending; self.wake = wake
    }

    /// Sends `bytes` (one chunk). False when the client is gone or stalled: stop producing.
    @discardableResult
    public func write(_ bytes: [UInt8]) -> Bool {
        guard !bytes.isEmpty else { return isOpen }
        condition.lock()
        // The I/O thread takes the pending bytes only once it has sent the last ones, so waiting here is waiting
        // for the client to read; a client that reads nothing for bodyTimeout is closed by the I/O thread.
        while !gone && !finished && !pending.isEmpty && pending.count + bytes.count > maxPending { condition.wait() }
        if gone || finished {
            condition.unlock()
            return false
        }
        if chunked { pending.append(contentsOf: Array(String(bytes.count, radix: 16).utf8) + [13, 10]) }
        pending.append(contentsOf: bytes)
        if chunked { pending.append(contentsOf: [13, 10]) }
        condition.unlock()
        wake()
        return true
    }

    /// Sends `text` as UTF-8.
    @discardableResult
    public func write(_ text: String) -> Bool { write(Array(text.utf8)) }

    /// Whether the client is still there.
    public var isOpen: Bool {
        condition.lock(); defer { condition.unlock() }
        return !gone && !finished
    }

    /// Calls `body` once, on whichever thread notices, when the client is gone (at once if it already is).
    public func whenGone(_ body: @escaping @Sendable () -> Void) {
        condition.lock()
        if gone {
            condition.unlock()
            body()
            return
        }
        goneHandlers.append(body)
        condition.unlock()
    }

    // MARK: The server's side

    /// The producer returned: the body ends (the last chunk is sent, then the connection closes).
    func finish() {
        condition.lock()
        if !finished && !gone && chunked { pending.append(contentsOf: Array("0\r\n\r\n".utf8)) }
        finished = true
        condition.unlock()
        wake()
    }

    /// Takes what waits to be sent; `done` once the producer has finished and everything was taken.
    func take() -> (bytes: [UInt8], done: Bool) {
        condition.lock()
        defer { condition.unlock() }
        let out = pending
        pending = []
        if !out.isEmpty { condition.broadcast() }
        return (out, finished)
    }

    /// The connection is closed (client gone, server stopped): every write from now on returns false.
    func markGone() {
        condition.lock()
        if gone {
            condition.unlock()
            return
        }
        gone = true
        pending = []
        let handlers = goneHandlers
        goneHandlers = []
        condition.broadcast()
        condition.unlock()
        for h in handlers { h() }
    }
}

extension HTTPResponse {
    /// A response whose body `produce` writes, on a worker thread, until it returns or a write returns false (the
    /// client is gone). Sent with `Transfer-Encoding: chunked` (close-delimited to an HTTP/1.0 client) and
    /// `Connection: close`. Each stream holds a worker thread while it runs: bound the streams a server serves below
    /// its `handlerThreads`. A HEAD request gets the head only; `produce` is not called.
    public static func streaming(status: Int = 200, headers: HTTPHeaders = [:],
                                 produce: @escaping @Sendable (HTTPStreamWriter) -> Void) -> HTTPResponse {
        var r = HTTPResponse(status: status, headers: headers)
        r.stream = produce
        return r
    }
}
