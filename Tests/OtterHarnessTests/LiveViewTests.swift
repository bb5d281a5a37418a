import XCTest
import OtterCore
import OtterHTTP
@testable import OtterHarness
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// The live view's server on real loopback sockets: the page, the event stream, the token, and what never reaches
/// the page (secrets a partner echoed, redacted by the event log before anything is judged).
final class LiveViewTests: XCTestCase {
    static let webhookSecret = "whsec-LIVE-view-0123456789", clientSecret = "client-secret-LIVE-987654", token = "bearer-token-LIVE-abcdef123"

    /// The recorded passing delivery run, appended through a redacting event log with the run's secrets echoed in
    /// headers, bodies and URLs; the engine fed from the log, as a run feeds it.
    func judged(lines count: Int = 1000) throws -> Evaluator {
        var r = Redactor(salt: "test-salt")
        for s in [Self.webhookSecret, Self.clientSecret, Self.token] { r.learn(s) }
        let log = try EventLog(path: nil, redactor: r)
        for (i, line) in try Repo.passingLog(.delivery).prefix(count).enumerated() {
            var e = try LogCodec.decode(try JSONValue.parse(line), lineNumber: i + 1)
            if var req = e.request {
                req.headers.append((name: "X-Echo", value: Self.webhookSecret))
                req.headers.append((name: "Authorization", value: "Bearer " + Self.token))
                req.url += (req.url.contains("?") ? "&" : "?") + "client_secret=" + Self.clientSecret
                e.request = req
            }
            if var resp = e.response, resp.body.hasPrefix("{") {
                resp.body = "{\"echo\":\"\(Self.clientSecret)\",\"t\":\"\(Self.token)\"," + resp.body.dropFirst()
                e.response = resp
            }
            log.append(e)
        }
        let (endpoints, schemas) = try Repo.endpointsAndSchemas()
        let ev = Evaluator(checklist: try Repo.checklist(.delivery), endpoints: endpoints, schemas: schemas)
        for e in log.entries { ev.consume(e) }
        ev.advance(before: .infinity)
        return ev
    }

    func view(token: String? = nil, state: @escaping LiveView.State) throws -> (LiveView, Int) {
        let v = try LiveView(configuration: LiveView.Configuration(host: "127.0.0.1", port: 0, token: token), state: state)
        let url = try v.start()
        addTeardownBlock { v.stop() }
        let port = try XCTUnwrap(Int(url.split(separator: ":").last?.filter(\.isNumber) ?? ""))
        XCTAssertEqual(url, "http://127.0.0.1:\(port)/")
        return (v, port)
    }

    func get(_ port: Int, _ target: String, headers: String = "") throws -> RawResponse {
        let c = try XCTUnwrap(RawClient(port: port))
        c.send("GET \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\n\(headers)Connection: close\r\n\r\n")
        return try XCTUnwrap(c.readResponse())
    }

    func testThePageHoldsNoSecretAndShowsEveryRecord() throws {
        let ev = try judged()
        let snap = ev.snapshot(now: Date().timeIntervalSince1970)
        let (_, port) = try view { (snap, ReportSource(log: "events.jsonl", format: "jsonl")) }
        let page = try get(port, "/")
        XCTAssertEqual(page.status, 200)
        XCTAssertEqual(page.header("Content-Type"), "text/html; charset=utf-8")
        XCTAssertNotNil(page.header("Content-Security-Policy"))
        let html = page.text
        XCTAssertGreaterThan(html.count, 10_000, "the whole report with its evidence")
        for r in snap.records { XCTAssertTrue(html.contains("data-record=\"\(r.id)\""), r.id) }
        XCTAssertTrue(html.contains("data-settled=\"\(snap.records.count)\""))
        XCTAssertTrue(html.contains("&lt;redacted:"), "the echoes are there, masked")
        for s in [Self.webhookSecret, Self.clientSecret, Self.token] {
            XCTAssertFalse(html.contains(s), "a secret reached the page")
            XCTAssertFalse(html.contains(String(s.prefix(12))), "part of a secret reached the page")
        }
    }

