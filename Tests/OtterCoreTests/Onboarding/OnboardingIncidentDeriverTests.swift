import XCTest
@testable import OtterCore
import TestSupport

final class OnboardingIncidentDeriverTests: XCTestCase {
    let t0 = Timestamp.parse("2026-03-02T12:00:00Z")!

    func derive(_ entries: [LogEntry], rules: IncidentRules = .defaults) -> [Incident] {
        let d = IncidentDeriver(rules: rules, calendar: DayCalendar(identifier: "UTC")!)
        for e in entries { d.consume(e) }
        return d.finish().values.flatMap { $0.days.values.flatMap(\.incidents) }.sorted { $0.firstAt < $1.firstAt }
    }

    func call(_ method: String, _ path: String, store: String = "s1", eventId: String? = nil, at t: Double, status: Int, body: String = "",
              responseBody: String = "") -> LogEntry {
        var h: [(name: String, value: String)] = [("Authorization", "Bearer <redacted:aaaaaaaaaaaa>"), ("X-Store-Id", store)]
        if let eventId { h.append(("X-Event-Id", eventId)) }
        return LogEntry(seq: 1, direction: .partnerToOtter, kind: .callback, startedAt: t, durationMs: 10,
                        request: Message(method: method, url: "https://api.example" + path, headers: h, body: body),
                        response: Message(status: status, body: responseBody))
    }

