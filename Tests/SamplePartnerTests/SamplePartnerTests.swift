import Foundation
import OtterCore
import OtterHTTP
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// End-to-end over loopback: the built `otter-cert sample-partner` against a fake Otter.
final class SamplePartnerTests: XCTestCase {
    override class func setUp() {
        super.setUp()
        // libcurl honours proxy variables; loopback test traffic must never go to a proxy.
        setenv("no_proxy", "127.0.0.1,localhost", 1)
    }

    private func start(_ type: String, fault: String? = nil) throws -> (FakeOtter, PartnerProcess) {
        let otter = try FakeOtter()
        addTeardownBlock { otter.stop() }
        let partner = try PartnerProcess(type: type, otter: otter, fault: fault)
        addTeardownBlock { partner.stop() }
        return (otter, partner)
    }

    private static let dropoff: JSONValue = [
        "fullAddress": "500 Howard St, San Francisco, CA 94105, US",
        "location": ["latitude": 37.7879, "longitude": -122.3966],
    ]

    private static func quoteRequest(_ ref: String, dropoff: Bool = true) -> JSONValue {
        var payload: JSONObject = [
            "deliveryReferenceId": .string(ref), "provider": "otter-cert-courier", "preferredPickupDuration": 15,
            "pickupAddress": ["fullAddress": "1 Market St", "location": ["latitude": 37.7941, "longitude": -122.3951]],
            "currencyCode": "USD", "orderSubTotal": 13.5,
        ]
        if dropoff { payload["dropoffAddress"] = Self.dropoff }
        return .object(payload)
    }

    private static func newOrder(_ orderId: String) -> JSONValue {
        ["externalIdentifiers": ["id": .string(orderId), "friendlyId": "F001", "source": "otter-cert",
                                 "sourceType": "ORDERING_MARKETPLACE"],
         "currencyCode": "USD", "status": "NEW_ORDER",
         "items": [["quantity": 1, "price": 2.5, "id": "item-coke", "name": "Canned Coke"]]]
    }

    /// Sends a correctly signed webhook and checks it was acknowledged with an empty 200.
    @discardableResult
    private func deliver(_ partner: PartnerProcess, _ type: String, _ payload: JSONValue,
                         file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let (eventId, body) = PartnerProcess.envelope(type, payload: payload)
        let ack = try partner.sendWebhook(body, signature: PartnerProcess.signature(body))
        XCTAssertEqual(ack.status, 200, file: file, line: line)
        return eventId
    }

    // MARK: Webhooks

    func testSignedQuoteRequestIsAcknowledgedAtOnceThenQuoted() throws {
        let (otter, partner) = try start("delivery")
        XCTAssertTrue(partner.stdout.hasPrefix("sample-partner listening on http://127.0.0.1:\(partner.port)/webhook\n"),
                      partner.stdout)
        let ref = "dref-1"
        let (eventId, body) = PartnerProcess.envelope("delivery.request_quote", payload: Self.quoteRequest(ref))
        let ack = try partner.sendWebhook(body, signature: PartnerProcess.signature(body))
        XCTAssertEqual(ack.status, 200)
        XCTAssertEqual(ack.body, [], "the acknowledgement has an empty body")
        XCTAssertLessThan(ack.seconds, 1.0, "acknowledged before the work is done")

        let quotes = otter.waitFor("POST", "/v1/delivery/\(ref)/quotes")
        let quote = try XCTUnwrap(quotes.first, "no quotes callback")
        XCTAssertEqual(quote.header("X-Event-Id"), eventId)
        XCTAssertEqual(quote.header("X-Store-Id"), PartnerProcess.storeId)
        XCTAssertEqual(quote.header("Authorization"), "Bearer \(FakeOtter.token)")
        XCTAssertEqual(quote.header("Content-Type"), "application/json")
        let json = try XCTUnwrap(quote.json, "body is not JSON: \(quote.text)")
        XCTAssertEqual(json["currencyCode"]?.stringValue, "USD")
        XCTAssertNotNil(json["createdAt"]?.stringValue)
        XCTAssertGreaterThanOrEqual(json["maxPickupDuration"]?.doubleValue ?? -1, json["minPickupDuration"]?.doubleValue ?? 0)

        let token = try XCTUnwrap(otter.calls("POST", "/v1/auth/token").first, "no token request")
        XCTAssertTrue(token.text.contains("grant_type=client_credentials"), token.text)
        XCTAssertTrue(token.text.contains("scope=delivery.provider+callback.error.write"), token.text)
        XCTAssertFalse(partner.stderr.contains("test-client-secret"), "a secret was logged")
        XCTAssertFalse(partner.stderr.contains(FakeOtter.token), "the token was logged")

        partner.stop()
        XCTAssertEqual(partner.process.terminationReason, .exit)
        XCTAssertEqual(partner.process.terminationStatus, 0, "SIGTERM stops the partner cleanly")
    }

