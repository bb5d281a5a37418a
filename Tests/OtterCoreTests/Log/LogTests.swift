import XCTest
import OtterCore
import OtterCrypto
import TestSupport

/// The event-log format, HAR import and redaction.
final class LogTests: XCTestCase {
    func testTimestampsRoundTripWithMilliseconds() {
        XCTAssertEqual(Timestamp.parse("2026-11-29T10:00:00.123Z")!, 1795946400.123, accuracy: 0.0005)
        XCTAssertEqual(Timestamp.format(1795946400.123), "2026-11-29T10:00:00.123Z")
        XCTAssertEqual(Timestamp.parse("2026-11-29T11:00:00+01:00"), 1795946400)
        XCTAssertEqual(Timestamp.format(0), "1970-01-01T00:00:00.000Z")
        XCTAssertEqual(Timestamp.format(951782400.5), "2000-02-29T00:00:00.500Z")
        for bad in ["2026-13-01T00:00:00Z", "2026-11-29", "2026-11-29T10:00:00", "2026-11-29T10:00:00.Z", "yesterday"] {
            XCTAssertNil(Timestamp.parse(bad), bad)
        }
    }

    func testEntriesRoundTripThroughTheCodec() throws {
        for line in try Repo.passingLog(.pos) {
            let e = try LogCodec.decode(try JSONValue.parse(line), lineNumber: 1)
            let again = LogCodec.encode(e)
            XCTAssertEqual(try JSONValue.parse(again), try JSONValue.parse(line))
        }
    }

