import Foundation
import OtterCore
import OtterHarness
import XCTest
import TestSupport
#if canImport(Glibc)
import Glibc
#endif

/// 70 llhttp-style cases (request-line forms, methods, versions, Host, header syntax, framing, chunks, pipelining,
/// Expect), each sent as raw bytes over a real socket to a running sandbox (`SandboxRig`: the real server with the
/// real handler), each with the answer RFC 9112 / 9110 call for: the statuses in order, and whether the
/// connection stays open, or a close without an answer. The cases are our own, drawn from the kinds of input in
/// llhttp's test/request/*.md. docs/run.md lists the rules they pin down.
///
/// The sandbox's own answers serve as the oracle that a request was read as intended: a token grant with a correct
/// form is 200 only if its body was framed right; `/nowhere` is 404 with its path in the message.
final class HostileClientConformanceTests: XCTestCase {
    /// What the client sees.
    enum Outcome {
        /// These statuses in order, then the connection stays open (`open`) or is closed by the server.
        case answers([Int], open: Bool)
        /// No answer; the server closes the connection (the client half-closed an incomplete request).
        case closedSilently
    }

    struct Case {
        var name: String
        var bytes: [UInt8]
        var outcome: Outcome
        /// Sent after the interim `100 Continue`, which must come first.
        var afterContinue: [UInt8]? = nil
        /// The first answer's body must contain this.
        var contains: String? = nil
        /// The request is HEAD: its answer has no body.
        var head = false
    }

    nonisolated(unsafe) private static let rig: SandboxRig = try! SandboxRig()
    private var port: Int { Int(Self.rig.sandbox.baseURL.split(separator: ":").last!)! }

    static let form = "grant_type=client_credentials&client_id=\(SandboxRig.clientId)&client_secret=\(SandboxRig.clientSecret)&scope=delivery.provider"

    /// A token grant whose body is framed with `Content-Length` (or `framing` headers and `body` as given).
    static func grant(target: String = "/v1/auth/token", version: String = "HTTP/1.1", host: String? = "sandbox",
                      headers: String = "", framing: String? = nil, body: String = form) -> String {
        "POST \(target) \(version)\r\n" + (host.map { "Host: \($0)\r\n" } ?? "")
            + "Content-Type: application/x-www-form-urlencoded\r\n" + headers
            + (framing ?? "Content-Length: \(body.utf8.count)\r\n") + "\r\n" + body
    }

    /// The form in chunks of `sizes` bytes (the last takes the rest), each size line followed by `ext`.
    static func chunked(_ sizes: [Int], ext: String = "", trailers: String = "") -> String {
        var rest = Substring(form), out = ""
        for (i, n) in sizes.enumerated() {
            let piece = i == sizes.count - 1 ? rest : rest.prefix(n)
            rest = rest.dropFirst(piece.count)
            out += String(piece.utf8.count, radix: 16) + ext + "\r\n" + piece + "\r\n"
        }
        return out + "0\r\n" + trailers + "\r\n"
    }

    static func get(_ target: String, version: String = "HTTP/1.1", headers: String = "Host: sandbox\r\n") -> String {
        "GET \(target) \(version)\r\n" + headers + "\r\n"
    }

    static let te = "Transfer-Encoding: chunked\r\n"