    func testHexSignatureIsAcceptedToo() throws {
        let (otter, partner) = try start("delivery")
        let (_, body) = PartnerProcess.envelope("delivery.request_quote", payload: Self.quoteRequest("dref-hex"))
        let ack = try partner.sendWebhook(body, signature: hexSignature(body))
        XCTAssertEqual(ack.status, 200)
        XCTAssertEqual(otter.waitFor("POST", "/v1/delivery/dref-hex/quotes").count, 1)
    }

    func testBadSignatureIsRejectedWithNoSideEffects() throws {
        let (otter, partner) = try start("delivery")
        let (_, body) = PartnerProcess.envelope("delivery.request_quote", payload: Self.quoteRequest("dref-2"))
        let ack = try partner.sendWebhook(body, signature: PartnerProcess.signature(body, secret: "wrong-secret"))
        XCTAssertEqual(ack.status, 401)
        XCTAssertTrue(String(decoding: ack.body, as: UTF8.self).contains("\"error\""))
        Thread.sleep(forTimeInterval: 1.0)
        XCTAssertEqual(otter.calls.map { "\($0.method) \($0.path)" }, [], "a forged webhook caused calls")
    }

    func testDuplicateEventIdProducesOneCallback() throws {
        let (otter, partner) = try start("delivery")
        let (_, body) = PartnerProcess.envelope("delivery.request_quote", payload: Self.quoteRequest("dref-3"))
        XCTAssertEqual(try partner.sendWebhook(body, signature: PartnerProcess.signature(body)).status, 200)
        XCTAssertEqual(try partner.sendWebhook(body, signature: PartnerProcess.signature(body)).status, 200)
        otter.waitFor("POST", "/v1/delivery/dref-3/quotes")
        Thread.sleep(forTimeInterval: 1.0)
        XCTAssertEqual(otter.calls("POST", "/v1/delivery/dref-3/quotes").count, 1)
    }

    func testQuoteWithoutDropoffGetsAnErrorCallback() throws {
        let (otter, partner) = try start("delivery")
        let eventId = try deliver(partner, "delivery.request_quote", Self.quoteRequest("dref-4", dropoff: false))
        let error = try XCTUnwrap(otter.waitFor("POST", "/v1/delivery/callback/error").first)
        XCTAssertEqual(error.header("X-Event-Id"), eventId)
        XCTAssertEqual(error.json?["errorCode"]?.stringValue, "INVALID_ARGUMENT")
        XCTAssertNotNil(error.json?["errorMessage"]?.stringValue)
        XCTAssertEqual(otter.calls("POST", "/v1/delivery/dref-4/quotes").count, 0)
    }

    func testAnOrderWithoutItemsGetsAnErrorCallbackAndIsNotReportedAsCreated() throws {
        let (otter, partner) = try start("pos")
        var order = Self.newOrder("order-empty").objectValue!
        order["items"] = []
        let eventId = try deliver(partner, "orders.new_order", .object(order))
        let error = try XCTUnwrap(otter.waitFor("POST", "/v1/callback/error").first, "no error callback")
        XCTAssertEqual(error.header("X-Event-Id"), eventId)
        XCTAssertEqual(error.json?["errorCode"]?.stringValue, "INVALID_ARGUMENT")
        XCTAssertTrue(error.json?["errorMessage"]?.stringValue?.contains("no items") == true, error.text)
        XCTAssertEqual(otter.calls("POST", "/manager/order/v1/orders/order-created").count, 0)
    }

