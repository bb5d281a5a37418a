import Foundation
import XCTest
@testable import OtterClient
#if canImport(Glibc)
import Glibc
#endif

final class HTTPClientTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        // libcurl honours proxy variables; loopback test traffic must never go to a proxy.
        // Set once, before any transfer of this class runs (setenv is not safe against concurrent getenv).
        setenv("no_proxy", "127.0.0.1,localhost", 1)
    }

    private func makeServer(_ handler: @escaping @Sendable (ReceivedRequest) -> ScriptedAction) throws -> ScriptedServer {
        let server = try ScriptedServer(handler)
        addTeardownBlock { server.stop() }
        return server
    }

    private func success(_ result: Result<ClientResponse, ClientError>, file: StaticString = #filePath,
                         line: UInt = #line) throws -> ClientResponse {
        switch result {
        case .success(let response): return response
        case .failure(let error):
            XCTFail("unexpected error: \(error)", file: file, line: line)
            throw error
        }
    }

    private func failure(_ result: Result<ClientResponse, ClientError>, file: StaticString = #filePath,
                         line: UInt = #line) -> ClientError? {
        switch result {
        case .success(let response):
            XCTFail("unexpected response \(response.status)", file: file, line: line)
            return nil
        case .failure(let error): return error
        }
    }

    // MARK: - Round trips

    func testGetRoundTripWithCustomHeaders() throws {
        let server = try makeServer { _ in
            .respond(ScriptedServer.response(status: 200, headers: [("X-Reply", "yes"), ("Content-Type", "text/plain")],
                                             body: "hello"))
        }
        let client = HTTPClient()
        let response = try success(client.send(ClientRequest(
            url: server.baseURL + "/path?q=1",
            headers: [("X-Otter-Test", "abc 123"), ("Authorization", "Bearer t0k3n")])))

        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.body, Array("hello".utf8))
        XCTAssertEqual(response.header("x-reply"), "yes")
        XCTAssertEqual(response.header("Content-Type"), "text/plain")
        XCTAssertEqual(response.httpVersion, .http1_1)
        XCTAssertEqual(response.effectiveURL, server.baseURL + "/path?q=1")
        XCTAssertGreaterThan(response.timings.total, 0)
        XCTAssertGreaterThanOrEqual(response.timings.total, response.timings.firstByte)
        XCTAssertGreaterThanOrEqual(response.timings.firstByte, response.timings.connect)

        let received = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(received.method, "GET")
        XCTAssertEqual(received.target, "/path?q=1")
        XCTAssertEqual(received.header("X-Otter-Test"), "abc 123")
        XCTAssertEqual(received.header("Authorization"), "Bearer t0k3n")
        XCTAssertEqual(received.header("User-Agent"), "otter-cert")
        XCTAssertNil(received.header("Expect"))
        XCTAssertEqual(received.body, [])
    }

    func testPostSendsExactBodyBytes() throws {
        let server = try makeServer { request in
            .respond(ScriptedServer.response(status: 201, reason: "Created", body: request.body))
        }
        // Every byte value, including NUL and CR/LF, and large enough that libcurl would normally use Expect.
        var body = [UInt8]((0...255).map { UInt8($0) })
        body += [UInt8](repeating: 0x41, count: 200_000)
        let client = HTTPClient()
        let response = try success(client.send(ClientRequest(
            method: "POST", url: server.baseURL + "/submit",
            headers: [("Content-Type", "application/octet-stream"), ("X-Signature", "sha256=abc")],
            body: body)))

        XCTAssertEqual(response.status, 201)
        XCTAssertEqual(response.body, body)
        let received = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(received.method, "POST")
        XCTAssertEqual(received.body, body)
        XCTAssertEqual(received.header("Content-Length"), String(body.count))
        XCTAssertEqual(received.header("Content-Type"), "application/octet-stream")
        XCTAssertEqual(received.header("X-Signature"), "sha256=abc")
        XCTAssertNil(received.header("Expect"), "libcurl's Expect: 100-continue must be suppressed")
    }

    func testOtherMethodsAndEmptyBodies() throws {
        let server = try makeServer { request in
            .respond(ScriptedServer.response(status: 200, body: request.method == "HEAD" ? [] : Array(request.method.utf8)))
        }
        let client = HTTPClient()
        for method in ["PUT", "PATCH", "DELETE", "OPTIONS"] {
            let response = try success(client.send(ClientRequest(method: method, url: server.baseURL + "/x",
                                                                 body: Array("{\"m\":1}".utf8))))
            XCTAssertEqual(String(decoding: response.body, as: UTF8.self), method)
        }
        let emptyPost = try success(client.send(ClientRequest(method: "POST", url: server.baseURL + "/empty")))
        XCTAssertEqual(emptyPost.status, 200)
        let head = try success(client.send(ClientRequest(method: "HEAD", url: server.baseURL + "/head")))
        XCTAssertEqual(head.status, 200)
        XCTAssertEqual(head.body, [])

        let received = server.requests
        XCTAssertEqual(received.map(\.method), ["PUT", "PATCH", "DELETE", "OPTIONS", "POST", "HEAD"])
        for request in received.prefix(4) { XCTAssertEqual(request.body, Array("{\"m\":1}".utf8)) }
        XCTAssertEqual(received[4].header("Content-Length"), "0")
        XCTAssertEqual(received[4].body, [])
    }

    func testHeaderWithEmptyValueIsSent() throws {
        let server = try makeServer { _ in .respond(ScriptedServer.response(status: 204, reason: "No Content")) }
        let response = try success(HTTPClient().send(ClientRequest(url: server.baseURL, headers: [("X-Empty", "")])))
        XCTAssertEqual(response.status, 204)
        let received = try XCTUnwrap(server.requests.first)
        XCTAssertEqual(received.header("X-Empty"), "")
    }

    func testHeaderInjectionIsRejected() {
        let result = HTTPClient().send(ClientRequest(url: "http://127.0.0.1:9/", headers: [("X-Bad", "a\r\nInjected: 1")]))
        guard case .other(_, let message)? = failure(result) else { return XCTFail("expected .other") }
        XCTAssertTrue(message.contains("invalid request header"), message)
    }

    // MARK: - Responses that are not errors

    func testServerErrorIsAResponse() throws {
        let server = try makeServer { _ in
            .respond(ScriptedServer.response(status: 503, reason: "Service Unavailable",
                                             headers: [("Retry-After", "7"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")],
                                             body: "busy"))
        }
        let response = try success(HTTPClient().send(ClientRequest(url: server.baseURL + "/")))
        XCTAssertEqual(response.status, 503)
        XCTAssertEqual(response.header("Retry-After"), "7")
        XCTAssertEqual(response.headerValues("set-cookie"), ["a=1", "b=2"])
        XCTAssertEqual(response.body, Array("busy".utf8))
        XCTAssertEqual(response.headers.map(\.name), ["Retry-After", "Set-Cookie", "Set-Cookie", "Content-Length"])
    }

    func testOnlyFinalResponseHeadersAreKeptAfterInterimResponse() throws {
        let server = try makeServer { _ in
            .respond(Array("HTTP/1.1 103 Early Hints\r\nLink: </style.css>; rel=preload\r\n\r\n".utf8)
                + ScriptedServer.response(status: 200, headers: [("X-Final", "1")], body: "ok"))
        }
        let response = try success(HTTPClient().send(ClientRequest(url: server.baseURL + "/")))
        XCTAssertEqual(response.status, 200)
        XCTAssertNil(response.header("Link"))
        XCTAssertEqual(response.header("X-Final"), "1")
        XCTAssertEqual(response.body, Array("ok".utf8))
    }

    func testRedirectsAreReturnedOrFollowed() throws {
        let server = try makeServer { request in
            if request.target == "/old" {
                return .respond(ScriptedServer.response(status: 302, reason: "Found",
                                                        headers: [("Location", "/new"), ("X-Hop", "1")]))
            }
            return .respond(ScriptedServer.response(status: 200, headers: [("X-Landed", "yes")], body: "new"))
        }
        let plain = try success(HTTPClient().send(ClientRequest(url: server.baseURL + "/old")))
        XCTAssertEqual(plain.status, 302)
        XCTAssertEqual(plain.header("Location"), "/new")

        let following = HTTPClient(configuration: ClientConfiguration(followRedirects: true))
        let followed = try success(following.send(ClientRequest(url: server.baseURL + "/old")))
        XCTAssertEqual(followed.status, 200)
        XCTAssertEqual(followed.effectiveURL, server.baseURL + "/new")
        XCTAssertNil(followed.header("X-Hop"))
        XCTAssertEqual(followed.header("X-Landed"), "yes")
    }

    // MARK: - Connections

    func testConnectionIsReused() throws {
        let server = try makeServer { _ in .respond(ScriptedServer.response(status: 200, body: "x")) }
        let client = HTTPClient()
        let first = try success(client.send(ClientRequest(url: server.baseURL + "/1")))
        let second = try success(client.send(ClientRequest(method: "POST", url: server.baseURL + "/2", body: [1, 2, 3])))
        XCTAssertEqual(first.newConnections, 1)
        XCTAssertEqual(second.newConnections, 0)
        XCTAssertEqual(second.timings.connect, 0)
        XCTAssertEqual(server.connectionCount, 1)
        XCTAssertEqual(server.requests.map(\.connection), [0, 0])
    }

    func testConcurrentSendsFromManyThreads() throws {
        let server = try makeServer { request in
            .delay(0.05, ScriptedServer.response(status: 200, body: request.target))
        }
        let client = HTTPClient()
        let count = 12
        let results = LockedBox<[Int: String]>([:])
        DispatchQueue.concurrentPerform(iterations: count) { i in
            if case .success(let response) = client.send(ClientRequest(url: server.baseURL + "/r\(i)")) {
                results.mutate { $0[i] = String(decoding: response.body, as: UTF8.self) }
            }
        }
        let got = results.value
        XCTAssertEqual(got.count, count)
        for i in 0..<count { XCTAssertEqual(got[i], "/r\(i)") }
    }

    func testDelayedResponseWithinTimeout() throws {
        let server = try makeServer { _ in .delay(0.2, ScriptedServer.response(status: 200, body: "late")) }
        let response = try success(HTTPClient().send(ClientRequest(url: server.baseURL + "/", timeout: 5)))
        XCTAssertEqual(response.body, Array("late".utf8))
        XCTAssertGreaterThanOrEqual(response.timings.firstByte, 0.15)
    }

    // MARK: - Errors

    func testTimeoutAgainstServerThatNeverAnswers() throws {
        let server = try makeServer { _ in .hang }
        let start = Date()
        let result = HTTPClient().send(ClientRequest(url: server.baseURL + "/", timeout: 0.3))
        let elapsed = Date().timeIntervalSince(start)
        guard case .timeout(let message)? = failure(result) else { return XCTFail("expected .timeout, got \(result)") }
        XCTAssertFalse(message.isEmpty)
        XCTAssertGreaterThanOrEqual(elapsed, 0.25)
        XCTAssertLessThan(elapsed, 2.0)
    }

    /// A caller that must stop (Ctrl-C) abandons a transfer the server never answers, long before its timeout; the
    /// same client then sends the next request normally.
    func testCancellingAbortsATransferThatIsWaitingForAnAnswer() throws {
        let server = try makeServer { r in r.target == "/hang" ? .hang : .respond(ScriptedServer.response(status: 200, body: "ok")) }
        let client = HTTPClient()
        let start = Date()
        let cancelAt = start.addingTimeInterval(0.5)
        let result = client.send(ClientRequest(url: server.baseURL + "/hang", timeout: 30, isCancelled: { Date() >= cancelAt }))
        let elapsed = Date().timeIntervalSince(start)
        guard case .aborted(let message)? = failure(result) else { return XCTFail("expected .aborted, got \(result)") }
        XCTAssertTrue(message.contains("cancelled"), message)
        XCTAssertGreaterThanOrEqual(elapsed, 0.45)
        XCTAssertLessThan(elapsed, 1.0, "aborted within a fraction of a second of the cancellation, not at the 30 s timeout")
        XCTAssertEqual(try success(client.send(ClientRequest(url: server.baseURL + "/next", timeout: 5, isCancelled: { false }))).status, 200)
        guard case .aborted? = failure(client.send(ClientRequest(url: server.baseURL + "/next", isCancelled: { true }))) else {
            return XCTFail("a request cancelled before it starts is not sent")
        }
        XCTAssertEqual(server.requests.map(\.target), ["/hang", "/next"])
    }

    func testConnectionRefused() throws {
        let port = try closedPort()
        let result = HTTPClient().send(ClientRequest(url: "http://127.0.0.1:\(port)/", timeout: 5))
        guard case .connectionRefused(let message)? = failure(result) else {
            return XCTFail("expected .connectionRefused, got \(result)")
        }
        XCTAssertFalse(message.isEmpty)
    }

    func testDNSFailure() {
        let result = HTTPClient().send(ClientRequest(url: "http://nonexistent.invalid/", timeout: 5))
        guard case .dns(let message)? = failure(result) else { return XCTFail("expected .dns, got \(result)") }
        XCTAssertTrue(message.contains("nonexistent.invalid"), message)
    }

    func testTLSAgainstPlainTCPServer() throws {
        let server = try ScriptedServer(mode: .raw(Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".utf8)))
        addTeardownBlock { server.stop() }
        let result = HTTPClient().send(ClientRequest(url: "https://127.0.0.1:\(server.port)/", timeout: 5))
        switch failure(result) {
        case .tls(let message)?:
            XCTAssertFalse(message.isEmpty)
        case .other(let code, let message)?:
            // Acceptable only if libcurl reports it as a protocol-level failure with a message.
            XCTAssertNotEqual(code, 0)
            XCTAssertFalse(message.isEmpty)
        default:
            XCTFail("expected .tls, got \(result)")
        }
    }

    func testUnreadableCAFileIsATLSError() throws {
        let server = try ScriptedServer(mode: .raw([]))
        addTeardownBlock { server.stop() }
        let client = HTTPClient(configuration: ClientConfiguration(caFile: "/nonexistent/otter-ca.pem"))
        let result = client.send(ClientRequest(url: "https://127.0.0.1:\(server.port)/", timeout: 5))
        guard case .tls(let message)? = failure(result) else { return XCTFail("expected .tls, got \(result)") }
        XCTAssertFalse(message.isEmpty)
    }

    func testServerClosingEarlyIsAnError() throws {
        let server = try makeServer { _ in .respondAndClose([]) }
        let result = HTTPClient().send(ClientRequest(url: server.baseURL + "/", timeout: 5))
        guard case .other(let code, let message)? = failure(result) else { return XCTFail("expected .other, got \(result)") }
        XCTAssertEqual(code, 52) // CURLE_GOT_NOTHING
        XCTAssertFalse(message.isEmpty)
    }

    func testTruncatedBodyIsAnError() throws {
        let server = try makeServer { _ in
            .respondAndClose(Array("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly a few".utf8))
        }
        let result = HTTPClient().send(ClientRequest(url: server.baseURL + "/", timeout: 5))
        guard case .other(let code, let message)? = failure(result) else { return XCTFail("expected .other, got \(result)") }
        XCTAssertEqual(code, 18) // CURLE_PARTIAL_FILE
        XCTAssertFalse(message.isEmpty)
    }

    func testResponseBodyCap() throws {
        let server = try makeServer { request in
            let size = request.target == "/big" ? 4097 : 4096
            return .respond(ScriptedServer.response(status: 200, body: [UInt8](repeating: 0x62, count: size)))
        }
        let client = HTTPClient(configuration: ClientConfiguration(maxResponseBodyBytes: 4096))
        let atLimit = try success(client.send(ClientRequest(url: server.baseURL + "/fits")))
        XCTAssertEqual(atLimit.body.count, 4096)

        let result = client.send(ClientRequest(url: server.baseURL + "/big"))
        guard case .other(_, let message)? = failure(result) else { return XCTFail("expected .other, got \(result)") }
        XCTAssertTrue(message.contains("response body too large"), message)

        // The handle is still usable afterwards.
        XCTAssertEqual(try success(client.send(ClientRequest(url: server.baseURL + "/again"))).body.count, 4096)
    }

    func testDefaultBodyCapIsEightMiB() throws {
        let limit = 8 * 1024 * 1024
        XCTAssertEqual(ClientConfiguration().maxResponseBodyBytes, limit)
        let server = try makeServer { _ in
            .respond(ScriptedServer.response(status: 200, body: [UInt8](repeating: 0x7a, count: limit + 1)))
        }
        let result = HTTPClient().send(ClientRequest(url: server.baseURL + "/huge"))
        guard case .other(_, let message)? = failure(result) else { return XCTFail("expected .other, got \(result)") }
        XCTAssertTrue(message.contains("response body too large"), message)
    }

    func testErrorDescriptions() {
        XCTAssertEqual(ClientError.timeout("x").message, "x")
        XCTAssertTrue(ClientError.other(code: 52, message: "Empty reply").description.contains("52"))
        XCTAssertEqual(ClientError.dns("a"), ClientError.dns("a"))
        XCTAssertNotEqual(ClientError.dns("a"), ClientError.tls("a"))
    }

    // MARK: - Helpers

    /// A loopback port with nothing listening: bound and released, never listened on.
    private func closedPort() throws -> UInt16 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EIO) }
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, len) == 0 && getsockname(fd, $0, &len) == 0
            }
        }
        guard ok else { throw POSIXError(.EIO) }
        return UInt16(bigEndian: addr.sin_port)
    }
}

final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var _value: Value
    init(_ value: Value) { _value = value }
    var value: Value { lock.withLock { _value } }
    func mutate(_ body: (inout Value) -> Void) { lock.withLock { body(&_value) } }
}
