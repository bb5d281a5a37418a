import Foundation
import OtterCore
import TestSupport
import XCTest

/// A token the API refused with 401 (kept from an earlier run, or expired): the partner must fetch a new one, and
/// reusing the refused token is a violation, but only once the partner could know.
final class StaleTokenTests: XCTestCase {
    /// A quote callback of the passing delivery log (DEL-03's, line 6), sent with `token` at `time`, answered `status`.
    func call(_ line: String, seq: Int, time: String, token: String, status: Int, path: String? = nil) throws -> String {
        var o = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        o["seq"] = seq; o["startedAt"] = time; o["durationMs"] = 2.0; o["record"] = nil
        var request = try XCTUnwrap(o["request"] as? [String: Any])
        if let path { request["url"] = "http://127.0.0.1:9200" + path }
        request["headers"] = (request["headers"] as? [[String]] ?? []).map { $0[0] == "Authorization" ? ["Authorization", "Bearer \(token)"] : $0 }
        o["request"] = request
        o["response"] = status == 401
            ? ["status": 401, "headers": [["WWW-Authenticate", "Bearer error=\"invalid_token\""]], "body": #"{"error":"invalid_token"}"#]
            : ["status": status, "headers": [], "body": ""]
        return String(decoding: try JSONSerialization.data(withJSONObject: o), as: UTF8.self)
    }

    /// DEL-03's verdict when these lines come just before its own quote callback (10:00:02.500).
    func del03(with extra: (String) throws -> [String]) throws -> Verdict {
        var lines = try Repo.passingLog(.delivery)
        let i = try XCTUnwrap(lines.firstIndex { $0.contains("\"seq\":6,") && $0.contains("/quotes") })
        lines.insert(contentsOf: try extra(lines[i]), at: i)
        return try XCTUnwrap(try Repo.evaluate(.delivery, lines: lines).verdicts.first { $0.id == "DEL-03" })
    }

    static let stale = "<redacted:0123456789ab>"
    static let other = "/v1/delivery/8c0992b9-c849-447c-af08-0c2ca2b60fe4/quotes"

    func testACallOnAnotherResourceAlreadyUnderWayIsNotAReuse() throws {
        let v = try del03 { l in [
            try self.call(l, seq: 9001, time: "2026-11-29T10:00:02.300Z", token: Self.stale, status: 401),
            // Another thread of the partner, 0.2 s after the 401 was answered: it had read the token before.
            try self.call(l, seq: 9002, time: "2026-11-29T10:00:02.502Z", token: Self.stale, status: 401, path: Self.other),
        ] }
        XCTAssertEqual(v.status, .passed, v.reason)
        XCTAssertTrue(v.reason.contains("answered 401 and replaced by a new one"), v.reason)
    }

    func testTheRefusedCallSentAgainWithTheSameTokenIsAReuse() throws {
        let v = try del03 { l in [
            try self.call(l, seq: 9001, time: "2026-11-29T10:00:02.300Z", token: Self.stale, status: 401),
            try self.call(l, seq: 9002, time: "2026-11-29T10:00:02.350Z", token: Self.stale, status: 401),
        ] }
        XCTAssertEqual(v.status, .failed)
        XCTAssertTrue(v.reason.contains("the bearer token was used again after the API answered 401 to it"), v.reason)
    }

    func testAnotherCallWellAfterThe401IsAReuse() throws {
        let v = try del03 { l in [
            try self.call(l, seq: 9001, time: "2026-11-29T10:00:01.300Z", token: Self.stale, status: 401),
            try self.call(l, seq: 9002, time: "2026-11-29T10:00:02.000Z", token: Self.stale, status: 401, path: Self.other),
        ] }
        XCTAssertEqual(v.status, .failed)
        XCTAssertTrue(v.reason.contains("used again after the API answered 401"), v.reason)
    }

    /// A token presented before the log's grant of it, then after: the early call is a token never issued, the later
    /// ones are valid (the audit's lookup of a header is remembered only until a grant changes what it names).
    func testATokenSeenBeforeItsGrantIsValidOnceGranted() throws {
        var lines = try Repo.passingLog(.delivery)
        let quote = try XCTUnwrap(lines.first { $0.contains("\"seq\":6,") && $0.contains("/quotes") })
        // Before the token call (10:00:00.000), a call with the very token it will grant, refused 401.
        lines.insert(try call(quote, seq: 9001, time: "2026-11-29T09:59:59.000Z", token: "<redacted:0d77157cb568>", status: 401,
                              path: Self.other), at: 1)
        let verdicts = try Repo.evaluate(.delivery, lines: lines).verdicts
        XCTAssertEqual(verdicts.count, 12)
        XCTAssertEqual(verdicts.filter { $0.status != .passed }.map { "\($0.id): \($0.reason)" }, [])
    }
}