    func testMalformedLinesAreNamed() {
        func err(_ s: String) -> String {
            do { _ = try LogCodec.decode(try JSONValue.parse(s), lineNumber: 7); return "ok" } catch { return "\(error)" }
        }
        XCTAssertEqual(err(#"{"kind":"webhook","startedAt":"2026-11-29T10:00:00Z"}"#), "line 7: a webhook line needs a 'request'")
        XCTAssertEqual(err(#"{"kind":"telepathy","startedAt":"2026-11-29T10:00:00Z"}"#), "line 7: unknown kind 'telepathy' (expected webhook, token, callback, action, run, end, repeats, harness)")
        XCTAssertEqual(err(#"{"kind":"run","startedAt":"noon"}"#), "line 7: 'startedAt' is not an RFC 3339 time: 'noon'")
        XCTAssertEqual(err(#"{"v":2,"kind":"run","startedAt":"2026-11-29T10:00:00Z"}"#), "line 7: unsupported log format version 2; this harness reads version 1")
        XCTAssertEqual(err(#"[1]"#), "line 7: expected a JSON object, found array")
        XCTAssertEqual(err(#"{"kind":"harness","record":"DEL-01","startedAt":"2026-11-29T10:00:00Z"}"#), "line 7: a harness line needs 'error': {kind, message}")
    }

    /// A body over the cap is logged as its first 256 KiB with `bodyTruncated`, `bodySize` and `bodySha256`; a flood's
    /// count as a `repeats` line. Both come back from the codec as written, and a truncated body is never parsed as JSON.
    func testTruncatedBodiesAndRepeatsRoundTrip() throws {
        let big = Array(("{\"items\":[" + String(repeating: "\"é-value\",", count: 40_000) + "\"end\"]}").utf8)
        XCTAssertGreaterThan(big.count, Message.bodyLogCap)
        var m = Message(method: "POST", url: "http://127.0.0.1:1/v1/x")
        m.setBody(big)
        let t = try XCTUnwrap(m.truncated)
        XCTAssertEqual(t.size, big.count)
        XCTAssertEqual(t.sha256, Digest.hex(Digest.sha256(big)))
        XCTAssertLessThanOrEqual(m.body.utf8.count, Message.bodyLogCap)
        XCTAssertGreaterThan(m.body.utf8.count, Message.bodyLogCap - 4)
        XCTAssertFalse(m.body.contains("\u{FFFD}"), "the cut split a character")
        XCTAssertTrue(big.starts(with: Array(m.body.utf8)))
        XCTAssertNil(m.json, "the first bytes of a JSON document are not the document")
        XCTAssertEqual(m.truncationNote, "body truncated in the log (\(big.count) bytes, sha256 \(t.sha256))")
        var small = Message()
        small.setBody(Array("{\"a\":1}".utf8))
        XCTAssertNil(small.truncated)
        XCTAssertEqual(small.json?["a"]?.intValue, 1)

        let entry = LogEntry(seq: 4, record: "DEL-03", direction: .partnerToOtter, kind: .callback, startedAt: 1_800_000_000.25,
                             request: m, response: Message(status: 401, body: "{}"))
        let line = LogCodec.encode(entry)
        let o = try XCTUnwrap(try JSONValue.parse(line)["request"]?.objectValue)
        XCTAssertEqual(o["bodyTruncated"], .bool(true))
        XCTAssertEqual(o["bodySize"]?.intValue, big.count)
        XCTAssertEqual(o["bodySha256"]?.stringValue, t.sha256)
        let back = try LogCodec.decode(try JSONValue.parse(line), lineNumber: 1)
        XCTAssertEqual(back.request?.truncated, t)
        XCTAssertEqual(back.request?.body, m.body)
        XCTAssertNil(back.response?.truncated)
        XCTAssertFalse(LogCodec.encode(back).isEmpty)
        XCTAssertEqual(LogCodec.encode(back), line)

        let rep = LogEntry(seq: 9, record: "DEL-03", direction: nil, kind: .repeats, startedAt: 1_800_000_001.5,
                           repeats: Repeats(of: 4, count: 997, lastAt: 1_800_000_030.125))
        let repLine = LogCodec.encode(rep)
        XCTAssertTrue(repLine.contains(#""repeats":{"of":4,"count":997,"lastAt":"2027-01-15T08:00:30.125Z"}"#), repLine)
        let repBack = try LogCodec.decode(try JSONValue.parse(repLine), lineNumber: 9)
        XCTAssertEqual(repBack.kind, .repeats)
        XCTAssertEqual(repBack.repeats, Repeats(of: 4, count: 997, lastAt: 1_800_000_030.125))
    }

    func testMalformedTruncationAndRepeatsAreNamed() {
        func err(_ s: String) -> String {
            do { _ = try LogCodec.decode(try JSONValue.parse(s), lineNumber: 3); return "ok" } catch { return "\(error)" }
        }
        let head = #"{"kind":"callback","startedAt":"2026-11-29T10:00:00Z","request":{"method":"POST","url":"/v1/x","body":"{","#
        XCTAssertEqual(err(head + #""bodyTruncated":"yes"}}"#), "line 3: 'request.bodyTruncated' must be true or false")
        XCTAssertEqual(err(head + #""bodyTruncated":true,"bodySha256":"\#(String(repeating: "a", count: 64))"}}"#),
                       "line 3: 'request.bodySize' must be the truncated body's size in bytes")
        XCTAssertEqual(err(head + #""bodyTruncated":true,"bodySize":300000,"bodySha256":"ABC"}}"#),
                       "line 3: 'request.bodySha256' must be the truncated body's SHA-256 (64 lowercase hex digits)")
        XCTAssertEqual(err(head + #""bodyTruncated":false}}"#), "ok")
        XCTAssertEqual(err(#"{"kind":"repeats","startedAt":"2026-11-29T10:00:00Z"}"#),
                       "line 3: a repeats line needs 'repeats': {of: line seq, count >= 1, lastAt}")
        XCTAssertEqual(err(#"{"kind":"repeats","startedAt":"2026-11-29T10:00:00Z","repeats":{"of":2,"count":5,"lastAt":"later"}}"#),
                       "line 3: 'repeats.lastAt' is not an RFC 3339 time: 'later'")
    }

    func testRedactionIsStableAndComparable() {
        let r = Redactor(salt: "s1")
        XCTAssertEqual(r.mask("tok"), r.mask("tok"))
        XCTAssertNotEqual(r.mask("tok"), Redactor(salt: "s2").mask("tok"))
        XCTAssertEqual(r.mask(r.mask("tok")), r.mask("tok"))
        let h = r.headers([("Authorization", "Bearer abc.def"), ("X-Store-Id", "s")])
        XCTAssertEqual(h[0].value, "Bearer " + r.mask("abc.def"))
        XCTAssertEqual(h[1].value, "s")
        XCTAssertEqual(r.body("grant_type=client_credentials&client_secret=p%40ss&scope=a+b"),
                       "grant_type=client_credentials&client_secret=\(r.mask("p@ss"))&scope=a+b")
        let json = r.body(#"{"access_token":"xyz","expires_in":3600}"#)
        XCTAssertFalse(json.contains("xyz")); XCTAssertTrue(json.contains(r.mask("xyz")))
    }

    func testHARCaptureIsClassifiedAndRedacted() throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: Repo.path("Fixtures/har/delivery-quote-ok.har"))))
        let (entries, unclassified) = try HARImporter.entries(from: bytes, redactor: Redactor(salt: "t"))
        XCTAssertEqual(entries.map(\.kind), [.token, .webhook, .callback])
        XCTAssertEqual(unclassified, 1, "the favicon request is not about Otter")
        let all = entries.map(LogCodec.encode).joined()
        XCTAssertFalse(all.contains("har-raw-token-7Q2x"))
        XCTAssertFalse(all.contains("har-client-secret-Zk81"))
        XCTAssertThrowsError(try HARImporter.entries(from: Array("{\"log\":{}}".utf8), redactor: Redactor(salt: "t"))) { e in
            XCTAssertEqual("\(e)", "line 1: not a HAR file: 'log.entries' must be an array")
        }
    }

    /// A capture of one quote flow: the one webhook binds the first record it fits (DEL-03, a plain quote) and no
    /// other; the records that need what only `run` can do say so instead of borrowing its evidence.
    func testHARQuoteFlowsBindOneRecordAndFailItWithTheReason() throws {
        func verdicts(_ file: String) throws -> [String: Verdict] {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: Repo.path("Fixtures/har/\(file)"))))
            let ev = Evaluator(checklist: try Repo.checklist(.delivery), endpoints: try OtterHarnessDataEndpoints(), schemas: nil)
            for e in try HARImporter.entries(from: bytes, redactor: Redactor(salt: "t")).entries { ev.consume(e) }
            return Dictionary(uniqueKeysWithValues: ev.finish().verdicts.map { ($0.id, $0) })
        }
        func verdict(_ file: String) throws -> Verdict { try verdicts(file)["DEL-03"]! }
        let ok = try verdicts("delivery-quote-ok.har")
        XCTAssertEqual(ok["DEL-03"]?.status, .passed, ok["DEL-03"]?.reason ?? "")
        XCTAssertEqual(ok["DEL-04"]?.status, .skipped, "one webhook belongs to one record")
        XCTAssertTrue(ok["DEL-11"]!.reason.contains("holds no 503 answer to POST /v1/delivery/{deliveryReferenceId}/quotes to retry after; replay with otter-cert run"),
                      ok["DEL-11"]!.reason)
        XCTAssertTrue(ok["DEL-02"]!.reason.contains("invalid signature"), ok["DEL-02"]!.reason)
        let wrong = try verdict("delivery-quote-wrong-event-id.har")
        XCTAssertEqual(wrong.status, .failed)
        XCTAssertTrue(wrong.reason.contains("X-Event-Id was 7f3c2b1a-0000-4000-a000-000000000000, expected"), wrong.reason)
        let late = try verdict("delivery-quote-late.har")
        XCTAssertEqual(late.status, .failed)
        XCTAssertTrue(late.reason.contains("arrived 41.4 s after the webhook, deadline 30 s"), late.reason)
    }

    func testInvalidSignaturesAreToldApartWithTheSecret() throws {
        // The recorded run as a capture would hold it (no record tags, no signature markers, no run line):
        // DEL-02 can only be found by checking signatures.
        let lines = try Repo.passingLog(.delivery).compactMap { line -> String? in
            var o = try JSONValue.parse(line).objectValue!
            if o["kind"]?.stringValue == "run" { return nil }
            o["record"] = nil; o["step"] = nil; o["tags"] = nil
            return JSONValue.object(o).serialized()
        }
        let without = try Repo.evaluate(.delivery, lines: lines).verdicts.first { $0.id == "DEL-02" }!
        XCTAssertEqual(without.status, .skipped)
        XCTAssertTrue(without.reason.contains("give --webhook-secret"), without.reason)
        let with = try Repo.evaluate(.delivery, lines: lines, secret: "fixture-webhook-secret").verdicts.first { $0.id == "DEL-02" }!
        XCTAssertEqual(with.status, .passed, with.reason)
    }
}

private func OtterHarnessDataEndpoints() throws -> EndpointTable {
    try Repo.spec().endpoints
}
