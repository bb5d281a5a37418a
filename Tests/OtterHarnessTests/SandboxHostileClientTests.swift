import Foundation
import OtterClient
import OtterCore
import OtterHarness
import OtterHTTP
import XCTest
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The acceptance test "the sandbox survives a hostile-client test": oversized headers, endless headers,
/// bad chunk sizes, a slow trickle, random bytes and 500 concurrent connections against ONE running
/// `OtterSandbox` (built as `otter-cert run` builds it, via `SandboxRig`), over real loopback sockets.
///
/// The tests share the sandbox and run in name order (`test1_…` … `test9_…`); `test9` checks that the
/// sandbox still issues a token and answers a valid callback afterwards, and that resident memory
/// (VmRSS, measured when the shared sandbox started) grew by less than 100 MB. Every test also runs alone.
///
/// Logging: the parser rejects malformed requests (400/413/431/408) before the sandbox's handler sees
/// them, so they are NOT logged; every exchange that reached the handler (e.g. a 401 for a callback
/// without a token) is logged as exactly one parseable line, except that identical unauthenticated
/// requests beyond three are counted in `repeats` lines. Each test checks the log accounts for exactly
/// the number of handler answers its client received (lines plus counts), and that every line decodes.
final class SandboxHostileClientTests: XCTestCase {
    /// The one sandbox all tests attack, and VmRSS right after it started (and served one warm-up token).
    nonisolated(unsafe) private static let shared: (rig: SandboxRig, rssBefore: Int) = {
        raiseFileLimit()
        let rig = try! SandboxRig()
        _ = rig.token()  // warm-up: libcurl, the token path and the log are live before the baseline
        return (rig, residentKB())
    }()

    private var rig: SandboxRig { Self.shared.rig }
    private var port: Int { Int(rig.sandbox.baseURL.split(separator: ":").last!)! }

    /// Error codes the HTTP layer answers with by itself (the handler never runs, nothing is logged).
    private static let serverLayerCodes: Set<String> = ["bad_request", "request_header_fields_too_large", "content_too_large",
                                                        "not_implemented", "http_version_not_supported", "request_timeout"]

    // MARK: - Header limits

    func test1a_OversizedHeaderIs431() throws {
        let logBefore = logCount()
        let c = try connect()
        XCTAssertTrue(c.send("POST /v1/delivery/x/quotes HTTP/1.1\r\nHost: sandbox\r\nX-Big: \(String(repeating: "b", count: 20 * 1024))\r\n\r\n"))
        assertServerError(c, 431, code: "request_header_fields_too_large")
        XCTAssertEqual(logCount(), logBefore, "a request refused by the parser never reaches the handler's log")
    }

    func test1b_TwoHundredHeadersIs431() throws {
        let logBefore = logCount()
        let c = try connect()
        var head = "POST /v1/delivery/x/quotes HTTP/1.1\r\nHost: sandbox\r\n"
        for i in 0..<200 { head += "X-Many-\(i): v\(i)\r\n" }
        XCTAssertTrue(c.send(head + "\r\n"))
        assertServerError(c, 431, code: "request_header_fields_too_large", message: "more than 100 header fields")
        XCTAssertEqual(logCount(), logBefore)
    }

    /// Header lines without end: the client keeps sending (pacing itself by 1 ms polls) until the server
    /// answers or closes. The answer is 431 once the head passes 16 KiB, long before the client has sent 256 KiB.
    func test1c_EndlessHeaderLinesAre431() throws {
        let logBefore = logCount()
        let c = try connect()
        XCTAssertTrue(c.send("POST /v1/delivery/x/quotes HTTP/1.1\r\nHost: sandbox\r\n"))
        let bound = 256 * 1024
        var sent = 0
        var i = 0
        var serverSpoke = false
        while sent < bound {
            let line = "X-Endless-\(String(format: "%06d", i)): \(String(repeating: "e", count: 180))\r\n"
            if !c.send(line) { serverSpoke = true; break }  // reset / closed
            sent += line.utf8.count
            i += 1
            if c.readable(timeoutMs: 1) { serverSpoke = true; break }
        }
        XCTAssertTrue(serverSpoke, "the server neither answered nor closed after \(sent) bytes of header lines")
        XCTAssertLessThan(sent, bound)
        assertServerError(c, 431, code: "request_header_fields_too_large")
        XCTAssertEqual(logCount(), logBefore)
        print("endless header lines: 431 after \(i) lines / \(sent) bytes sent")
    }