    func testBundledRulesFileEqualsBuiltInDefaults() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("checklists/incident-rules.json")
        var file = try JSONValue.parse(String(contentsOf: url, encoding: .utf8)).objectValue!
        file["description"] = nil
        XCTAssertEqual(JSONValue.object(file), try JSONValue.parse(IncidentRules.defaultDocument))
        let rules = try IncidentRules(json: .object(file))
        XCTAssertEqual(rules.callbacks.count, IncidentRules.defaults.callbacks.count)
    }

    func testRulesErrorsNameThePath() {
        XCTAssertThrowsError(try IncidentRules(json: ["version": "1", "ack": ["withinMs": 10, "statuss": "2xx"]])) { e in
            XCTAssertTrue("\(e)".contains("$.ack: unknown key 'statuss' (did you mean 'status'?)"), "\(e)")
        }
        XCTAssertThrowsError(try IncidentRules(json: ["version": "1", "ack": ["withinMs": 10],
                                                      "storm": ["status": "6xx", "count": 1, "windowSeconds": 1]])) { e in
            XCTAssertTrue("\(e)".contains("$.storm.status"), "\(e)")
        }
    }

    func testCallbackInTimeIsClean() {
        let e = OnboardingLogGenerator.newOrder(seq: 1, storeId: "s1", eventId: "e1", at: t0)
        let c = OnboardingLogGenerator.orderCreated(seq: 2, storeId: "s1", eventId: "e1", at: t0 + 5)
        XCTAssertEqual(derive([e, c, call("GET", "/v1/ping", at: t0 + 600, status: 200)]), [])
    }

    func testMissingLateAndRejectedCallbacks() {
        let late = derive([OnboardingLogGenerator.newOrder(seq: 1, storeId: "s1", eventId: "e1", at: t0),
                           OnboardingLogGenerator.orderCreated(seq: 2, storeId: "s1", eventId: "e1", at: t0 + 90)])
        XCTAssertEqual(late.map(\.cause), ["order-not-injected"])
        XCTAssertTrue(late[0].evidence.contains("came 90 s later, limit 60 s"), late[0].evidence)

        let rejected = derive([OnboardingLogGenerator.newOrder(seq: 1, storeId: "s1", eventId: "e1", at: t0),
                               OnboardingLogGenerator.orderCreated(seq: 2, storeId: "s1", eventId: "e1", at: t0 + 5, status: 422),
                               call("GET", "/v1/ping", at: t0 + 3600, status: 200)])
        XCTAssertEqual(rejected.map(\.cause), ["order-not-injected"])
        XCTAssertTrue(rejected[0].evidence.contains("no POST /manager/order/v1/orders/order-created answered 2xx within 60 s"))

        // The logs end before the deadline: not judged.
        let open = IncidentDeriver(rules: .defaults, calendar: DayCalendar(identifier: "UTC")!)
        open.consume(OnboardingLogGenerator.newOrder(seq: 1, storeId: "s1", eventId: "e1", at: t0))
        XCTAssertTrue(open.finish()["s1"]!.days.values.allSatisfy { $0.incidents.isEmpty })
        XCTAssertEqual(open.stats.openAtEnd, 1)
    }

    func testWebhookAcknowledgement() {
        var slow = OnboardingLogGenerator.newOrder(seq: 1, storeId: "s1", eventId: "e1", at: t0)
        slow.durationMs = 4500
        var failed = OnboardingLogGenerator.newOrder(seq: 2, storeId: "s1", eventId: "e2", at: t0 + 1)
        failed.response = nil
        failed.error = TransportFailure(kind: "timeout", message: "no answer in 10 s")
        let bad = OnboardingLogGenerator.newOrder(seq: 3, storeId: "s1", eventId: "e3", at: t0 + 2, status: 500)
        let found = derive([slow, OnboardingLogGenerator.orderCreated(seq: 4, storeId: "s1", eventId: "e1", at: t0 + 3),
                            failed, OnboardingLogGenerator.orderCreated(seq: 5, storeId: "s1", eventId: "e2", at: t0 + 4),
                            bad, OnboardingLogGenerator.orderCreated(seq: 6, storeId: "s1", eventId: "e3", at: t0 + 5)])
        XCTAssertEqual(found.map(\.cause), ["webhook-not-acknowledged"])
        XCTAssertEqual(found[0].count, 3)
        XCTAssertTrue(found[0].evidence.contains("acknowledged after 4500 ms, limit 3000 ms"), found[0].evidence)
    }

    func testErrorCallbackStormAndFailedMenuUpsert() {
        let webhook = OnboardingLogGenerator.newOrder(seq: 1, storeId: "s1", eventId: "e1", at: t0)
        let err = call("POST", "/v1/callback/error", eventId: "e1", at: t0 + 3, status: 200,
                       body: #"{"errorCode":"FAILED_PRECONDITION","errorMessage":"item 42 unknown, token Bearer abc.def"}"#)
        var storm: [LogEntry] = []
        for i in 0..<5 { storm.append(call("POST", "/v1/menus", at: t0 + 100 + Double(i), status: 503)) }
        let upsert = call("POST", "/v1/menus", at: t0 + 200, status: 422)
        let job = call("GET", "/v1/menus/jobs/j1", at: t0 + 300, status: 200, responseBody: #"{"id":"j1","status":"FAILED"}"#)
        let found = derive([webhook, err] + storm + [upsert, job])
        XCTAssertEqual(found.map(\.cause), ["error-callback", "error-storm", "menu-update-failed"])
        XCTAssertTrue(found[0].evidence.contains("about webhook orders.new_order e1: FAILED_PRECONDITION: item 42 unknown"), found[0].evidence)
        XCTAssertFalse(found[0].evidence.contains("abc.def"), "credentials in free text are masked")
        XCTAssertEqual(found[2].count, 2)
    }

    func testPosInjectionFailureWebhook() {
        let body: JSONValue = ["eventId": "e9", "eventType": "orders.pos_injection_state_update",
                               "metadata": ["storeId": "s1", "payload": ["injectionState": "INJECTION_FAILED"]]]
        let w = LogEntry(seq: 1, direction: .otterToPartner, kind: .webhook, startedAt: t0, durationMs: 5,
                         request: Message(method: "POST", url: "https://p/webhook", body: body.serialized()), response: Message(status: 200))
        XCTAssertEqual(derive([w]).map(\.cause), ["order-not-injected"])
    }
}
