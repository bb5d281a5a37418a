import XCTest
import TestSupport
import Foundation
import OtterHTTP
#if canImport(Glibc)
import Glibc
#endif

final class HTTPServerTests: XCTestCase {
    /// Echo handler: body echoed back (or "hello"), request facts in headers.
    /// `/slow?ms=N` sleeps N ms first, `/nocontent` answers 204.
    static let echo: @Sendable (HTTPRequest) -> HTTPResponse = { req in
        if req.path == "/slow" {
            let ms = req.query?.split(separator: "&").first { $0.hasPrefix("ms=") }.flatMap { Int($0.dropFirst(3)) } ?? 1000
            usleep(useconds_t(ms * 1000))
        }
        if req.path == "/nocontent" { return HTTPResponse(status: 204, headers: ["X-Seen": "1"]) }
        var h: HTTPHeaders = ["Content-Type": "text/plain"]
        h.add("X-Method", req.method)
        h.add("X-Path", req.path)
        h.add("X-Query", req.query ?? "-")
        h.add("X-Remote", req.remoteAddress)
        h.add("X-Body-Length", String(req.body.count))
        return HTTPResponse(status: 200, headers: h, body: req.body.isEmpty ? Array("hello".utf8) : req.body)
    }

    private var servers: [HTTPServer] = []

    override func tearDown() {
        for s in servers { s.stop() }
        servers = []
        super.tearDown()
    }

    /// A request's `receivedAt` is when its first byte came, also on a reused keep-alive connection
    /// (the event log's timestamps, and so every deadline, depend on it).
    func testReceivedAtIsTheFirstByteOfEachRequestOnAKeptAliveConnection() throws {
        let server = try startServer(handler: { req in
            HTTPResponse(status: 200, body: Array(String(req.receivedAt.timeIntervalSince1970).utf8))
        })
        let c = try XCTUnwrap(RawClient(port: server.port))
        XCTAssertTrue(c.send("GET /a HTTP/1.1\r\nHost: x\r\n\r\n"))
        let first = try XCTUnwrap(Double(try XCTUnwrap(c.readResponse()).text))
        usleep(300_000)
        let before = Date().timeIntervalSince1970
        XCTAssertTrue(c.send("GET /b HTTP/1.1\r\nHost: x\r\n\r\n"))
        let second = try XCTUnwrap(Double(try XCTUnwrap(c.readResponse()).text))
        XCTAssertGreaterThanOrEqual(second, before - 0.001, "the second request's time is not the first's (\(first))")
        XCTAssertGreaterThan(second - first, 0.25)
    }

    private func startServer(_ tweak: (inout HTTPServer.Configuration) -> Void = { _ in },
                             handler: @escaping @Sendable (HTTPRequest) -> HTTPResponse = HTTPServerTests.echo) throws -> HTTPServer {
        var config = HTTPServer.Configuration()
        tweak(&config)
        let server = HTTPServer(configuration: config, handler: handler)
        try server.start()
        servers.append(server)
        XCTAssertGreaterThan(server.port, 0)
        return server
    }

    private func client(_ server: HTTPServer, file: StaticString = #filePath, line: UInt = #line) throws -> RawClient {
        try XCTUnwrap(RawClient(port: server.port), "connect failed", file: file, line: line)
    }

    private func assertErrorAndClose(_ c: RawClient, _ status: Int, file: StaticString = #filePath, line: UInt = #line) {
        let r = c.readResponse()
        XCTAssertEqual(r?.status, status, file: file, line: line)
        XCTAssertEqual(r?.header("Connection"), "close", file: file, line: line)
        XCTAssertEqual(r?.header("Content-Type"), "application/json", file: file, line: line)
        XCTAssertTrue(r?.text.hasPrefix("{\"error\":") ?? false, file: file, line: line)
        XCTAssertTrue(c.waitClosed(timeout: 2), "connection not closed", file: file, line: line)
    }

    // MARK: Basics