    // MARK: - Chunked framing

    func test2a_ChunkSizeZZIs400() throws {
        let logBefore = logCount()
        let c = try connect()
        XCTAssertTrue(c.send(chunkedHead() + "zz\r\nhello\r\n0\r\n\r\n"))
        assertServerError(c, 400, code: "bad_request", message: "invalid chunk size")
        XCTAssertEqual(logCount(), logBefore)
    }

    /// 0x100000000 = 4 GiB: representable, but far beyond the 1 MiB body limit. (A size that overflows
    /// Int, like 20 hex digits, is a 400 "chunk size overflows" instead.)
    func test2b_HugeChunkSizeIs413() throws {
        let logBefore = logCount()
        let c = try connect()
        XCTAssertTrue(c.send(chunkedHead() + "100000000\r\n" + String(repeating: "x", count: 1000)))
        assertServerError(c, 413, code: "content_too_large")
        XCTAssertEqual(logCount(), logBefore)
    }

    // MARK: - Slow trickle

    /// One byte every 100 ms of a head that never ends. The sandbox does not set the server's header
    /// timeout, so it is `HTTPServer.Configuration()`'s default (10 s), counted from the first byte:
    /// the client must get 408 (or a close) after that, and within timeout + 2 s. Meanwhile other
    /// clients are served at once.
    func test3_SlowTrickleIsCutOffAtTheHeaderTimeout() throws {
        let timeout = HTTPServer.Configuration().headerTimeout
        let logBefore = logCount()
        let c = try connect()
        let fd = c.fd
        let stop = Flag()
        let sentBytes = Counter()
        let head = Array(("POST /v1/delivery/x/quotes HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\n"
            + "X-Trickle: " + String(repeating: "t", count: 400) + "\r\n\r\n").utf8)
        let started = Date()
        // Joined before `c` closes its descriptor, so it never writes into a reused fd number.
        let trickler = spawn {
            for b in head {
                if stop.isSet { return }
                var v = b
                if Glibc.send(fd, &v, 1, Int32(MSG_NOSIGNAL)) <= 0 { return }
                sentBytes.add(1)
                usleep(100_000)
            }
        }
        // A trickling client occupies nothing but its own connection.
        Thread.sleep(forTimeInterval: 0.5)
        let other = try connect()
        let quick = Date()
        XCTAssertTrue(other.send("POST /v1/delivery/x/quotes HTTP/1.1\r\nHost: sandbox\r\nContent-Length: 2\r\n\r\n{}"))
        XCTAssertEqual(other.readResponse(timeout: 3)?.status, 401)
        XCTAssertLessThan(Date().timeIntervalSince(quick), 1, "another client waited behind the trickler")

        let r = c.readResponse(timeout: timeout + 4)
        let elapsed = Date().timeIntervalSince(started)
        let closed = r == nil ? c.sawClose : c.waitClosed(timeout: 2)
        stop.set()
        trickler.wait()
        if let r {
            XCTAssertEqual(r.status, 408)
            XCTAssertEqual(r.errorCode, "request_timeout")
        }
        XCTAssertTrue(closed, "the trickling connection was not closed")
        XCTAssertGreaterThan(elapsed, timeout - 0.5, "cut off before the header timeout (\(elapsed) s)")
        XCTAssertLessThan(elapsed, timeout + 2, "not cut off within the header timeout + 2 s (\(elapsed) s)")
        XCTAssertLessThan(sentBytes.value, head.count, "the whole head got through")
        XCTAssertEqual(logCount(), logBefore + 1, "only the quick client's 401 reached the handler")
        print(String(format: "slow trickle: %@ after %.2f s (header timeout %.0f s), %d bytes trickled",
                     r.map { "\($0.status)" } ?? "closed", elapsed, timeout, sentBytes.value))
    }

