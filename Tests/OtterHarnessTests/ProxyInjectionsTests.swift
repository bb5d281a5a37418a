import OtterCore
@testable import OtterHarness
import TestSupport
import XCTest

/// `proxy --inject`: which call meets which record's fault, when the proxy cannot say which record is running.
final class ProxyInjectionsTests: XCTestCase {
    let quotes = "/v1/delivery/dref-1/quotes"

    func plan(_ ids: [String]) throws -> ProxyInjections {
        let c = try Repo.checklist(.delivery)
        return ProxyInjections(records: ids.map { id in c.records.first { $0.id == id }! })
    }

    func testACallAndItsRetryMeetOneFaultThenPassAndTheNextWebhookMeetsTheNext() throws {
        var p = try plan(["DEL-11", "DEL-12"])
        let a = ProxyInjections.key(eventId: "evt-a", method: "POST", path: quotes)
        let b = ProxyInjections.key(eventId: "evt-b", method: "POST", path: "/v1/delivery/dref-2/quotes")
        XCTAssertEqual(p.take(method: "POST", path: quotes, key: a, binding: .unknown)?.fault.status, 503)
        // The retry of the same webhook's callback goes to Otter: DEL-11's 503 is given once, and DEL-12's 429 is
        // not the retry's.
        XCTAssertNil(p.take(method: "POST", path: quotes, key: a, binding: .unknown))
        let hit = try XCTUnwrap(p.take(method: "POST", path: "/v1/delivery/dref-2/quotes", key: b, binding: .unknown))
        XCTAssertEqual(hit.fault.status, 429)
        XCTAssertEqual(hit.response.headers["Retry-After"], "2")
        XCTAssertNil(p.take(method: "POST", path: "/v1/delivery/dref-2/quotes", key: b, binding: .unknown))
        XCTAssertNil(p.take(method: "POST", path: quotes, key: "event evt-c", binding: .unknown), "every fault has been given")
    }

    func testAWebhookAlreadyBoundToARecordMeetsOnlyThatRecordsFault() throws {
        var p = try plan(["DEL-11", "DEL-12"])
        XCTAssertNil(p.take(method: "POST", path: quotes, key: "event evt-2", binding: .record("DEL-02")),
                     "DEL-02's quote is not DEL-11's to fail")
        XCTAssertEqual(p.take(method: "POST", path: quotes, key: "event evt-12", binding: .record("DEL-12"))?.fault.status, 429)
        XCTAssertEqual(p.take(method: "POST", path: quotes, key: "event evt-11", binding: .record("DEL-11"))?.fault.status, 503)
    }

    func testOnlyTheFaultsPathAndMethodMeetIt() throws {
        var p = try plan(["DEL-11"])
        XCTAssertFalse(p.mightTake(method: "POST", path: "/v1/auth/token"))
        XCTAssertFalse(p.mightTake(method: "GET", path: quotes))
        XCTAssertNil(p.take(method: "POST", path: "/v1/delivery/dref-1/accept", key: "event e", binding: .unknown))
        XCTAssertTrue(p.mightTake(method: "POST", path: quotes))
        let hit = try XCTUnwrap(p.take(method: "POST", path: quotes, key: "POST " + quotes, binding: .unknown))
        XCTAssertEqual(hit.response.status, 503)
        XCTAssertFalse(p.mightTake(method: "POST", path: quotes), "spent")
    }
}