    /// stores.fetch_credentials is a question: the acknowledgement carries the answer, and nothing else is called.
    func testFetchCredentialsIsAnsweredInTheAcknowledgement() throws {
        let (otter, partner) = try start("orders")
        let (_, body) = PartnerProcess.envelope("stores.fetch_credentials", store: nil, payload: ["credentials": []])
        let ack = try partner.sendWebhook(body, signature: PartnerProcess.signature(body))
        XCTAssertEqual(ack.status, 200)
        let answer = try XCTUnwrap(try? JSONValue.parse(ack.body), "the answer is not JSON: \(String(decoding: ack.body, as: UTF8.self))")
        XCTAssertEqual(answer["credentialsSchemaVersion"]?.stringValue, "1.0")
        let credentials = answer["credentials"]?.arrayValue ?? []
        XCTAssertEqual(credentials.compactMap { $0["key"]?.stringValue }, ["email", "password"])
        XCTAssertTrue(credentials.allSatisfy { $0["label"]?.stringValue != nil && $0["value"] == nil }, "labels, and no values without a store")
        // A repeat is answered the same way.
        XCTAssertEqual(try partner.sendWebhook(body, signature: PartnerProcess.signature(body)).body, ack.body)
        Thread.sleep(forTimeInterval: 0.5)
        XCTAssertEqual(otter.calls.map { "\($0.method) \($0.path)" }.filter { $0 != "POST /v1/auth/token" }, [], "no callback for a synchronous answer")

        let (_, faulty) = try start("orders", fault: "empty-answer")
        let empty = try faulty.sendWebhook(body, signature: PartnerProcess.signature(body))
        XCTAssertEqual(empty.status, 200)
        XCTAssertEqual(empty.body, [], "--fault empty-answer answers like any other webhook")
    }

    /// stores.upsert without metadata.storeId creates a store (a new id of the partner's); with one, it updates it.
    func testStoreUpsertWithoutAStoreIdCreatesAStore() throws {
        let (otter, partner) = try start("orders")
        let payload: JSONValue = ["credentialsSchemaVersion": "1.0",
                                  "credentials": [["key": "email", "value": "o@example.com"], ["key": "password", "value": "pw"]],
                                  "storeInfo": ["name": "N", "address": "A", "currencyCode": "USD", "timezone": "America/Los_Angeles",
                                                "internalStoreId": "internal-9"]]
        let (created, body) = PartnerProcess.envelope("stores.upsert", store: nil, payload: payload)
        XCTAssertEqual(try partner.sendWebhook(body, signature: PartnerProcess.signature(body)).status, 200)
        let first = try XCTUnwrap(otter.waitFor("POST", "/v1/stores").first)
        XCTAssertEqual(first.header("X-Event-Id"), created)
        XCTAssertEqual(first.header("X-Application-Id"), PartnerProcess.applicationId)
        XCTAssertNil(first.header("X-Store-Id"), "a store being created has no id yet")
        XCTAssertEqual(first.json?["success"], true)
        XCTAssertEqual(first.json?["storeId"]?.stringValue, "sp-store-internal-9")

        try deliver(partner, "stores.upsert", payload)
        let second = try XCTUnwrap(otter.waitFor("POST", "/v1/stores", count: 2).last)
        XCTAssertEqual(second.json?["storeId"]?.stringValue, PartnerProcess.storeId, "an update keeps the store's id")
    }

    // MARK: Retries

