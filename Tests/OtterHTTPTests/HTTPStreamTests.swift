import XCTest
import TestSupport
import Foundation
import OtterHTTP
#if canImport(Glibc)
import Glibc
#endif

/// Streaming responses (`HTTPResponse.streaming`), over real sockets: framing, a client that goes away, a client that
/// stops reading, HEAD, HTTP/1.0, and stop().
final class HTTPStreamTests: XCTestCase {
    private var servers: [HTTPServer] = []

    override func tearDown() {
        for s in servers { s.stop() }
        servers = []
        super.tearDown()
    }

    private func start(_ tweak: (inout HTTPServer.Configuration) -> Void = { _ in },
                       handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse) throws -> HTTPServer {
        var config = HTTPServer.Configuration()
        tweak(&config)
        let s = HTTPServer(configuration: config, handler: handler)
        try s.start()
        servers.append(s)
        return s
    }

    /// Decodes a chunked body; nil when the framing is wrong.
    private func dechunk(_ body: String) -> (chunks: [String], complete: Bool)? {
        var rest = Substring(body)
        var chunks: [String] = []
        while let crlf = rest.range(of: "\r\n") {
            guard let size = Int(rest[..<crlf.lowerBound], radix: 16) else { return nil }
            rest = rest[crlf.upperBound...]
            if size == 0 { return (chunks, rest == "\r\n") }
            let bytes = Array(rest.utf8)
            guard bytes.count >= size + 2, bytes[size] == 13, bytes[size + 1] == 10 else { return nil }
            chunks.append(String(decoding: bytes[0..<size], as: UTF8.self))
            rest = Substring(String(decoding: bytes[(size + 2)...], as: UTF8.self))
        }
        return rest.isEmpty ? (chunks, false) : nil
    }

    func testChunksArriveInOrderAsWrittenThenTheBodyEndsAndTheConnectionCloses() throws {
        let gate = DispatchSemaphore(value: 0)
        let server = try start { _ in
            .streaming(headers: ["Content-Type": "text/event-stream"]) { w in
                XCTAssertTrue(w.write("data: one\n\n"))
                gate.wait()
                XCTAssertTrue(w.write("data: two\n\n"))
            }
        }
        let c = try XCTUnwrap(RawClient(port: server.port))
        XCTAssertTrue(c.send("GET /events HTTP/1.1\r\nHost: x\r\n\r\n"))
        // The first chunk comes before the producer has finished: it is sent as written, not at the end.
        let first = c.readUntil("data: one\n\n\r\n", timeout: 3)
        XCTAssertTrue(first.hasPrefix("HTTP/1.1 200 OK\r\n"), first)
        XCTAssertTrue(first.contains("Transfer-Encoding: chunked\r\n"), first)
        XCTAssertTrue(first.contains("Connection: close\r\n"), first)
        XCTAssertTrue(first.contains("Content-Type: text/event-stream\r\n"), first)
        XCTAssertFalse(first.lowercased().contains("content-length"), first)
        XCTAssertFalse(first.contains("two"))
        gate.signal()
        let rest = c.readUntil("0\r\n\r\n", timeout: 3)
        let headEnd = try XCTUnwrap(first.range(of: "\r\n\r\n"))
        let body = String(first[headEnd.upperBound...]) + rest
        let decoded = try XCTUnwrap(dechunk(body), body)
        XCTAssertEqual(decoded.chunks, ["data: one\n\n", "data: two\n\n"])
        XCTAssertTrue(decoded.complete, "no last chunk: \(body.debugDescription)")
        XCTAssertTrue(c.waitClosed(timeout: 3), "the connection stays open after the stream ended")
    }

