import XCTest
import TestSupport
import OtterHTTP
import OtterCrypto

final class HTTPRequestParserTests: XCTestCase {
    private func parse(_ text: String, limits: HTTPRequestParser.Limits = .init()) throws(HTTPParseError) -> [HTTPRequest] {
        var p = HTTPRequestParser(limits: limits)
        return try p.parse(Array(text.utf8))
    }

    /// Status of the error the parser reports for `text`, or nil if it parsed (or needs more bytes).
    private func errorStatus(_ text: String, limits: HTTPRequestParser.Limits = .init()) -> Int? {
        do {
            _ = try parse(text, limits: limits)
            return nil
        } catch {
            return error.status
        }
    }

    func testSimpleGet() throws {
        let reqs = try parse("GET /v1/x?y=1&z=2 HTTP/1.1\r\nHost: a\r\nX-Thing: one\r\nx-thing:  two \r\n\r\n")
        XCTAssertEqual(reqs.count, 1)
        let r = reqs[0]
        XCTAssertEqual(r.method, "GET")
        XCTAssertEqual(r.target, "/v1/x?y=1&z=2")
        XCTAssertEqual(r.path, "/v1/x")
        XCTAssertEqual(r.query, "y=1&z=2")
        XCTAssertEqual(r.version, "HTTP/1.1")
        XCTAssertEqual(r.headers.pairs.map(\.name), ["Host", "X-Thing", "x-thing"])
        XCTAssertEqual(r.headers["X-THING"], "one")
        XCTAssertEqual(r.headers.values("x-thing"), ["one", "two"])
        XCTAssertEqual(r.body, [])
        XCTAssertTrue(r.wantsKeepAlive)
    }

    func testByteAtATimeGivesSameRequest() throws {
        let text = "POST /p%20q HTTP/1.0\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nhello"
        var p = HTTPRequestParser()
        var got: [HTTPRequest] = []
        for b in Array(text.utf8) {
            XCTAssertTrue(got.isEmpty)
            p.feed([b])
            while let r = try p.next() { got.append(r) }
        }
        XCTAssertEqual(got.count, 1)
        XCTAssertEqual(got[0].path, "/p%20q")
        XCTAssertNil(got[0].query)
        XCTAssertEqual(got[0].version, "HTTP/1.0")
        XCTAssertEqual(String(decoding: got[0].body, as: UTF8.self), "hello")
        XCTAssertTrue(got[0].wantsKeepAlive)
        XCTAssertEqual(p.phase, .idle)
    }

    func testPhases() throws {
        var p = HTTPRequestParser()
        XCTAssertEqual(p.phase, .idle)
        p.feed(Array("PUT / HTTP/1.1\r\nHost: t\r\nContent-Len".utf8))
        XCTAssertNil(try p.next())
        XCTAssertEqual(p.phase, .head)
        p.feed(Array("gth: 3\r\nExpect: 100-continue\r\n\r\n".utf8))
        XCTAssertNil(try p.next())
        XCTAssertEqual(p.phase, .body)
        XCTAssertTrue(p.takeContinueRequest())
        XCTAssertFalse(p.takeContinueRequest())
        p.feed(Array("abc".utf8))
        XCTAssertEqual(try p.next()?.body, Array("abc".utf8))
        XCTAssertEqual(p.phase, .idle)
    }