    func testEventsStreamTheContentAndEachChange() throws {
        let ev = try judged(lines: 10)
        let lock = NSLock()
        nonisolated(unsafe) var snap = ev.snapshot(now: Date().timeIntervalSince1970)
        let (v, port) = try view {
            lock.lock(); defer { lock.unlock() }
            return (snap, ReportSource(log: "events.jsonl", format: "jsonl"))
        }
        let c = try XCTUnwrap(RawClient(port: port))
        c.send("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        let first = c.readUntil("</footer>", timeout: 5)
        XCTAssertTrue(first.contains("HTTP/1.1 200"), first)
        XCTAssertTrue(first.lowercased().contains("content-type: text/event-stream"), first)
        XCTAssertTrue(first.contains("event: update"), first)
        XCTAssertTrue(first.contains("data: <div id=\"live\""), String(first.prefix(400)))
        let settledBefore = snap.settledCount
        // More is judged: the stream sends it without being asked.
        let full = try judged()
        lock.lock(); snap = full.snapshot(now: Date().timeIntervalSince1970 + 3600); lock.unlock()
        v.changed()
        let second = c.readUntil("data-settled=\"\(snap.records.count)\"", timeout: 5)
        XCTAssertTrue(second.contains("data-settled=\"\(snap.records.count)\""), "the change was not pushed")
        XCTAssertLessThan(settledBefore, snap.records.count)
        // The final snapshot is the last event, and the stream ends.
        v.finish(.final(full.finish()), source: ReportSource(log: "events.jsonl", format: "jsonl"))
        let last = c.readUntil("event: final", timeout: 5) + c.readUntil("data-final=\"true\"", timeout: 5)
        XCTAssertTrue(last.contains("event: final"))
        XCTAssertTrue(c.waitClosed(timeout: 5), "the stream ends after the final event")
    }

    func testTokenIsRequiredAndNeverEchoed() throws {
        let t = "s3cret-live-token-42/+="
        let (_, port) = try view(token: t) { nil }
        let none = try get(port, "/")
        XCTAssertEqual(none.status, 401)
        XCTAssertNotNil(none.header("WWW-Authenticate"))
        XCTAssertEqual(try get(port, "/?token=wrong").status, 401)
        XCTAssertEqual(try get(port, "/events").status, 401)
        XCTAssertEqual(try get(port, "/?token=" + String(t.dropLast())).status, 401)
        XCTAssertEqual(try get(port, "/", headers: "Authorization: Bearer nope\r\n").status, 401)
        let q = try get(port, "/?token=" + t.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
        XCTAssertEqual(q.status, 200)
        let b = try get(port, "/", headers: "Authorization: Bearer \(t)\r\n")
        XCTAssertEqual(b.status, 200)
        for r in [none, q, b] {
            XCTAssertFalse(r.text.contains(t))
            XCTAssertFalse(r.headers.contains { $0.1.contains(t) })
        }
        XCTAssertEqual(try get(port, "/nothing-here", headers: "Authorization: Bearer \(t)\r\n").status, 404)
    }

    func testOtherMethodsAndPaths() throws {
        let (_, port) = try view { nil }
        XCTAssertEqual(try get(port, "/").status, 200)
        XCTAssertTrue(try get(port, "/").text.contains("starting"))
        XCTAssertEqual(try get(port, "/report.json").status, 404)
        let c = try XCTUnwrap(RawClient(port: port))
        c.send("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
        XCTAssertEqual(c.readResponse()?.status, 405)
    }

    /// Without a token, a loopback view answers only to a loopback Host: a page elsewhere that points its own name at
    /// 127.0.0.1 (DNS rebinding) cannot read it.
    func testALoopbackViewAnswersOnlyToALoopbackHost() throws {
        let (_, port) = try view { nil }
        for host in ["127.0.0.1", "127.0.0.1:\(port)", "localhost:\(port)", "[::1]:\(port)"] {
            let c = try XCTUnwrap(RawClient(port: port))
            c.send("GET / HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n")
            XCTAssertEqual(c.readResponse()?.status, 200, host)
        }
        for host in ["evil.example:\(port)", "127.0.0.1.evil.example", "[::2]:1"] {
            let c = try XCTUnwrap(RawClient(port: port))
            c.send("GET / HTTP/1.1\r\nHost: \(host)\r\nConnection: close\r\n\r\n")
            XCTAssertEqual(c.readResponse()?.status, 403, host)
        }
        let c = try XCTUnwrap(RawClient(port: port))
        c.send("GET / HTTP/1.0\r\n\r\n")
        XCTAssertEqual(c.readResponse()?.status, 403, "no Host at all")
    }

    /// Streams are bounded (each holds a server thread); a HEAD takes no stream's place, and a closed one frees its own.
    func testStreamsAreBoundedAndFreedAndHeadTakesNoPlace() throws {
        var config = LiveView.Configuration()
        config.maxStreams = 2
        let v = try LiveView(configuration: config, state: { nil })
        let url = try v.start()
        defer { v.stop() }
        let port = try XCTUnwrap(Int(url.split(separator: ":").last?.filter(\.isNumber) ?? ""))
        for _ in 0..<10 {
            let h = try XCTUnwrap(RawClient(port: port))
            h.send("HEAD /events HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            XCTAssertEqual(h.readResponse(head: true)?.status, 200)
        }
        func open() throws -> RawClient {
            let c = try XCTUnwrap(RawClient(port: port))
            c.send("GET /events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            return c
        }
        let a = try open(), b = try open()
        for c in [a, b] {
            let got = c.readUntil("starting", timeout: 5)
            XCTAssertTrue(got.contains("HTTP/1.1 200") && got.contains("event: update") && got.contains("starting"),
                          "even the state before anything is judged is sent at once: \(got)")
        }
        let third = try open()
        XCTAssertEqual(third.readResponse()?.status, 503)
        _ = a  // closed below: its place is freed
        Glibc.shutdown(a.fd, Int32(SHUT_RDWR))
        let deadline = Date().addingTimeInterval(5)
        var reopened = false
        while Date() < deadline && !reopened {
            let d = try open()
            reopened = d.readResponse(head: true)?.status == 200
            if !reopened { usleep(100_000) }
        }
        XCTAssertTrue(reopened, "a closed stream's place was not freed")
    }

    func testANonLoopbackAddressNeedsAToken() throws {
        for host in ["0.0.0.0", "::", "192.168.1.10", "example.com"] {
            XCTAssertThrowsError(try LiveView(configuration: LiveView.Configuration(host: host, port: 0), state: { nil }), host) { e in
                XCTAssertTrue("\(e)".contains("--live-view-token"), "\(e)")
            }
            XCTAssertNoThrow(try LiveView(configuration: LiveView.Configuration(host: host, port: 0, token: "t0ken"), state: { nil }))
        }
        for host in ["127.0.0.1", "127.9.8.7", "::1", "localhost"] {
            XCTAssertTrue(LiveView.isLoopback(host), host)
            XCTAssertNoThrow(try LiveView(configuration: LiveView.Configuration(host: host, port: 0), state: { nil }))
        }
        XCTAssertFalse(LiveView.isLoopback("127.0.0.1.evil.com"))
        XCTAssertFalse(LiveView.isLoopback("1270.0.0.1"))
        XCTAssertThrowsError(try LiveView(configuration: LiveView.Configuration(host: "0.0.0.0", port: 0, token: ""), state: { nil }))
    }

    func testAuthorizedReadsQueryAndBearer() {
        func req(_ target: String, _ auth: String? = nil) -> HTTPRequest {
            HTTPRequest(method: "GET", target: target, headers: auth.map { HTTPHeaders([("Authorization", $0)]) } ?? [:])
        }
        XCTAssertTrue(LiveView.authorized(req("/"), token: nil))
        XCTAssertFalse(LiveView.authorized(req("/"), token: "abc"))
        XCTAssertTrue(LiveView.authorized(req("/?x=1&token=abc"), token: "abc"))
        XCTAssertTrue(LiveView.authorized(req("/?token=a%20c"), token: "a c"))
        XCTAssertFalse(LiveView.authorized(req("/?token=abcd"), token: "abc"))
        XCTAssertFalse(LiveView.authorized(req("/?tokenx=abc"), token: "abc"))
        XCTAssertTrue(LiveView.authorized(req("/", "bearer abc"), token: "abc"))
        XCTAssertFalse(LiveView.authorized(req("/", "Basic abc"), token: "abc"))
        XCTAssertFalse(LiveView.authorized(req("/", "Bearer"), token: "abc"))
    }

    func testFollowerJudgesAppendedLinesAndEndsWithTheRun() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("follow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("events.jsonl").path
        let checklist = try Repo.checklist(.delivery)
        var lines = try Repo.passingLog(.delivery)
        // The recorded run has no end lines; a run writes one per record once it is settled.
        let t = Timestamp.format(Date().timeIntervalSince1970 - 7200)
        for r in checklist.records { lines.append("{\"v\":1,\"seq\":\(lines.count + 1),\"record\":\"\(r.id)\",\"kind\":\"end\",\"startedAt\":\"\(t)\",\"durationMs\":0,\"tags\":[\"passed\"]}") }
        let half = lines.count / 2
        _ = FileManager.default.createFile(atPath: path, contents: Data((lines[..<half].joined(separator: "\n") + "\n{\"v\":1,").utf8))
        let (endpoints, schemas) = try Repo.endpointsAndSchemas()
        nonisolated(unsafe) let ev = Evaluator(checklist: checklist, endpoints: endpoints, schemas: schemas)
        let f = LogFollower(path: path)
        f.pollInterval = 0.02
        let counts = Counter()
        let done = spawn {
            let end = f.follow(into: ev, records: checklist.records.map(\.id), stop: { false }) { counts.add(1) }
            XCTAssertEqual(end, .runEnded)
        }
        var first: LiveSnapshot?
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline { first = f.snapshot(); if first?.records.contains(where: { $0.phase != .notStarted }) == true { break }; usleep(20_000) }
        let a = try XCTUnwrap(first)
        XCTAssertTrue(a.records.contains { $0.phase == .notStarted }, "half the log leaves records not started")
        XCTAssertEqual(done.wait(timeout: .now() + 0.3), .timedOut, "no end lines yet: still following")
        // The torn line is finished, then the rest comes.
        let h = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        h.seekToEndOfFile()
        let rest = lines[half]
        h.write(Data((String(rest.dropFirst(7)) + "\n" + lines[(half + 1)...].joined(separator: "\n") + "\n").utf8))
        try h.close()
        XCTAssertEqual(done.wait(timeout: .now() + 10), .success, "the run's end lines end the following")
        let b = try XCTUnwrap(f.snapshot())
        XCTAssertGreaterThan(b.settledCount, a.settledCount)
        XCTAssertEqual(b.settledCount, b.records.count)
        XCTAssertEqual(b.result.certified, try Repo.evaluate(.delivery, lines: lines).certified)
    }

    func testFollowerStopsOnAShrinkingFileAndAMalformedLine() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("follow-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let checklist = try Repo.checklist(.delivery)
        let lines = try Repo.passingLog(.delivery)
        let bad = dir.appendingPathComponent("bad.jsonl").path
        _ = FileManager.default.createFile(atPath: bad, contents: Data((lines[0] + "\n{not json\n").utf8))
        let f = LogFollower(path: bad)
        let end = f.follow(into: Evaluator(checklist: checklist), records: checklist.records.map(\.id), stop: { false }) {}
        guard case .unreadable(let why) = end else { return XCTFail("\(end)") }
        XCTAssertTrue(why.contains("line 2"), why)
        let shrink = dir.appendingPathComponent("shrink.jsonl").path
        _ = FileManager.default.createFile(atPath: shrink, contents: Data((lines.prefix(10).joined(separator: "\n") + "\n").utf8))
        let g = LogFollower(path: shrink)
        g.pollInterval = 0.02
        nonisolated(unsafe) var result: LogFollower.End?
        let done = spawn { result = g.follow(into: Evaluator(checklist: checklist), records: checklist.records.map(\.id), stop: { false }) {} }
        usleep(200_000)
        let h = try XCTUnwrap(FileHandle(forWritingAtPath: shrink))
        try h.truncate(atOffset: 5)
        try h.close()
        XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
        guard case .unreadable(let w)? = result else { return XCTFail("\(String(describing: result))") }
        XCTAssertTrue(w.contains("shrank"), w)
    }

    /// A partner's deeply nested answer (as deep as the JSON parser takes) is judged and pretty-printed when the page is
    /// rendered: the server renders on a large stack, so the page is served, not a crash.
    func testADeeplyNestedBodyIsRenderedNotACrash() throws {
        let depth = 510
        let deep = "{\"a\":" + String(repeating: "[", count: depth - 1) + String(repeating: "]", count: depth - 1) + "}"
        XCTAssertNoThrow(try JSONValue.parse(deep))
        let (endpoints, schemas) = try Repo.endpointsAndSchemas()
        let ev = Evaluator(checklist: try Repo.checklist(.delivery), endpoints: endpoints, schemas: schemas)
        var changed = 0
        for (i, line) in try Repo.passingLog(.delivery).enumerated() {
            var e = try LogCodec.decode(try JSONValue.parse(line), lineNumber: i + 1)
            if e.kind == .webhook, var r = e.response { r.body = deep; e.response = r; changed += 1 }
            if e.kind == .callback, var q = e.request { q.body = deep; e.request = q }
            ev.consume(e)
        }
        XCTAssertGreaterThan(changed, 5)
        ev.advance(before: .infinity)
        let snap = ev.snapshot(now: Date().timeIntervalSince1970)
        let (_, port) = try view { (snap, ReportSource(log: "events.jsonl", format: "jsonl")) }
        let page = try get(port, "/")
        XCTAssertEqual(page.status, 200)
        XCTAssertGreaterThan(page.text.filter { $0 == "[" }.count, depth, "the deep body is in the evidence")
    }
}