    func testAClientThatClosesIsNoticedWhileTheProducerWaitsAndItsNextWriteFails() throws {
        let gone = DispatchSemaphore(value: 0)
        let result = Locked<Bool?>(nil)
        let proceed = DispatchSemaphore(value: 0)
        let server = try start { _ in
            .streaming { w in
                w.write("data: hello\n\n")
                w.whenGone { gone.signal() }
                proceed.wait()
                result.update { $0 = w.write("data: late\n\n") }
            }
        }
        do {
            let c = try XCTUnwrap(RawClient(port: server.port))
            XCTAssertTrue(c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
            XCTAssertTrue(c.readUntil("hello", timeout: 3).contains("hello"))
        }  // closed here
        XCTAssertEqual(gone.wait(timeout: .now() + 3), .success, "the client's close was not noticed while the producer waited")
        proceed.signal()
        let deadline = Date().addingTimeInterval(3)
        while result.read({ $0 }) == nil && Date() < deadline { usleep(10_000) }
        XCTAssertEqual(result.read { $0 }, false, "a write after the client left succeeded")
    }

    func testAClientThatStopsReadingIsClosedAfterBodyTimeoutAndMemoryStaysBounded() throws {
        let writes = Locked((ok: 0, failed: false))
        let server = try start({ $0.bodyTimeout = 1 }) { _ in
            .streaming { w in
                let chunk = [UInt8](repeating: 0x61, count: 16 * 1024)
                // 64 MiB if nothing stopped it; a client that reads nothing must stop it long before.
                for _ in 0..<4096 {
                    if !w.write(chunk) { writes.update { $0.failed = true }; return }
                    writes.update { $0.ok += 1 }
                }
            }
        }
        let c = try XCTUnwrap(RawClient(port: server.port))
        var small: Int32 = 4096
        setsockopt(c.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        XCTAssertTrue(c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        let deadline = Date().addingTimeInterval(10)
        while !writes.read({ $0.failed }) && Date() < deadline { usleep(50_000) }
        let w = writes.read { $0 }
        XCTAssertTrue(w.failed, "the producer was never told the client stalled (\(w.ok) chunks written)")
        // Socket buffers (a few MiB at most on loopback) plus the writer's 64 KiB: far below what was offered.
        XCTAssertLessThan(w.ok * 16 * 1024, 16 << 20, "the server buffered \(w.ok * 16) KiB for a client that reads nothing")
    }

    func testHeadGetsTheHeadOnlyAndTheProducerIsNotRun() throws {
        let ran = Locked(false)
        let server = try start { _ in .streaming { w in ran.update { $0 = true }; w.write("x") } }
        let c = try XCTUnwrap(RawClient(port: server.port))
        XCTAssertTrue(c.send("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n"))
        let r = try XCTUnwrap(c.readResponse(head: true))
        XCTAssertEqual(r.status, 200)
        XCTAssertTrue(c.waitClosed(timeout: 3))
        XCTAssertFalse(ran.read { $0 })
    }

    func testAnHTTP10ClientGetsACloseDelimitedBody() throws {
        let server = try start { _ in .streaming { w in w.write("abc"); w.write("def") } }
        let c = try XCTUnwrap(RawClient(port: server.port))
        XCTAssertTrue(c.send("GET / HTTP/1.0\r\n\r\n"))
        let all = c.readUntil("never-sent", timeout: 3)
        XCTAssertTrue(c.sawClose)
        XCTAssertFalse(all.contains("Transfer-Encoding"), all)
        XCTAssertTrue(all.hasSuffix("\r\n\r\nabcdef"), all.debugDescription)
    }

    func testStopEndsARunningStreamAndItsWritesFail() throws {
        let started = DispatchSemaphore(value: 0)
        let failed = DispatchSemaphore(value: 0)
        let server = try start { _ in
            .streaming { w in
                started.signal()
                while w.write("data: tick\n\n") { usleep(20_000) }
                failed.signal()
            }
        }
        let c = try XCTUnwrap(RawClient(port: server.port))
        XCTAssertTrue(c.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))
        XCTAssertEqual(started.wait(timeout: .now() + 3), .success)
        XCTAssertTrue(c.readUntil("tick", timeout: 3).contains("tick"))
        server.stop()
        XCTAssertEqual(failed.wait(timeout: .now() + 3), .success, "the producer kept writing after stop()")
        XCTAssertTrue(c.waitClosed(timeout: 3))
    }

    /// Ordinary requests on other connections are served while streams run (each holds only its worker).
    func testOtherRequestsAreServedWhileStreamsRun() throws {
        let release = DispatchSemaphore(value: 0)
        let server = try start({ $0.handlerThreads = 4 }) { req in
            if req.path == "/plain" { return HTTPResponse(status: 200, body: Array("plain".utf8)) }
            return .streaming { w in w.write("data: x\n\n"); release.wait() }
        }
        var streams: [RawClient] = []
        for _ in 0..<3 {
            let c = try XCTUnwrap(RawClient(port: server.port))
            XCTAssertTrue(c.send("GET /s HTTP/1.1\r\nHost: x\r\n\r\n"))
            XCTAssertTrue(c.readUntil("data: x", timeout: 3).contains("data: x"))
            streams.append(c)
        }
        let p = try XCTUnwrap(RawClient(port: server.port))
        XCTAssertTrue(p.send("GET /plain HTTP/1.1\r\nHost: x\r\n\r\n"))
        XCTAssertEqual(p.readResponse(timeout: 3)?.text, "plain")
        for _ in streams { release.signal() }
    }
}

private final class Locked<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value
    init(_ v: Value) { value = v }
    func read<T>(_ f: (Value) -> T) -> T { lock.lock(); defer { lock.unlock() }; return f(value) }
    func update(_ f: (inout Value) -> Void) { lock.lock(); f(&value); lock.unlock() }
}