    static var cases: [Case] {
        func c(_ name: String, _ text: String, _ outcome: Outcome, contains: String? = nil) -> Case {
            Case(name: name, bytes: Array(text.utf8), outcome: outcome, contains: contains)
        }
        func bytes(_ name: String, _ b: [UInt8], _ outcome: Outcome) -> Case { Case(name: name, bytes: b, outcome: outcome) }
        let ok = Outcome.answers([200], open: true), notFound = Outcome.answers([404], open: true)
        let bad = Outcome.answers([400], open: false)
        func refused(_ status: Int) -> Outcome { .answers([status], open: false) }
        return [
            // Request line: methods, forms, versions.
            c("token grant with Content-Length", grant(), ok),
            c("unknown path", get("/nowhere"), notFound, contains: "no Otter Public API endpoint at /nowhere"),
            c("methods are case-sensitive: 'post' is not POST", grant().replacingOccurrences(of: "POST ", with: "post "),
              .answers([405], open: true)),
            c("invalid character in the method", "G(T /nowhere HTTP/1.1\r\nHost: sandbox\r\n\r\n", bad),
            c("CONNECT (not a proxy)", "CONNECT 127.0.0.1:443 HTTP/1.1\r\nHost: 127.0.0.1:443\r\n\r\n", refused(501)),
            c("OPTIONS * reaches the handler", "OPTIONS * HTTP/1.1\r\nHost: sandbox\r\n\r\n", notFound),
            c("asterisk-form with GET", get("*"), bad),
            c("HTTP/1.0 without Host is served, then closed", get("/nowhere", version: "HTTP/1.0", headers: ""), .answers([404], open: false)),
            c("HTTP/1.0 keep-alive", get("/nowhere", version: "HTTP/1.0", headers: "Connection: keep-alive\r\n"), notFound),
            c("HTTP/1.2 is answered as HTTP/1.1", get("/nowhere", version: "HTTP/1.2"), notFound),
            c("HTTP/2.0", get("/nowhere", version: "HTTP/2.0"), refused(505)),
            c("HTTP/0.9 request line (no version)", "GET /nowhere\r\n\r\n", bad),
            c("malformed version HTTP/1.1x", get("/nowhere", version: "HTTP/1.1x"), bad),
            c("lowercase version", get("/nowhere", version: "http/1.1"), bad),
            c("another protocol (RTSP/1.0)", get("/nowhere", version: "RTSP/1.0"), bad),
            c("two spaces in the request line", "GET  /nowhere HTTP/1.1\r\nHost: sandbox\r\n\r\n", bad),
            c("empty line before the request line", "\r\n" + get("/nowhere"), notFound),
            c("request line over 8 KiB", get("/" + String(repeating: "a", count: 9000)), refused(414)),
            // Request target.
            bytes("NUL in the target", Array("GET /a".utf8) + [0] + Array("b HTTP/1.1\r\nHost: sandbox\r\n\r\n".utf8), bad),
            c("non-ASCII (UTF-8) in the target", get("/caf\u{E9}"), bad),
            c("fragment in the target", get("/nowhere#frag"), bad),
            c("invalid percent-encoding", get("/v1/%zz"), bad),
            c("percent-encoding is passed on undecoded", get("/v1/%41bc"), notFound, contains: "at /v1/%41bc"),
            c("dot segments are not resolved", grant(target: "/v1/../v1/auth/token"), notFound, contains: "at /v1/../v1/auth/token"),
            c("absolute-form target is served", grant(target: "http://127.0.0.1:9/v1/auth/token"), ok),
            c("absolute-form: its authority wins over Host", grant(target: "http://otter.example/v1/auth/token", host: "elsewhere.example"), ok),
            c("absolute-form with userinfo", grant(target: "http://user:pw@127.0.0.1:9/v1/auth/token"), bad),
            c("absolute-form with another scheme", grant(target: "ftp://127.0.0.1/v1/auth/token"), bad),
            // Host (RFC 9112 §3.2).
            c("HTTP/1.1 without Host", get("/nowhere", headers: ""), bad),
            c("two identical Host headers", get("/nowhere", headers: "Host: sandbox\r\nHost: sandbox\r\n"), bad),
            c("two different Host headers", get("/nowhere", headers: "Host: a.example\r\nhost: b.example\r\n"), bad),
            c("Host with a space", get("/nowhere", headers: "Host: a b\r\n"), bad),
            c("Host: IPv6 literal with port", get("/nowhere", headers: "Host: [::1]:9200\r\n"), notFound),
            c("empty Host (an empty authority)", get("/nowhere", headers: "Host:\r\n"), notFound),
            // Header fields.
            c("obsolete line folding", get("/nowhere", headers: "Host: sandbox\r\nX-A: one\r\n  two\r\n"), bad),
            c("whitespace before the colon", get("/nowhere", headers: "Host: sandbox\r\nX-A : one\r\n"), bad),
            c("space inside a header name", get("/nowhere", headers: "Host: sandbox\r\nX A: one\r\n"), bad),
            c("invalid character in a header name", get("/nowhere", headers: "Host: sandbox\r\nX(A): one\r\n"), bad),
            c("empty header name", get("/nowhere", headers: "Host: sandbox\r\n: one\r\n"), bad),
            c("header line without a colon", get("/nowhere", headers: "Host: sandbox\r\nNoColon\r\n"), bad),
            c("CR without LF inside a header", get("/nowhere", headers: "Host: sandbox\r\nX-A: one\rX-B: two\r\n"), bad),
            c("bare LF line endings", "GET /nowhere HTTP/1.1\nHost: sandbox\nX-A: one\n\n", notFound),
            bytes("NUL in a header value", Array("GET /nowhere HTTP/1.1\r\nHost: sandbox\r\nX-A: a".utf8) + [0] + Array("b\r\n\r\n".utf8), bad),
            bytes("obs-text (Latin-1) in a header value is kept",
                  Array("GET /nowhere HTTP/1.1\r\nHost: sandbox\r\nX-A: caf".utf8) + [0xE9] + Array("\r\n\r\n".utf8), notFound),
            c("header field over the 16 KiB head limit", get("/nowhere", headers: "Host: sandbox\r\nX-Big: \(String(repeating: "b", count: 17_000))\r\n"), refused(431)),
            c("101 header fields", get("/nowhere", headers: "Host: sandbox\r\n" + (0..<100).map { "X-\($0): v\r\n" }.joined()), refused(431)),
            // Message framing (RFC 9112 §6).
            c("Content-Length and Transfer-Encoding (smuggling)", grant(framing: "Content-Length: \(Self.form.utf8.count)\r\n" + te, body: chunked([500])), bad),
            c("two differing Content-Length values", grant(framing: "Content-Length: \(Self.form.utf8.count)\r\nContent-Length: 3\r\n"), bad),
            c("two equal Content-Length values", grant(framing: "Content-Length: \(Self.form.utf8.count)\r\nContent-Length: \(Self.form.utf8.count)\r\n"), ok),
            c("negative Content-Length", grant(framing: "Content-Length: -1\r\n"), bad),
            c("Content-Length that overflows", grant(framing: "Content-Length: 99999999999999999999999\r\n"), bad),
            c("Content-Length with leading zeros", grant(framing: "Content-Length: 000\(Self.form.utf8.count)\r\n"), ok),
            c("Content-Length over the 1 MiB limit", grant(framing: "Content-Length: 2000000\r\n"), refused(413)),
            c("chunked token grant", grant(framing: te, body: chunked([40, 40, 500])), ok),
            c("chunk extensions (token and quoted values)", grant(framing: te, body: chunked([30, 500], ext: ";a=1 ; b=\"x;y\\\"z\";c")), ok),
            c("malformed chunk extension", grant(framing: te, body: chunked([30, 500], ext: ";=1")), bad),
            c("trailer fields after the last chunk", grant(framing: te, body: chunked([500], trailers: "X-Checksum: abc\r\n")), ok),
            c("chunk size that is not hex", grant(framing: te, body: "zz\r\nabc\r\n0\r\n\r\n"), bad),
            c("chunk size that overflows", grant(framing: te, body: "ffffffffffffffffffff\r\nabc\r\n"), bad),
            c("chunk data not followed by CRLF", grant(framing: te, body: "3\r\nabcX\r\n0\r\n\r\n"), bad),
            c("whitespace after a chunk size", grant(framing: te, body: "3 \r\nabc\r\n0\r\n\r\n"), bad),
            c("unsupported transfer coding", grant(framing: "Transfer-Encoding: gzip\r\n"), refused(501)),
            c("chunked is not the last transfer coding", grant(framing: "Transfer-Encoding: chunked, gzip\r\n"), bad),
            c("Transfer-Encoding in HTTP/1.0", grant(version: "HTTP/1.0", framing: te, body: chunked([500])), bad),
            // Connection management.
            c("two pipelined requests in one packet, answered in order",
              get("/nowhere-1") + "POST /v1/delivery/x/quotes HTTP/1.1\r\nHost: sandbox\r\nContent-Length: 2\r\n\r\n{}",
              .answers([404, 401], open: true), contains: "at /nowhere-1"),
            c("Connection: close in a pipeline ends it", get("/a", headers: "Host: sandbox\r\nConnection: close\r\n") + get("/b"),
              .answers([404], open: false)),
            Case(name: "Expect: 100-continue", bytes: Array(grant(headers: "Expect: 100-continue\r\n", framing: "Content-Length: \(Self.form.utf8.count)\r\n", body: "").utf8),
                 outcome: ok, afterContinue: Array(Self.form.utf8)),
            c("an expectation other than 100-continue", grant(headers: "Expect: 200-ok\r\n"), refused(417)),
            Case(name: "HEAD: the answer has no body", bytes: Array("HEAD /nowhere HTTP/1.1\r\nHost: sandbox\r\n\r\n".utf8),
                 outcome: notFound, head: true),
            c("body cut short, then EOF", grant(framing: "Content-Length: 500\r\n"), .closedSilently),
        ]
    }