    func testSimpleGet() throws {
        let s = try startServer()
        let c = try client(s)
        c.send("GET /v1/x?y=1 HTTP/1.1\r\nHost: t\r\n\r\n")
        let r = try XCTUnwrap(c.readResponse())
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.text, "hello")
        XCTAssertEqual(r.header("Content-Length"), "5")
        XCTAssertEqual(r.header("X-Path"), "/v1/x")
        XCTAssertEqual(r.header("X-Query"), "y=1")
        XCTAssertTrue(r.header("X-Remote")?.hasPrefix("127.0.0.1:") ?? false)
        XCTAssertTrue(r.header("Date")?.hasSuffix(" GMT") ?? false)
        XCTAssertNil(r.header("Connection"))
    }

    func testPostWithContentLength() throws {
        let s = try startServer()
        let c = try client(s)
        let body = String(repeating: "0123456789", count: 1000)
        c.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body)
        let r = try XCTUnwrap(c.readResponse())
        XCTAssertEqual(r.status, 200)
        XCTAssertEqual(r.header("X-Method"), "POST")
        XCTAssertEqual(r.text, body)
    }

    func testKeepAliveTwoRequestsOnOneConnection() throws {
        let s = try startServer()
        let c = try client(s)
        c.send("GET /one HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(c.readResponse()?.header("X-Path"), "/one")
        c.send("POST /two HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc")
        let r = c.readResponse()
        XCTAssertEqual(r?.header("X-Path"), "/two")
        XCTAssertEqual(r?.text, "abc")
    }

    func testPipeliningAnsweredInOrder() throws {
        let s = try startServer()
        let c = try client(s)
        c.send("GET /slow?ms=200 HTTP/1.1\r\nHost: t\r\n\r\nPOST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhiGET /c HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(c.readResponse()?.header("X-Path"), "/slow")
        XCTAssertEqual(c.readResponse()?.text, "hi")
        let last = c.readResponse()
        XCTAssertEqual(last?.header("X-Path"), "/c")
        XCTAssertEqual(last?.header("Connection"), "close")
        XCTAssertTrue(c.waitClosed(timeout: 2))
    }

    func testChunkedRequestBody() throws {
        let s = try startServer()
        let c = try client(s)
        c.send("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n4;ext=1\r\nWiki\r\n")
        usleep(50_000)
        c.send("5\r\npedia\r\n0\r\nTrailer: x\r\n\r\n")
        let r = c.readResponse()
        XCTAssertEqual(r?.status, 200)
        XCTAssertEqual(r?.text, "Wikipedia")
        XCTAssertEqual(r?.header("X-Body-Length"), "9")
    }

    func testExpectContinue() throws {
        let s = try startServer()
        let c = try client(s)
        c.send("POST /e HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nExpect: 100-continue\r\n\r\n")
        // The interim response arrives before any body byte is sent.
        var p = pollfd(fd: c.fd, events: Int16(POLLIN), revents: 0)
        XCTAssertEqual(poll(&p, 1, 2000), 1)
        var buf = [UInt8](repeating: 0, count: 64)
        let n = recv(c.fd, &buf, 25, Int32(MSG_PEEK))
        XCTAssertEqual(String(decoding: buf[0..<max(0, n)], as: UTF8.self), "HTTP/1.1 100 Continue\r\n\r\n")
        c.send("abc")
        XCTAssertEqual(c.readResponse()?.text, "abc")
    }

    func testHeadAnd204HaveNoBody() throws {
        let s = try startServer()
        let c = try client(s)
        c.send("HEAD /h HTTP/1.1\r\nHost: t\r\n\r\n")
        let h = c.readResponse(head: true)
        XCTAssertEqual(h?.status, 200)
        XCTAssertEqual(h?.header("Content-Length"), "5")
        c.send("GET /nocontent HTTP/1.1\r\nHost: t\r\n\r\n")
        let n = c.readResponse()
        XCTAssertEqual(n?.status, 204)
        XCTAssertNil(n?.header("Content-Length"))
        XCTAssertEqual(n?.header("X-Seen"), "1")
        // Nothing stray (such as a HEAD body) precedes the next response.
        c.send("GET /after HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(c.readResponse()?.header("X-Path"), "/after")
    }

    func testHTTP10ClosesUnlessKeepAlive() throws {
        let s = try startServer()
        let c = try client(s)
        c.send("GET /a HTTP/1.0\r\n\r\n")
        let r = c.readResponse()
        XCTAssertEqual(r?.status, 200)
        XCTAssertEqual(r?.header("Connection"), "close")
        XCTAssertTrue(c.waitClosed(timeout: 2))

        let k = try client(s)
        k.send("GET /a HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
        XCTAssertEqual(k.readResponse()?.header("Connection"), "keep-alive")
        k.send("GET /b HTTP/1.0\r\n\r\n")
        XCTAssertEqual(k.readResponse()?.header("X-Path"), "/b")
        XCTAssertTrue(k.waitClosed(timeout: 2))
    }

    func testConnectionCloseFromClientAndHandler() throws {
        let s = try startServer(handler: { req in
            var r = HTTPResponse.json(200, "{}")
            if req.path == "/bye" { r.headers.add("Connection", "close") }
            return r
        })
        let c = try client(s)
        c.send("GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(c.readResponse()?.header("Connection"), "close")
        XCTAssertTrue(c.waitClosed(timeout: 2))
        let d = try client(s)
        d.send("GET /bye HTTP/1.1\r\nHost: t\r\n\r\n")
        let r = d.readResponse()
        XCTAssertEqual(r?.header("Content-Type"), "application/json")
        XCTAssertEqual(r?.header("Connection"), "close")
        XCTAssertTrue(d.waitClosed(timeout: 2))
    }

    // MARK: Limits and hostile clients

    func testLargeHeaderGets431() throws {
        let s = try startServer()
        let c = try client(s)
        c.send("GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + String(repeating: "a", count: 20 * 1024) + "\r\n\r\n")
        assertErrorAndClose(c, 431)
    }

    func testTooManyHeadersGets431() throws {
        let s = try startServer()
        let c = try client(s)
        var req = "GET / HTTP/1.1\r\nHost: t\r\n"
        for i in 0..<200 { req += "X-H\(i): v\r\n" }
        c.send(req + "\r\n")
        assertErrorAndClose(c, 431)
    }

    func testDeclaredBodyTooLargeGets413() throws {
        let s = try startServer { $0.maxBodyBytes = 1000 }
        let c = try client(s)
        c.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n")
        assertErrorAndClose(c, 413)
    }

    func testChunkedBodyTooLargeGets413() throws {
        let s = try startServer { $0.maxBodyBytes = 1000 }
        let c = try client(s)
        c.send("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
        for _ in 0..<20 { c.send("64\r\n" + String(repeating: "z", count: 100) + "\r\n") }
        assertErrorAndClose(c, 413)
    }

    func testHostileFramingOverTheWire() throws {
        let s = try startServer()
        let cases: [(String, Int)] = [
            ("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", 400),
            ("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400),
            ("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: br\r\n\r\n", 501),
            ("GET / HTTP/3.0\r\n\r\n", 505),
        ]
        for (text, status) in cases {
            let c = try client(s)
            c.send(text)
            assertErrorAndClose(c, status)
        }
    }

    func testEndlessHeadersAreCutOffWith431() throws {
        let s = try startServer()
        let c = try client(s)
        let fd = c.fd
        let stopFlag = Flag()
        // The writer must be joined before `c` closes its descriptor, or it could write into
        // a later test's socket that reuses the number.
        let writer = spawn {
            _ = "GET / HTTP/1.1\r\nHost: t\r\n".withCString { send(fd, $0, 16, Int32(MSG_NOSIGNAL)) }
            let line = Array(("X-Endless: " + String(repeating: "e", count: 50) + "\r\n").utf8)
            // Keep sending until the server stops taking bytes (closed / reset / send timeout).
            for _ in 0..<100_000 where !stopFlag.isSet {
                if line.withUnsafeBytes({ send(fd, $0.baseAddress, line.count, Int32(MSG_NOSIGNAL)) }) <= 0 { break }
            }
        }
        let started = Date()
        let r = c.readResponse(timeout: 5)
        XCTAssertEqual(r?.status, 431)
        XCTAssertLessThan(Date().timeIntervalSince(started), 3)
        XCTAssertTrue(c.waitClosed(timeout: 5))
        stopFlag.set()
        writer.wait()
    }

    /// 50 clients each try to push up to 4 MB of header lines without ever ending the head.
    /// Every one gets 431, and the server's resident memory grows by far less than the bytes
    /// it accepted (it reads them, then stops buffering at `maxHeaderBytes`).
    func testManyEndlessHeaderStreamsKeepMemoryBounded() throws {
        let s = try startServer()
        let clients = try (0..<50).map { _ in try client(s) }
        let before = residentBytes()
        let fds = clients.map(\.fd)
        let total = Counter()
        let writers = (0..<2).map { part in
            spawn {
                let line = Array(("X-Flood: " + String(repeating: "f", count: 1000) + "\r\n").utf8)
                let mine = fds.enumerated().filter { $0.offset % 2 == part }.map(\.element)
                for fd in mine { _ = "GET / HTTP/1.1\r\nHost: t\r\n".withCString { send(fd, $0, 16, Int32(MSG_NOSIGNAL)) } }
                var alive = Set(mine)
                var sent = [Int32: Int]()
                while !alive.isEmpty {
                    for fd in alive {
                        let n = line.withUnsafeBytes { send(fd, $0.baseAddress, line.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
                        if n > 0 {
                            sent[fd, default: 0] += n
                            total.add(n)
                        }
                        if (n < 0 && errno != EAGAIN) || sent[fd, default: 0] >= 4 << 20 { alive.remove(fd) }
                    }
                }
            }
        }
        var statuses: [Int] = []
        for c in clients { statuses.append(c.readResponse(timeout: 10)?.status ?? -1) }
        for w in writers { w.wait() }
        let growth = residentBytes() - before
        XCTAssertEqual(statuses, Array(repeating: 431, count: clients.count))
        XCTAssertGreaterThan(total.value, 20 << 20, "the flood should have pushed real volume")
        XCTAssertLessThan(growth, total.value / 4, "resident memory grew by \(growth >> 10) KB")
        print("endless header flood: \(total.value >> 10) KB sent, RSS growth \(growth >> 10) KB")
    }

    func testTrickledHeadIsClosedAfterHeaderTimeout() throws {
        let s = try startServer { $0.headerTimeout = 0.5 }
        let c = try client(s)
        let fd = c.fd
        let stopFlag = Flag()
        let started = Date()
        let trickler = spawn {
            let bytes = Array("GET / HTTP/1.1\r\nHost: t\r\nX-Slow: abcdefghijklmnopqrstuvwxyz0123456789\r\n".utf8)
            for b in bytes {
                if stopFlag.isSet { return }
                var v = b
                if send(fd, &v, 1, Int32(MSG_NOSIGNAL)) <= 0 { return }
                usleep(30_000)
            }
        }
        let r = c.readResponse(timeout: 3)
        let elapsed = Date().timeIntervalSince(started)
        stopFlag.set()
        XCTAssertEqual(r?.status, 408)
        XCTAssertGreaterThan(elapsed, 0.4)
        XCTAssertLessThan(elapsed, 1.5)
        XCTAssertTrue(c.waitClosed(timeout: 3))
        trickler.wait()
    }

    func testSlowBodyGets408AfterBodyTimeout() throws {
        let s = try startServer { $0.bodyTimeout = 0.4 }
        let c = try client(s)
        let started = Date()
        c.send("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nhalf")
        assertErrorAndClose(c, 408)
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.5)
    }

    func testClientVanishingMidResponseDoesNotHurtServer() throws {
        let big = [UInt8](repeating: 0x41, count: 8 << 20)
        let s = try startServer(handler: { req in
            req.path == "/big" ? HTTPResponse(status: 200, body: big) : HTTPResponse.json(200, "{\"ok\":true}")
        })
        for _ in 0..<5 {
            let c = try client(s)
            c.send("GET /big HTTP/1.1\r\nHost: t\r\n\r\n")
            var buf = [UInt8](repeating: 0, count: 1024)
            _ = recv(c.fd, &buf, buf.count, 0)
            var lin = linger(l_onoff: 1, l_linger: 0)  // close with a reset
            setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lin, socklen_t(MemoryLayout<linger>.size))
        }
        usleep(100_000)
        let c = try client(s)
        c.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(c.readResponse()?.text, "{\"ok\":true}")
    }

    func testMaxConnectionsLeavesExtraClientsInBacklog() throws {
        let s = try startServer { $0.maxConnections = 2 }
        let a = try client(s), b = try client(s)
        a.send("GET /a HTTP/1.1\r\nHost: t\r\n\r\n")
        b.send("GET /b HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(a.readResponse()?.status, 200)
        XCTAssertEqual(b.readResponse()?.status, 200)
        let extra = try client(s)  // the kernel completes the handshake; the server does not accept yet
        extra.send("GET /extra HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertNil(extra.readResponse(timeout: 0.3))
        XCTAssertFalse(extra.sawClose)
        a.send("GET /bye HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(a.readResponse()?.status, 200)
        XCTAssertEqual(extra.readResponse(timeout: 3)?.header("X-Path"), "/extra")
    }

    /// One client (127.0.0.1) holds its limit of connections with heads that never end (slowloris); each further
    /// connection of it gets 503 with Retry-After and is closed at once, while another client (127.0.0.2) is
    /// answered at once. When one of the first client's connections closes, it may open another.
    func testPerClientConnectionLimit() throws {
        let limit = 8
        let s = try startServer { $0.maxConnectionsPerClient = limit }
        var held: [RawClient] = []
        for i in 0..<limit {
            let c = try client(s)
            XCTAssertTrue(c.send("GET /slow-\(i) HTTP/1.1\r\nHost: t\r\nX-Trickle: "))
            held.append(c)
        }
        usleep(100_000)  // the server has accepted them all
        let started = Date()
        var answered = 0
        for i in 0..<20 {
            let extra = try client(s)
            extra.send("GET /extra-\(i) HTTP/1.1\r\nHost: t\r\n\r\n")
            let r = extra.readResponse(timeout: 2)
            if let r {
                answered += 1
                XCTAssertEqual(r.status, 503, r.text)
                XCTAssertEqual(r.header("Retry-After"), "1")
                XCTAssertEqual(r.header("Connection"), "close")
                XCTAssertEqual(r.errorCode, "too_many_connections")
                XCTAssertTrue(r.text.contains("127.0.0.1 already holds \(limit) connections"), r.text)
            }
            XCTAssertTrue(extra.waitClosed(timeout: 2), "extra connection \(i) was not closed")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 5, "refusing 20 extra connections took long")
        XCTAssertGreaterThan(answered, 0, "no refused connection could read its 503")
        print("per-client limit: \(answered) of 20 refused connections read the 503 before the close")
        let other = try XCTUnwrap(RawClient(port: s.port, source: "127.0.0.2"), "cannot connect from 127.0.0.2")
        let quick = Date()
        XCTAssertTrue(other.send("GET /other HTTP/1.1\r\nHost: t\r\n\r\n"))
        XCTAssertEqual(other.readResponse(timeout: 2)?.header("X-Path"), "/other")
        XCTAssertLessThan(Date().timeIntervalSince(quick), 1, "the other client waited behind the slowloris")
        // A slot freed by the first client is its own again.
        held.removeFirst()
        usleep(200_000)
        let again = try client(s)
        again.send("GET /again HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(again.readResponse(timeout: 2)?.header("X-Path"), "/again")
        XCTAssertEqual(held.count, limit - 1)
    }

    func testIdleKeepAliveConnectionIsClosed() throws {
        let s = try startServer { $0.idleTimeout = 0.4 }
        let c = try client(s)
        c.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(c.readResponse()?.status, 200)
        let started = Date()
        XCTAssertTrue(c.waitClosed(timeout: 3))
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertGreaterThan(elapsed, 0.3)
        XCTAssertLessThan(elapsed, 1.5)
        XCTAssertEqual(c.pendingBytes, 0)  // closed silently, no 408 for an idle connection
    }

    func testSlowHandlerDoesNotStallOtherConnections() throws {
        let s = try startServer()
        let slow = try client(s)
        slow.send("GET /slow?ms=1500 HTTP/1.1\r\nHost: t\r\n\r\n")
        usleep(50_000)
        let started = Date()
        for i in 0..<5 {
            let c = try client(s)
            c.send("GET /fast\(i) HTTP/1.1\r\nHost: t\r\n\r\n")
            XCTAssertEqual(c.readResponse()?.header("X-Path"), "/fast\(i)")
        }
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.0)
        XCTAssertEqual(slow.readResponse(timeout: 5)?.header("X-Path"), "/slow")
    }

    func testRandomBytesGetErrorsOrCloseAndServerSurvives() throws {
        let s = try startServer { $0.headerTimeout = 1 }
        var rng = SplitMix(seed: 2024)
        let valid = Array("POST /fuzz?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nX-A: b\r\n\r\nbody".utf8)
        var outcomes: [String: Int] = [:]
        for i in 0..<300 {
            var bytes: [UInt8]
            if i % 2 == 0 {
                bytes = (0..<(1 + Int(rng.next() % 600))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            } else {
                bytes = valid
                for _ in 0..<(1 + Int(rng.next() % 4)) {
                    bytes[Int(rng.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: rng.next())
                }
            }
            let c = try client(s)
            c.send(bytes)
            c.shutdownWrite()
            if let r = c.readResponse(timeout: 3) {
                let ok = (400...599).contains(r.status) || (i % 2 == 1 && r.status == 200)
                XCTAssertTrue(ok, "case \(i): unexpected status \(r.status)")
                outcomes["\(r.status)", default: 0] += 1
            } else {
                XCTAssertTrue(c.sawClose, "case \(i): neither a response nor a close")
                outcomes["closed", default: 0] += 1
            }
        }
        XCTAssertGreaterThan(outcomes["400", default: 0], 10)
        let c = try client(s)
        c.send("GET /still-alive HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(c.readResponse()?.header("X-Path"), "/still-alive")
    }

    // MARK: Scale, errors, lifecycle

    func testFiveHundredConcurrentConnections() throws {
        var lim = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim)
        if lim.rlim_cur < 2048 {
            lim.rlim_cur = min(4096, lim.rlim_max)
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim)
        }
        let s = try startServer { $0.maxConnectionsPerClient = 1024 }  // all 500 come from this one client
        let n = 500
        var clients: [RawClient] = []
        for _ in 0..<n { clients.append(try client(s)) }
        let started = Date()
        for (i, c) in clients.enumerated() {
            XCTAssertTrue(c.send("GET /slow?ms=20&i=\(i) HTTP/1.1\r\nHost: t\r\n\r\n"))
        }
        var ok = 0
        for c in clients where c.readResponse(timeout: 20)?.status == 200 { ok += 1 }
        XCTAssertEqual(ok, n)
        // 500 × 20 ms handlers on 32 workers take ~0.3 s; a serial server would need 10 s.
        XCTAssertLessThan(Date().timeIntervalSince(started), 3)
    }

    func testAddressInUse() throws {
        let s = try startServer()
        var config = HTTPServer.Configuration()
        config.port = s.port
        let other = HTTPServer(configuration: config, handler: HTTPServerTests.echo)
        XCTAssertThrowsError(try other.start()) { error in
            XCTAssertEqual(error as? HTTPServerError, .addressInUse(host: "127.0.0.1", port: s.port))
        }
        other.stop()
    }

    func testUnresolvableHost() {
        var config = HTTPServer.Configuration()
        config.host = "no-such-host.invalid"
        let server = HTTPServer(configuration: config, handler: HTTPServerTests.echo)
        XCTAssertThrowsError(try server.start()) { error in
            guard case .cannotResolve = error as? HTTPServerError else { return XCTFail("\(error)") }
        }
    }

    func testIPv6AndLocalhost() throws {
        for host in ["::1", "localhost"] {
            let server: HTTPServer
            do {
                server = try startServer { $0.host = host }
            } catch {
                if host == "::1" { continue }  // no IPv6 on this machine
                throw error
            }
            let c = try XCTUnwrap(RawClient(port: server.port, host: host))
            c.send("GET /v6 HTTP/1.1\r\nHost: t\r\n\r\n")
            let r = c.readResponse()
            XCTAssertEqual(r?.status, 200, host)
            if host == "::1" { XCTAssertTrue(r?.header("X-Remote")?.hasPrefix("[::1]:") ?? false) }
        }
    }

    func testStopWithOpenConnectionsIsPrompt() throws {
        let s = try startServer()
        var clients: [RawClient] = []
        for _ in 0..<20 { clients.append(try client(s)) }
        clients[0].send("GET /slow?ms=3000 HTTP/1.1\r\nHost: t\r\n\r\n")  // in-flight handler
        clients[1].send("GET / HTTP/1.1\r\nHost: t\r\nX-Partial")            // half a request
        clients[2].send("GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(clients[2].readResponse()?.status, 200)   // idle keep-alive afterwards
        usleep(100_000)
        let started = Date()
        s.stop()
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.0)
        for c in clients { XCTAssertTrue(c.waitClosed(timeout: 1)) }
        s.stop()  // idempotent
        XCTAssertNil(RawClient(port: s.port), "listener still open after stop()")
    }
}
