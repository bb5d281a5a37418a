import Foundation
import OtterClient
@testable import OtterCore
import OtterHarness
import XCTest

final class SandboxFaultAndRateTests: XCTestCase {
    private func quoteFault(_ status: Int, headers: [(name: String, value: String)] = []) throws -> Fault {
        Fault(method: "POST", path: try PathTemplate("/v1/delivery/{deliveryReferenceId}/quotes"), status: status, times: 1, headers: headers)
    }

    func testInjected503AnswersOnceThenTheNormal204() throws {
        let rig = try SandboxRig()
        let token = rig.token()
        rig.sandbox.setActiveRecord("DEL-11", step: "trigger")
        rig.sandbox.setFaults([try quoteFault(503)], vars: ["deliveryReferenceId": "ref-11"])
        let event = rig.announce(record: "DEL-11")
        // Another delivery reference does not match the expanded template.
        XCTAssertEqual(rig.quote(token: token, eventId: event, reference: "ref-other").status, 204)
        let first = rig.quote(token: token, eventId: event, reference: "ref-11")
        XCTAssertEqual(first.status, 503)
        XCTAssertEqual(first.json?["error"]?.stringValue, "unavailable")
        XCTAssertEqual(rig.quote(token: token, eventId: event, reference: "ref-11").status, 204, "the retry gets the normal answer")
        let logged = rig.log.entries.filter { $0.kind == .callback }
        XCTAssertEqual(logged.map { $0.response?.status ?? 0 }, [204, 503, 204])
        XCTAssertEqual(logged[1].tags, ["injected-fault"])
    }

    func testInjected429CarriesRetryAfterThenTheNormal204() throws {
        let rig = try SandboxRig()
        let token = rig.token()
        rig.sandbox.recordStep("DEL-12", step: "trigger")
        rig.sandbox.setFaults([try quoteFault(429, headers: [("Retry-After", "2")])], vars: [:], for: "DEL-12")
        let event = rig.announce(record: "DEL-12")
        let first = rig.quote(token: token, eventId: event)
        XCTAssertEqual(first.status, 429)
        XCTAssertEqual(first.header("Retry-After"), "2")
        XCTAssertEqual(rig.quote(token: token, eventId: event).status, 204)
        rig.sandbox.recordEnded("DEL-12")
    }