    func testSeventyHostileCasesAreAnsweredAsSpecified() throws {
        let cases = Self.cases
        XCTAssertEqual(cases.count, 70)
        XCTAssertEqual(Set(cases.map(\.name)).count, cases.count, "case names are unique")
        var wrong: [String] = []
        for k in cases {
            let got = try run(k)
            if let got { wrong.append("\(k.name): \(got)") }
        }
        XCTAssertEqual(wrong, [], "\(wrong.count) of \(cases.count) cases were not answered as specified")
        print("conformance: \(cases.count - wrong.count) of \(cases.count) cases answered as specified")
        // The sandbox still serves afterwards.
        XCTAssertFalse(Self.rig.token().isEmpty)
    }

    /// An absolute-form request is logged under the sandbox's URL and its path, as any other.
    func testAbsoluteFormIsLoggedByItsPath() throws {
        let c = try XCTUnwrap(RawClient(port: port))
        XCTAssertTrue(c.send(Self.grant(target: "http://otter.example:9/v1/auth/token", host: "elsewhere.example")))
        XCTAssertEqual(c.readResponse()?.status, 200)
        let last = try XCTUnwrap(Self.rig.fileEntries().last { $0.kind == .token })
        XCTAssertEqual(last.request?.url, Self.rig.sandbox.baseURL + "/v1/auth/token")
        XCTAssertEqual(last.response?.status, 200)
    }