    // MARK: - Random bytes

    /// 300 seeded inputs: pure random bytes, a valid request with 1–4 random byte changes, random printable
    /// lines ending the head, and a valid request line followed by random header lines. Each is sent, the
    /// write side shut, and every answer read until the server closes: each answer is 4xx, the connection
    /// always ends closed, and exactly the answers from the handler are logged.
    func test4_ThreeHundredRandomByteStringsGet4xxOrClose() throws {
        let logBefore = logCount()
        var rng = SplitMix(seed: 0x07_7E_12)
        let template = Array(("POST /v1/delivery/x/quotes HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + "X-Store-Id: partner-store-001\r\nContent-Length: 2\r\n\r\n{}").utf8)
        var outcomes: [String: Int] = [:]
        var handlerAnswers = 0
        var handlerStatuses: [Int] = []
        for i in 0..<300 {
            let bytes = Self.randomInput(i, &rng, template: template)
            let c = try connect()
            c.send(bytes)
            c.shutdownWrite()
            var answers = 0
            while let r = c.readResponse(timeout: 3) {
                answers += 1
                XCTAssertTrue((400..<500).contains(r.status), "input \(i): status \(r.status) \(r.text)")
                if let code = r.errorCode, Self.serverLayerCodes.contains(code) {
                    outcomes["\(r.status)", default: 0] += 1
                } else {
                    outcomes["\(r.status) handler", default: 0] += 1
                    handlerAnswers += 1
                    handlerStatuses.append(r.status)
                }
            }
            XCTAssertTrue(c.sawClose, "input \(i): neither an answer nor a close within 3 s")
            if answers == 0 { outcomes["closed", default: 0] += 1 }
        }
        XCTAssertEqual(logCount(), logBefore + handlerAnswers, "one log line (or count) per answer from the handler, none for parser errors")
        XCTAssertEqual(loggedStatuses(after: logBefore).sorted(), handlerStatuses.sorted())
        XCTAssertGreaterThan(outcomes["400", default: 0], 30, "\(outcomes)")
        XCTAssertGreaterThan(outcomes["closed", default: 0], 10, "\(outcomes)")
        XCTAssertGreaterThan(handlerAnswers, 0, "some mutated requests should still reach the handler: \(outcomes)")
        print("random inputs: \(outcomes.sorted { $0.key < $1.key }.map { "\($0.key)×\($0.value)" }.joined(separator: ", "))")
    }

    static func randomInput(_ i: Int, _ rng: inout SplitMix, template: [UInt8]) -> [UInt8] {
        switch i % 4 {
        case 0:
            return (0..<(1 + rng.below(600))).map { _ in rng.byte() }
        case 1:
            var b = template
            for _ in 0..<(1 + rng.below(4)) { b[rng.below(b.count)] = rng.byte() }
            return b
        case 2:
            var b: [UInt8] = []
            for _ in 0..<(1 + rng.below(6)) {
                b += (0..<rng.below(80)).map { _ in UInt8(0x20 + rng.below(0x5F)) }
                b += [13, 10]
            }
            return b + [13, 10]
        default:
            var b = Array("POST /v1/delivery/x/quotes HTTP/1.1\r\n".utf8)
            for _ in 0..<(1 + rng.below(5)) {
                b += (0..<(1 + rng.below(60))).map { _ in rng.below(8) == 0 ? rng.byte() : UInt8(0x21 + rng.below(0x5E)) }
                b += [13, 10]
            }
            return b + [13, 10]
        }
    }

    // MARK: - 500 concurrent connections

    /// 500 connections open at once from ten client addresses (127.0.0.10–19, 50 each: within the sandbox's 64
    /// per client), each sends a callback without a token; all get the sandbox's 401 JSON and stay open (keep-alive),
    /// so the process holds 500 client and 500 server sockets at the same time. One client then opens more than its
    /// 64: the extra connection is answered 503 at once. The 500 identical 401s are logged three times and counted.
    func test5_FiveHundredConcurrentConnectionsGet401JSON() throws {
        let n = 500
        let sources = (10..<20).map { "127.0.0.\($0)" }
        // Its own record tag: identical 401s sent by the earlier tests are another flood.
        rig.sandbox.setActiveRecord("FLOOD-5", step: nil)
        defer { rig.sandbox.setActiveRecord(nil, step: nil) }
        let logBefore = logCount()
        let linesBefore = rig.fileEntries().count
        let fdsBefore = openDescriptors()
        var clients: [RawClient] = []
        for i in 0..<n {
            clients.append(try XCTUnwrap(RawClient(port: port, source: sources[i % sources.count]), "connect \(i) failed"))
        }
        let started = Date()
        for (i, c) in clients.enumerated() {
            XCTAssertTrue(c.send("POST /v1/delivery/x/quotes HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\n"
                + "X-Store-Id: partner-store-001\r\nX-Client: \(i)\r\nContent-Length: 2\r\n\r\n{}"))
        }
        var ok = 0
        for (i, c) in clients.enumerated() {
            guard let r = c.readResponse(timeout: 20) else { XCTFail("client \(i): no answer"); continue }
            if r.status == 401, r.header("Content-Type") == "application/json", r.errorCode == "unauthorized",
               r.header("WWW-Authenticate")?.hasPrefix("Bearer") == true {
                ok += 1
            } else {
                XCTFail("client \(i): \(r.status) \(r.text)")
            }
        }
        let elapsed = Date().timeIntervalSince(started)
        let fdsDuring = openDescriptors()
        XCTAssertEqual(ok, n)
        XCTAssertGreaterThanOrEqual(fdsDuring - fdsBefore, 2 * n - 5, "client and server sockets were not all open at once")
        XCTAssertLessThan(elapsed, 15)

        // 127.0.0.10 holds 50; 14 more reach its limit of 64, the next is refused at once.
        var more: [RawClient] = []
        for _ in 0..<14 { more.append(try XCTUnwrap(RawClient(port: port, source: sources[0]))) }
        usleep(100_000)
        let extra = try XCTUnwrap(RawClient(port: port, source: sources[0]))
        extra.send("GET /v1/anything HTTP/1.1\r\nHost: sandbox\r\n\r\n")
        XCTAssertEqual(extra.readResponse(timeout: 3)?.status, 503, "the 65th connection of one client")
        XCTAssertTrue(extra.waitClosed(timeout: 3))
        let held = more[0]
        held.send("GET /v1/anything HTTP/1.1\r\nHost: sandbox\r\n\r\n")
        XCTAssertEqual(held.readResponse(timeout: 3)?.status, 404, "a connection within the limit is served")
        clients.removeAll()
        more.removeAll()

        XCTAssertEqual(logCount(), logBefore + n + 1, "every answer is logged or counted")
        let lines = rig.fileEntries().suffix(from: linesBefore)
        let copies = lines.filter { $0.kind == .callback && $0.response?.status == 401 && $0.request?.path == "/v1/delivery/x/quotes" }
        XCTAssertEqual(copies.count, 3, "three of the 500 identical 401s are logged in full")
        XCTAssertEqual(Set(copies.compactMap { $0.request?.header("X-Client") }).count, 3)
        let counted = lines.filter { $0.kind == .repeats && $0.repeats?.of == copies.first?.seq }.reduce(0) { $0 + ($1.repeats?.count ?? 0) }
        XCTAssertEqual(counted, n - 3, "the other 497 are counted")
        print(String(format: "500 concurrent: all 401 in %.2f s, %d descriptors open at peak; logged as %d lines", elapsed,
                     fdsDuring - fdsBefore, lines.count))
    }

    // MARK: - Afterwards

    /// Runs last: the sandbox still works, the log is whole, and memory stayed bounded.
    func test9_AfterwardsTheSandboxStillServesAndMemoryIsBounded() throws {
        let token = rig.token()
        XCTAssertFalse(token.isEmpty, "the sandbox no longer issues tokens")
        let r = rig.quote(token: token, eventId: rig.announce())
        XCTAssertEqual(r.status, 204, r.text)
        let entries = rig.fileEntries()
        XCTAssertEqual(entries.map(\.seq), Array(1...entries.count), "log lines are numbered without gaps")
        XCTAssertEqual(entries.last?.response?.status, 204)
        XCTAssertEqual(entries.last?.kind, .callback)
        XCTAssertNil(rig.log.writeError)
        let after = Self.residentKB()
        let growth = after - Self.shared.rssBefore
        print("VmRSS: \(Self.shared.rssBefore) kB before the hostile tests, \(after) kB after (growth \(growth) kB); \(entries.count) log lines")
        XCTAssertGreaterThan(after, 0, "cannot read VmRSS")
        XCTAssertLessThan(growth, 100 * 1024, "resident memory grew by \(growth) kB")
    }

    // MARK: - Helpers

    private func connect(file: StaticString = #filePath, line: UInt = #line) throws -> RawClient {
        try XCTUnwrap(RawClient(port: port), "cannot connect to the sandbox", file: file, line: line)
    }

    private func chunkedHead() -> String {
        "POST /v1/delivery/x/quotes HTTP/1.1\r\nHost: sandbox\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    }

    /// The parser's error answer: status, JSON `{"error": code}`, `Connection: close`, then the close.
    private func assertServerError(_ c: RawClient, _ status: Int, code: String, message: String? = nil,
                                   file: StaticString = #filePath, line: UInt = #line) {
        guard let r = c.readResponse(timeout: 5) else {
            return XCTFail("no answer (closed: \(c.sawClose)), expected \(status)", file: file, line: line)
        }
        XCTAssertEqual(r.status, status, r.text, file: file, line: line)
        XCTAssertEqual(r.header("Content-Type"), "application/json", file: file, line: line)
        XCTAssertEqual(r.header("Connection"), "close", file: file, line: line)
        XCTAssertEqual(r.errorCode, code, r.text, file: file, line: line)
        if let message {
            XCTAssertTrue(r.json?["message"]?.stringValue?.contains(message) == true, r.text, file: file, line: line)
        }
        XCTAssertTrue(c.waitClosed(timeout: 3), "connection not closed after \(status)", file: file, line: line)
    }

    /// Exchanges logged so far (after writing out pending flood counts): lines, with a `repeats` line counting as
    /// the exchanges it stands for; every line must decode.
    private func logCount(file: StaticString = #filePath, line: UInt = #line) -> Int {
        rig.sandbox.flushRepeats()
        return rig.fileEntries(file: file, line: line).reduce(0) { $0 + ($1.kind == .repeats ? $1.repeats?.count ?? 0 : 1) }
    }

    /// The statuses of the exchanges logged after the first `count` (as `logCount` counts), a count standing for
    /// its repeated line's status.
    private func loggedStatuses(after count: Int) -> [Int] {
        rig.sandbox.flushRepeats()
        let entries = rig.fileEntries()
        let bySeq = Dictionary(entries.map { ($0.seq, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [Int] = []
        var seen = 0
        for e in entries {
            let weight = e.kind == .repeats ? e.repeats?.count ?? 0 : 1
            let status = e.kind == .repeats ? bySeq[e.repeats?.of ?? 0]?.response?.status : e.response?.status
            for _ in 0..<weight {
                seen += 1
                if seen > count, let status { out.append(status) }
            }
        }
        return out
    }

    private func openDescriptors() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
    }

    /// 500 client + 500 server sockets live in this one process.
    private static func raiseFileLimit() {
        var lim = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim)
        if lim.rlim_cur < 4096 {
            lim.rlim_cur = min(4096, lim.rlim_max)
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &lim)
        }
    }

    /// Resident memory of this process in kB (0 if unreadable).
    private static func residentKB() -> Int { residentBytes() / 1024 }
}
