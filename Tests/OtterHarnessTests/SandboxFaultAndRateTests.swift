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
        rig.sandbox.setFaults([try quoteFault(429, headers: [("Retry-After", "2")])], vars: [:])
        let event = rig.announce(record: "DEL-12")
        let first = rig.quote(token: token, eventId: event)
        XCTAssertEqual(first.status, 429)
        XCTAssertEqual(first.header("Retry-After"), "2")
        XCTAssertEqual(rig.quote(token: token, eventId: event).status, 204)
        rig.sandbox.setFaults([], vars: [:])
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