    func test503IsRetriedWithTheSameEventIdAndBody() throws {
        let (otter, partner) = try start("delivery")
        otter.script("POST", "/v1/delivery/dref-5/quotes", [.error(503, code: "unavailable", message: "try again")])
        let eventId = try deliver(partner, "delivery.request_quote", Self.quoteRequest("dref-5"))
        let attempts = otter.waitFor("POST", "/v1/delivery/dref-5/quotes", count: 2)
        XCTAssertEqual(attempts.count, 2)
        guard attempts.count == 2 else { return }
        XCTAssertEqual(attempts[0].header("X-Event-Id"), eventId)
        XCTAssertEqual(attempts[1].header("X-Event-Id"), eventId)
        XCTAssertEqual(attempts[0].body, attempts[1].body, "a retry sends the same bytes")
        XCTAssertGreaterThanOrEqual(attempts[1].at.timeIntervalSince(attempts[0].at), 0.15, "backoff before the retry")
    }

    func test429WaitsForRetryAfter() throws {
        let (otter, partner) = try start("delivery")
        var limited = HTTPResponse.error(429, code: "rate_limited", message: "slow down")
        limited.headers.set("Retry-After", "1")
        otter.script("POST", "/v1/delivery/dref-6/quotes", [limited])
        try deliver(partner, "delivery.request_quote", Self.quoteRequest("dref-6"))
        let attempts = otter.waitFor("POST", "/v1/delivery/dref-6/quotes", count: 2)
        XCTAssertEqual(attempts.count, 2)
        guard attempts.count == 2 else { return }
        XCTAssertGreaterThanOrEqual(attempts[1].at.timeIntervalSince(attempts[0].at), 1.0, "retried before Retry-After")
        XCTAssertEqual(attempts[0].header("X-Event-Id"), attempts[1].header("X-Event-Id"))
    }

    func test401RefreshesTheTokenOnce() throws {
        let (otter, partner) = try start("delivery")
        otter.script("POST", "/v1/delivery/dref-7/quotes", [.error(401, code: "unauthenticated", message: "expired")])
        try deliver(partner, "delivery.request_quote", Self.quoteRequest("dref-7"))
        XCTAssertEqual(otter.waitFor("POST", "/v1/delivery/dref-7/quotes", count: 2).count, 2)
        XCTAssertEqual(otter.calls("POST", "/v1/auth/token").count, 2, "a fresh token after the 401")
    }

    // MARK: Faults

    func testWrongEventIdFaultSendsAnotherEventId() throws {
        let (otter, partner) = try start("delivery", fault: "wrong-event-id")
        let eventId = try deliver(partner, "delivery.request_quote", Self.quoteRequest("dref-8"))
        let quote = try XCTUnwrap(otter.waitFor("POST", "/v1/delivery/dref-8/quotes").first)
        let sent = try XCTUnwrap(quote.header("X-Event-Id"))
        XCTAssertNotEqual(sent, eventId)
        XCTAssertFalse(sent.isEmpty)
    }

    func testHelpListsEveryFault() throws {
        let help = Process()
        help.executableURL = PartnerProcess.binary
        help.arguments = ["sample-partner", "serve", "--help"]
        let out = Pipe()
        help.standardOutput = out
        try help.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        help.waitUntilExit()
        XCTAssertEqual(help.terminationStatus, 0)
        for fault in ["accept-bad-signature", "slow-ack", "error-ack", "skip-callback", "wrong-event-id", "no-token",
                      "no-retry", "ignore-retry-after", "duplicate-side-effects", "statuses-out-of-order",
                      "no-error-callback", "bad-totals", "wrong-store", "empty-answer"] {
            XCTAssertTrue(text.contains(fault), "--help does not mention \(fault)")
        }
    }

    // MARK: Actions through the hook

    func testConfirmActionThroughTheHook() throws {
        let (otter, partner) = try start("pos")
        let orderId = "order-1"
        let eventId = try deliver(partner, "orders.new_order", Self.newOrder(orderId))
        let created = try XCTUnwrap(otter.waitFor("POST", "/manager/order/v1/orders/order-created").first)
        XCTAssertEqual(created.header("X-Event-Id"), eventId)

        let result = try partner.runActionHook("pos.confirm_order", vars: ["orderId": .string(orderId), "source": "otter-cert"])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertEqual(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "{}")
        let confirm = try XCTUnwrap(otter.calls("POST", "/manager/order/v1/sources/otter-cert/orders/\(orderId)/confirm").first,
                                    "the confirm call was not made before the hook returned")
        XCTAssertEqual(confirm.header("X-Store-Id"), PartnerProcess.storeId)
        XCTAssertEqual(confirm.header("Authorization"), "Bearer \(FakeOtter.token)")
        XCTAssertEqual(confirm.json?["estimatedPrepTimeMinutes"]?.doubleValue, 15)
    }