    /// Two records running side by side, each injecting a fault on the same template (its variable unbound): each
    /// call gets the fault of the record it belongs to, told by its X-Event-Id or by the resource id in its path,
    /// never by which record started last; a call that belongs to neither gets none.
    func testFaultsOfRecordsRunningSideBySideGoToTheirOwnCalls() throws {
        let rig = try SandboxRig()
        let token = rig.token()
        for (id, status) in [("DEL-11", 503), ("DEL-12", 429)] {
            rig.sandbox.recordStep(id, step: "trigger")
            rig.sandbox.setFaults([try quoteFault(status)], vars: [:], for: id)
        }
        let e11 = rig.announce(record: "DEL-11"), e12 = rig.announce(record: "DEL-12")
        rig.sandbox.handedOut(["ref-12"], by: "DEL-12")
        rig.sandbox.handedOut(["ref-11"], by: "DEL-11")
        XCTAssertEqual(rig.quote(token: token, eventId: e12, reference: "ref-12").status, 429, "DEL-12's call gets DEL-12's fault")
        XCTAssertEqual(rig.quote(token: token, eventId: e11, reference: "ref-11").status, 503, "DEL-11's call gets DEL-11's fault")
        XCTAssertEqual(rig.quote(token: token, eventId: e11, reference: "ref-11").status, 204, "once only")
        XCTAssertEqual(rig.quote(token: token, eventId: e12, reference: "ref-12").status, 204, "once only")
        // A call with neither a known X-Event-Id nor an id of one record is nobody's: no fault, no record tag.
        rig.sandbox.setFaults([try quoteFault(503)], vars: [:], for: "DEL-11")
        XCTAssertEqual(rig.quote(token: token, eventId: nil, reference: "ref-1").status, 400, "X-Event-Id is required")
        let unknown = rig.send("POST", "/v1/delivery/ref-1/quotes", headers: [("Authorization", "Bearer \(token)"), ("X-Store-Id", SandboxRig.storeId),
                                                                              ("X-Event-Id", e12), ("Content-Type", "application/json")],
                               body: #"{"currencyCode":"USD","minPickupDuration":10}"#)
        XCTAssertEqual(unknown.status, 204, "DEL-12's eventId: DEL-11's fault does not apply")
        let logged = rig.log.entries.filter { $0.kind == .callback }
        XCTAssertEqual(logged.map { $0.record ?? "-" }, ["DEL-12", "DEL-11", "DEL-11", "DEL-12", "-", "DEL-12"])
        XCTAssertEqual(logged.map { $0.tags.contains("injected-fault") }, [true, true, false, false, false, false])
        // A call naming a resource of one record only is that record's, without an X-Event-Id (a status update).
        rig.sandbox.setFaults([Fault(method: "PUT", path: try PathTemplate("/v1/delivery/{deliveryReferenceId}/status"), status: 503, times: 1, headers: [])],
                              vars: [:], for: "DEL-11")
        func status(_ reference: String) -> ClientResponse {
            rig.send("PUT", "/v1/delivery/\(reference)/status", headers: [("Authorization", "Bearer \(token)"), ("X-Store-Id", SandboxRig.storeId),
                                                                          ("Content-Type", "application/json")], body: #"{"deliveryStatus":"ALLOCATED"}"#)
        }
        XCTAssertEqual(status("ref-1").status, 204, "ref-1 is no running record's: no fault")
        XCTAssertNil(rig.log.entries.last?.record)
        XCTAssertEqual(status("ref-11").status, 503, "DEL-11's fault, found by its delivery reference in the path")
        XCTAssertEqual(rig.log.entries.last?.record, "DEL-11")
    }

    func testNinthQuoteWithinAMinuteIs429WithRetryAfter() throws {
        let rig = try SandboxRig()
        let token = rig.token()
        let event = rig.announce()
        for i in 1...8 { XCTAssertEqual(rig.quote(token: token, eventId: event).status, 204, "call \(i)") }
        let ninth = rig.quote(token: token, eventId: event)
        XCTAssertEqual(ninth.status, 429)
        XCTAssertEqual(ninth.json?["error"]?.stringValue, "rate_limited")
        let wait = try XCTUnwrap(Int(ninth.header("Retry-After") ?? ""), "Retry-After is whole seconds")
        XCTAssertGreaterThanOrEqual(wait, 1)
        XCTAssertLessThanOrEqual(wait, 60)
        // Another endpoint has its own window.
        XCTAssertEqual(rig.send("POST", "/v1/delivery/callback/error",
                                headers: [("Authorization", "Bearer \(token)"), ("X-Store-Id", SandboxRig.storeId), ("X-Event-Id", event)],
                                body: #"{"errorCode":"UNAVAILABLE","errorMessage":"busy"}"#).status, 200)
    }

    /// A provider running two deliveries at once, each sending its courier statuses, lives within the limit: it is
    /// counted per store and resource (8 a minute for each delivery's status path), not across the application.
    func testTwoDeliveriesAdvancingAtOnceEachHaveTheirOwnLimit() throws {
        let rig = try SandboxRig()
        let token = rig.token(scope: "delivery.provider")
        var statuses: [Int] = []
        for state in ["ALLOCATED", "ARRIVED_AT_PICKUP", "PICKED_UP", "ARRIVED_AT_DROP_OFF", "COMPLETED"] {
            for ref in ["d-one", "d-two"] {
                statuses.append(rig.send("PUT", "/v1/delivery/\(ref)/status",
                                         headers: [("Authorization", "Bearer \(token)"), ("X-Store-Id", SandboxRig.storeId), ("Content-Type", "application/json")],
                                         body: #"{"deliveryStatus":"\#(state)"}"#).status)
            }
        }
        XCTAssertEqual(statuses, Array(repeating: 204, count: 10), "10 status updates for 2 deliveries within a minute")
        // One delivery still has its 8 a minute.
        let more = (1...4).map { _ in
            rig.send("PUT", "/v1/delivery/d-one/status",
                     headers: [("Authorization", "Bearer \(token)"), ("X-Store-Id", SandboxRig.storeId), ("Content-Type", "application/json")],
                     body: #"{"deliveryStatus":"COMPLETED"}"#).status
        }
        XCTAssertEqual(more, [204, 204, 204, 429], "the 9th call for d-one within the minute")
    }

    func testRateLimitsOffNeverAnswer429() throws {
        let rig = try SandboxRig(rateLimits: .off)
        let token = rig.token()
        let event = rig.announce()
        let statuses = (1...20).map { _ in rig.quote(token: token, eventId: event).status }
        XCTAssertEqual(statuses, Array(repeating: 204, count: 20))
    }

    func testScaledX2Allows16QuotesAMinute() throws {
        XCTAssertEqual(RateLimitMode(argument: "x2"), .scaled(2))
        XCTAssertEqual(RateLimitMode(argument: "x0.5"), .scaled(0.5))
        XCTAssertEqual(RateLimitMode(argument: "off"), .off)
        XCTAssertNil(RateLimitMode(argument: "fast"))
        let rig = try SandboxRig(rateLimits: .scaled(2))
        let token = rig.token()
        let event = rig.announce()
        let statuses = (1...17).map { _ in rig.quote(token: token, eventId: event).status }
        XCTAssertEqual(Array(statuses.prefix(16)), Array(repeating: 204, count: 16))
        XCTAssertEqual(statuses.last, 429)
    }
}