    func testPipelinedRequestsInOneFeed() throws {
        let reqs = try parse("GET /a HTTP/1.1\r\nHost: t\r\n\r\nPOST /b HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nhiGET /c HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        XCTAssertEqual(reqs.map(\.path), ["/a", "/b", "/c"])
        XCTAssertEqual(reqs[1].body, Array("hi".utf8))
        XCTAssertFalse(reqs[2].wantsKeepAlive)
    }

    func testChunkedWithExtensionsAndTrailers() throws {
        let reqs = try parse("POST /c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "5;name=value\r\nhello\r\n6 ; x\r\n world\r\nA\r\n0123456789\r\n0\r\nX-Trailer: t\r\nOther: u\r\n\r\n"
            + "GET /next HTTP/1.1\r\nHost: t\r\n\r\n")
        XCTAssertEqual(reqs.count, 2)
        XCTAssertEqual(String(decoding: reqs[0].body, as: UTF8.self), "hello world0123456789")
        XCTAssertNil(reqs[0].headers["X-Trailer"])
        XCTAssertEqual(reqs[1].path, "/next")
    }

    func testLenientForms() throws {
        // Bare LF line endings, leading blank line, identical duplicate Content-Length, HTTP/1.0 without Host.
        let reqs = try parse("\r\nGET / HTTP/1.1\nHost: t\nA: b\n\nPOST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx")
        XCTAssertEqual(reqs.count, 2)
        XCTAssertEqual(reqs[0].headers["a"], "b")
        XCTAssertEqual(reqs[1].body, [UInt8(ascii: "x")])
        XCTAssertNil(try parse("GET / HTTP/1.0\r\n\r\n")[0].authority)
        // HTTP/1.0 closes by default; "Connection: close" on 1.1.
        XCTAssertFalse(try parse("GET / HTTP/1.0\r\n\r\n")[0].wantsKeepAlive)
        XCTAssertFalse(try parse("GET / HTTP/1.1\r\nHost: t\r\nConnection: Keep-Alive, Close\r\n\r\n")[0].wantsKeepAlive)
    }

    func testHostileFixtures() {
        let cases: [(String, Int, String)] = [
            ("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx", 400, "duplicate differing CL"),
            ("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1, 2\r\n\r\nxx", 400, "CL list differing"),
            ("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, "CL + TE"),
            ("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400, "TE + CL"),
            ("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400, "overflowing CL"),
            ("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n", 400, "negative CL"),
            ("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: +5\r\n\r\nhello", 400, "signed CL"),
            ("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 1a\r\n\r\n", 400, "non-digit CL"),
            ("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: \r\n\r\n", 400, "empty CL"),
            ("GET / HTTP/1.1\r\nHost: t\r\nFo\ro: bar\r\n\r\n", 400, "CR in header name"),
            ("GET / HTTP/1.1\r\nHost: t\r\nFoo: b\rar\r\n\r\n", 400, "CR in header value"),
            ("GET / HTTP/1.1\r\nHost: t\r\nFoo Bar: x\r\n\r\n", 400, "space in header name"),
            ("GET / HTTP/1.1\r\nHost: t\r\nFoo : x\r\n\r\n", 400, "space before colon"),
            ("GET / HTTP/1.1\r\nHost: t\r\n: x\r\n\r\n", 400, "empty header name"),
            ("GET / HTTP/1.1\r\nHost: t\r\nNoColon\r\n\r\n", 400, "header without colon"),
            ("GET / HTTP/1.1\r\nHost: t\r\nA: b\r\n  folded\r\n\r\n", 400, "obs-fold"),
            ("GET / HTTP/1.1\r\nHost: t\r\nA: b\u{0}c\r\n\r\n", 400, "NUL in value"),
            ("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400, "bad chunk size zz"),
            ("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", 400, "negative chunk size"),
            ("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffffff\r\n", 400, "hex overflow chunk size"),
            ("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\n", 413, "huge chunk size"),
            ("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n", 400, "no CRLF after chunk data"),
            ("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n3x\r\nabc\r\n", 400, "garbage after chunk size"),
            ("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", 501, "unknown transfer coding"),
            ("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501, "gzip then chunked"),
            ("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400, "chunked not last"),
            ("POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "chunked twice"),
            ("GET / HTTP/2.0\r\n\r\n", 505, "HTTP/2.0"),
            ("GET / HTTP/0.9\r\n\r\n", 505, "HTTP/0.9"),
            ("GET / HTTP/1.1x\r\n\r\n", 400, "malformed version"),
            ("GET / HTTP/1\r\n\r\n", 400, "short version"),
            ("GET / http/1.1\r\n\r\n", 400, "lowercase version"),
            ("GET /\r\n\r\n", 400, "missing version"),
            ("GET  / HTTP/1.1\r\nHost: t\r\n\r\n", 400, "double space"),
            ("G(T / HTTP/1.1\r\nHost: t\r\n\r\n", 400, "bad method char"),
            ("GET /a\u{7F}b HTTP/1.1\r\nHost: t\r\n\r\n", 400, "DEL in target"),
            ("GET / HTTP/1.1 extra\r\n\r\n", 400, "trailing junk in request line"),
            ("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 2000000\r\n\r\n", 413, "declared body too large"),
            ("GET / HTTP/1.1\r\nHost: t\r\nA: " + String(repeating: "a", count: 20000) + "\r\n\r\n", 431, "huge header"),
            ("GET /" + String(repeating: "a", count: 20000), 414, "endless request line"),
            ("GET / HTTP/1.1\r\nHost: t\r\n" + String(repeating: "X: y\r\n", count: 101) + "\r\n", 431, "too many headers"),
            (String(repeating: "\r\n", count: 9000), 431, "endless blank lines"),
        ]
        for (text, status, name) in cases {
            XCTAssertEqual(errorStatus(text), status, name)
        }
    }

    /// RFC 9112 §3.2: one valid Host in HTTP/1.1; §3.2.2: an absolute-form target's authority wins over Host.
    func testHostAndAbsoluteForm() throws {
        XCTAssertEqual(errorStatus("GET / HTTP/1.1\r\n\r\n"), 400)
        XCTAssertEqual(errorStatus("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n"), 400)
        XCTAssertEqual(errorStatus("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n"), 400)
        XCTAssertEqual(errorStatus("GET / HTTP/1.1\r\nHost: a b\r\n\r\n"), 400)
        XCTAssertEqual(errorStatus("GET / HTTP/1.1\r\nHost: user@a\r\n\r\n"), 400)
        XCTAssertEqual(try parse("GET / HTTP/1.1\r\nHost: [::1]:8080\r\n\r\n")[0].authority, "[::1]:8080")
        let r = try parse("GET http://Otter.Example:9100/v1/x?y=1 HTTP/1.1\r\nHost: elsewhere\r\n\r\n")[0]
        XCTAssertEqual(r.target, "/v1/x?y=1")
        XCTAssertEqual(r.path, "/v1/x")
        XCTAssertEqual(r.query, "y=1")
        XCTAssertEqual(r.authority, "Otter.Example:9100")
        XCTAssertEqual(try parse("OPTIONS http://h?q HTTP/1.1\r\nHost: h\r\n\r\n")[0].target, "/?q")
        XCTAssertEqual(errorStatus("GET http://u:p@h/ HTTP/1.1\r\nHost: h\r\n\r\n"), 400)
        XCTAssertEqual(errorStatus("GET ftp://h/ HTTP/1.1\r\nHost: h\r\n\r\n"), 400)
        XCTAssertEqual(errorStatus("CONNECT h:443 HTTP/1.1\r\nHost: h\r\n\r\n"), 501)
    }

    /// `bodyRetention` keeps the first bytes; the rest is counted and hashed, over Content-Length and chunks alike.
    func testBodyKeptInPartIsCountedAndHashed() throws {
        let whole = Array((0..<100_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        let keep: @Sendable (HTTPRequest) -> Int = { $0.path == "/all" ? .max : 1000 }
        for chunked in [false, true] {
            var p = HTTPRequestParser(bodyRetention: keep)
            var wire = Array("POST /part HTTP/1.1\r\nHost: t\r\n".utf8)
            if chunked {
                wire += Array("Transfer-Encoding: chunked\r\n\r\n".utf8)
                for start in stride(from: 0, to: whole.count, by: 30_000) {
                    let piece = whole[start..<min(start + 30_000, whole.count)]
                    wire += Array("\(String(piece.count, radix: 16))\r\n".utf8) + piece + Array("\r\n".utf8)
                }
                wire += Array("0\r\n\r\n".utf8)
            } else {
                wire += Array("Content-Length: \(whole.count)\r\n\r\n".utf8) + whole
            }
            wire += Array("POST /all HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n".utf8) + whole.prefix(5000)
            var got: [HTTPRequest] = []
            for start in stride(from: 0, to: wire.count, by: 7_777) {  // arbitrary feed boundaries
                p.feed(Array(wire[start..<min(start + 7_777, wire.count)]))
                while let r = try p.next() { got.append(r) }
            }
            XCTAssertEqual(got.count, 2)
            XCTAssertEqual(got[0].body, Array(whole.prefix(1000)), "chunked: \(chunked)")
            XCTAssertEqual(got[0].bodySize, whole.count)
            XCTAssertTrue(got[0].isBodyTruncated)
            XCTAssertEqual(got[0].bodySHA256, Digest.sha256(whole), "chunked: \(chunked)")
            XCTAssertEqual(got[1].body, Array(whole.prefix(5000)))
            XCTAssertEqual(got[1].bodySize, 5000)
            XCTAssertFalse(got[1].isBodyTruncated)
            XCTAssertNil(got[1].bodySHA256)
        }
    }

    func testChunkedBodyLimitAcrossChunks() {
        let limits = HTTPRequestParser.Limits(maxBodyBytes: 10)
        let ok = "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n12345\r\n5\r\n67890\r\n0\r\n\r\n"
        XCTAssertNil(errorStatus(ok, limits: limits))
        let tooBig = "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n12345\r\n6\r\n"
        XCTAssertEqual(errorStatus(tooBig, limits: limits), 413)
        XCTAssertEqual(errorStatus("POST / HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\n", limits: limits), 413)
    }

    func testErrorIsStickyAndBufferReleased() {
        var p = HTTPRequestParser()
        p.feed(Array("GET / HTTP/1.1\r\nHost: t\r\nBad Name: x\r\n\r\n".utf8))
        XCTAssertThrowsError(try p.next())
        p.feed(Array("GET / HTTP/1.1\r\nHost: t\r\n\r\n".utf8))
        XCTAssertThrowsError(try p.next()) { XCTAssertEqual(($0 as? HTTPParseError)?.status, 400) }
        XCTAssertEqual(p.error?.status, 400)
    }

    /// Random input never crashes and never grows the buffer beyond the head limit.
    func testRandomInputIsBounded() {
        var rng = SplitMix(seed: 42)
        let limits = HTTPRequestParser.Limits(maxHeaderBytes: 1024, maxHeaderCount: 10, maxBodyBytes: 1024)
        for _ in 0..<300 {
            var p = HTTPRequestParser(limits: limits)
            let len = Int(rng.next() % 3000)
            let bytes = (0..<len).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            var off = 0
            while off < bytes.count {
                let n = min(bytes.count - off, 1 + Int(rng.next() % 200))
                p.feed(Array(bytes[off..<(off + n)]))
                off += n
                do { while try p.next() != nil {} } catch { break }
                XCTAssertLessThanOrEqual(p.bufferedByteCount, 1024 + 200 + 4096)
            }
        }
    }
}