    func testConfirmingACancelledOrderIsRefused() throws {
        let (otter, partner) = try start("pos")
        let orderId = "order-2"
        try deliver(partner, "orders.new_order", Self.newOrder(orderId))
        otter.waitFor("POST", "/manager/order/v1/orders/order-created")
        try deliver(partner, "orders.cancel_order",
                    ["externalIdentifiers": ["id": .string(orderId), "source": "otter-cert"],
                     "cancellationReason": "CUSTOMER_CALLED_TO_CANCEL"])

        let result = try partner.runActionHook("pos.confirm_order", vars: ["orderId": .string(orderId), "source": "otter-cert"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("order \(orderId) was cancelled"), result.stderr)
        XCTAssertEqual(result.stdout, "")
        XCTAssertEqual(otter.calls("POST", "/manager/order/v1/sources/otter-cert/orders/\(orderId)/confirm").count, 0)
    }

    func testCreateOrderReturnsTheNewOrderIdAndTotalsAddUp() throws {
        let (otter, partner) = try start("orders")
        let result = try partner.runActionHook("orders.create_order", vars: [:])
        XCTAssertEqual(result.status, 0, result.stderr)
        let vars = try XCTUnwrap(try? JSONValue.parse(result.stdout), result.stdout)
        let orderId = try XCTUnwrap(vars["orderId"]?.stringValue)
        let order = try XCTUnwrap(otter.calls("POST", "/v1/orders").first?.json)
        XCTAssertEqual(order["externalIdentifiers"]?["id"]?.stringValue, orderId)
        let t = try XCTUnwrap(order["orderTotal"])
        func v(_ k: String) -> Double { t[k]?.doubleValue ?? .nan }
        XCTAssertEqual(v("total"), v("subtotal") - v("discount") + v("tax") + v("tip") + v("deliveryFee"), accuracy: 0.001)

        let cancel = try partner.runActionHook("orders.cancel_order", vars: ["orderId": .string(orderId)])
        XCTAssertEqual(cancel.status, 0, cancel.stderr)
        XCTAssertEqual(otter.calls("POST", "/v1/orders/\(orderId)/status").first?.json?["orderStatus"]?.stringValue, "CANCELED")
    }

    func testCourierMovesInOrderAfterAccept() throws {
        let (otter, partner) = try start("delivery")
        let ref = "dref-9"
        try deliver(partner, "delivery.request_quote", Self.quoteRequest(ref))
        try deliver(partner, "delivery.accept", Self.quoteRequest(ref))
        XCTAssertNotNil(otter.waitFor("POST", "/v1/delivery/\(ref)/accept").first)
        let result = try partner.runActionHook("delivery.advance_courier", vars: ["deliveryReferenceId": .string(ref)])
        XCTAssertEqual(result.status, 0, result.stderr)
        let statuses = otter.calls("PUT", "/v1/delivery/\(ref)/status")
        XCTAssertEqual(statuses.compactMap { $0.json?["deliveryStatus"]?.stringValue },
                       ["ALLOCATED", "ARRIVED_AT_PICKUP", "PICKED_UP", "ARRIVED_AT_DROP_OFF", "COMPLETED"])
        XCTAssertTrue(statuses.allSatisfy { $0.json?["courier"]?["name"]?.stringValue != nil })
    }

    private func hexSignature(_ body: [UInt8]) -> String {
        let b64 = PartnerProcess.signature(body)
        let bytes = [UInt8](Data(base64Encoded: b64)!)
        return bytes.map { String(format: "%02x", $0) }.joined()
    }
}