    /// Runs one case; nil when it went as specified, else what happened.
    private func run(_ k: Case) throws -> String? {
        let c = try XCTUnwrap(RawClient(port: port), "connect failed")
        guard c.send(k.bytes) else { return "the server reset the connection while the request was sent" }
        if let rest = k.afterContinue {
            guard let interim = rawRead(c.fd, timeout: 3), interim.hasPrefix("HTTP/1.1 100 Continue\r\n\r\n") else {
                return "no 100 Continue before the body was sent"
            }
            guard c.send(rest) else { return "reset after 100 Continue" }
        }
        switch k.outcome {
        case .closedSilently:
            c.shutdownWrite()
            if let r = c.readResponse(timeout: 3) { return "answered \(r.status), expected a close without an answer" }
            return c.sawClose ? nil : "not closed within 3 s"
        case .answers(let statuses, let open):
            var seen: [Int] = []
            for (i, want) in statuses.enumerated() {
                guard let r = c.readResponse(head: k.head, timeout: 5) else {
                    return "answers \(seen), then \(c.sawClose ? "closed" : "nothing"); expected \(statuses)"
                }
                seen.append(r.status)
                if r.status != want { return "answered \(seen), expected \(statuses): \(r.text.prefix(160))" }
                if i == 0, let needle = k.contains, !r.text.contains(needle) { return "the answer lacks '\(needle)': \(r.text.prefix(160))" }
                if r.status >= 400, r.errorCode == nil, !k.head { return "the \(r.status) has no JSON error body: \(r.text.prefix(80))" }
                if k.head, c.pendingBytes > 0 { return "the HEAD answer had a body" }
            }
            if open {
                // Still open: nothing arrives, no EOF, within a short look.
                if c.readable(timeoutMs: 150) { return "the connection was closed or sent more after \(statuses)" }
            } else {
                if !c.waitClosed(timeout: 3) { return "not closed after \(statuses)" }
            }
            return nil
        }
    }

    /// Whatever arrives on `fd` within `timeout` seconds (one read), as text.
    private func rawRead(_ fd: Int32, timeout: TimeInterval) -> String? {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, Int32(timeout * 1000)) > 0 else { return nil }
        var buf = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buf, buf.count, 0)
        return n > 0 ? String(decoding: buf[0..<n], as: UTF8.self) : nil
    }
}
