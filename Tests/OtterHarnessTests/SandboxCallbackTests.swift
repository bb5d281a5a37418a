import Foundation
import OtterClient
import OtterCore
import OtterHarness
import TestSupport
import XCTest

final class SandboxCallbackTests: XCTestCase {
    func testCallbackWithoutTokenIs401() throws {
        let rig = try SandboxRig()
        let r = rig.quote(token: nil, eventId: rig.announce())
        XCTAssertEqual(r.status, 401)
        XCTAssertEqual(r.json?["error"]?.stringValue, "unauthorized")
        XCTAssertTrue(r.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
        XCTAssertEqual(rig.quote(token: "made-up", eventId: rig.announce()).json?["error"]?.stringValue, "invalid_token")
    }

    func testExpiredTokenIs401() throws {
        let rig = try SandboxRig(tokenTTL: 1)
        let token = rig.token()
        XCTAssertEqual(rig.quote(token: token, eventId: rig.announce()).status, 204, "fresh token works")
        Thread.sleep(forTimeInterval: 1.2)
        let r = rig.quote(token: token, eventId: rig.announce())
        XCTAssertEqual(r.status, 401)
        XCTAssertEqual(r.json?["error"]?.stringValue, "invalid_token")
        XCTAssertTrue(r.json?["message"]?.stringValue?.contains("expired") == true, r.text)
    }

    func testTokenWithoutTheEndpointScopeIs403() throws {
        let rig = try SandboxRig()
        let r = rig.quote(token: rig.token(scope: "ping"), eventId: rig.announce())
        XCTAssertEqual(r.status, 403)
        XCTAssertEqual(r.json?["error"]?.stringValue, "insufficient_scope")
        XCTAssertTrue(r.json?["message"]?.stringValue?.contains("delivery.provider") == true, r.text)
    }

    func testStoreHeaderMissingIs400AndWrongStoreIs404() throws {
        let rig = try SandboxRig()
        let token = rig.token()
        let missing = rig.quote(token: token, store: nil, eventId: rig.announce())
        XCTAssertEqual(missing.status, 400)
        XCTAssertTrue(missing.json?["message"]?.stringValue?.contains("X-Store-Id") == true, missing.text)
        let wrong = rig.quote(token: token, store: "someone-elses-store", eventId: rig.announce())
        XCTAssertEqual(wrong.status, 404)
        XCTAssertTrue(wrong.json?["message"]?.stringValue?.contains("unknown store") == true, wrong.text)
    }

    func testUnknownEventIdIs404() throws {
        let rig = try SandboxRig()
        let r = rig.quote(token: rig.token(), eventId: "00000000-0000-0000-0000-000000000000")
        XCTAssertEqual(r.status, 404)
        XCTAssertTrue(r.json?["message"]?.stringValue?.contains("unknown event") == true, r.text)
    }

    func testInvalidBodyIs422NamingTheViolationAndValidBodyIs204() throws {
        let rig = try SandboxRig()
        let token = rig.token()
        let bad = rig.quote(token: token, eventId: rig.announce(), body: #"{"currencyCode": 840}"#)
        XCTAssertEqual(bad.status, 422)
        XCTAssertEqual(bad.json?["error"]?.stringValue, "validation_failed")
        XCTAssertTrue(bad.json?["message"]?.stringValue?.contains("$.currencyCode") == true, bad.text)
        let notJSON = rig.quote(token: token, eventId: rig.announce(), body: "currencyCode=USD")
        XCTAssertEqual(notJSON.status, 400)
        let good = rig.quote(token: token, eventId: rig.announce())
        XCTAssertEqual(good.status, 204)
        XCTAssertTrue(good.body.isEmpty)
    }

    func testStoreLinkNeedsTheSandboxApplicationId() throws {
        let rig = try SandboxRig()
        let token = rig.token(scope: "stores.manage")
        let event = rig.announce(record: "ALL-01")
        func upsert(_ app: String) -> ClientResponse {
            rig.send("POST", "/v1/stores", headers: [("Authorization", "Bearer \(token)"), ("X-Application-Id", app), ("X-Event-Id", event),
                                                   ("Content-Type", "application/json")], body: #"{"success":true,"storeId":"partner-store-001"}"#)
        }
        let wrong = upsert("someone-elses-app")
        XCTAssertEqual(wrong.status, 404)
        XCTAssertEqual(wrong.json?["error"]?.stringValue, "unknown_application")
        XCTAssertEqual(upsert("otter-cert-app").status, 204)
    }

    func testUnknownPathIs404AndWrongMethodIs405() throws {
        let rig = try SandboxRig()
        let token = rig.token()
        let unknown = rig.send("GET", "/v1/nowhere", headers: [("Authorization", "Bearer \(token)")])
        XCTAssertEqual(unknown.status, 404)
        XCTAssertEqual(unknown.json?["error"]?.stringValue, "not_found")
        let wrong = rig.send("GET", "/v1/delivery/ref-1/quotes", headers: [("Authorization", "Bearer \(token)")])
        XCTAssertEqual(wrong.status, 405)
        XCTAssertEqual(wrong.header("Allow"), "POST")
    }

    func testOrderUpsertAnswersTheOrderReference() throws {
        let rig = try SandboxRig()
        let token = rig.token(scope: "orders.create")
        let body = #"{"externalIdentifiers":{"id":"order-42","friendlyId":"42"},"currencyCode":"USD","status":"NEW_ORDER"}"#
        let r = rig.send("POST", "/v1/orders", headers: [("Authorization", "Bearer \(token)"), ("X-Store-Id", SandboxRig.storeId),
                                                       ("Content-Type", "application/json")], body: body)
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.json?["externalIdentifiers"]?["id"]?.stringValue, "order-42", "the order reference names the partner's order")
        XCTAssertNil(r.json?["orderId"], "the spec's OrderReference has no orderId")
        XCTAssertEqual(r.json?["storeId"]?.stringValue, SandboxRig.storeId)
        XCTAssertEqual(SandboxRig.spec.schemas.validate(try XCTUnwrap(r.json), against: "OrderReference"), [])
    }

    /// Answers are the spec's: a body where it documents one (valid against its schema), none where it documents none.
    func testAnswersHaveTheSpecsShape() throws {
        let rig = try SandboxRig()
        let ping = rig.send("GET", "/v1/ping", headers: [("Authorization", "Bearer \(rig.token(scope: "ping"))"), ("X-Store-Id", SandboxRig.storeId)])
        XCTAssertEqual(ping.status, 200, ping.text)
        XCTAssertEqual(ping.json?["response"]?.stringValue, "pong")
        XCTAssertEqual(SandboxRig.spec.schemas.validate(try XCTUnwrap(ping.json), against: "PongObject"), [])
        let token = rig.token(scope: "delivery.provider")
        let status = rig.send("PUT", "/v1/delivery/d-1/status", headers: [("Authorization", "Bearer \(token)"), ("X-Store-Id", SandboxRig.storeId),
                                                                     ("Content-Type", "application/json")], body: #"{"deliveryStatus":"ALLOCATED"}"#)
        XCTAssertEqual(status.status, 204, status.text)
        XCTAssertEqual(status.text, "", "204 has no body")
    }

    func testPortInUseIsAnEnvironmentError() throws {
        let rig = try SandboxRig()
        let port = try XCTUnwrap(Int(rig.sandbox.baseURL.split(separator: ":").last ?? ""))
        let other = OtterSandbox(configuration: SandboxConfiguration(port: port, clientId: "a", clientSecret: "b", storeId: "c"),
                                 spec: SandboxRig.spec,
                                 log: try EventLog(path: nil, redactor: Redactor(salt: "s")))
        XCTAssertThrowsError(try other.start()) { error in
            guard case HarnessError.environment(let m) = error else { return XCTFail("expected .environment, got \(error)") }
            XCTAssertTrue(m.contains("127.0.0.1:\(port) is already in use"), m)
        }
    }
}

/// The sandbox keeps what the run and the partner created, and answers from it as the spec documents.
final class SandboxStateTests: XCTestCase {
    func headers(_ token: String) -> [(String, String)] {
        [("Authorization", "Bearer \(token)"), ("X-Store-Id", SandboxRig.storeId), ("Content-Type", "application/json")]
    }

    func testUnknownIdsAre404AndHandedOutOnesAreNot() throws {
        let rig = try SandboxRig()
        let token = rig.token(scope: "delivery.provider")
        let unknown = rig.send("PUT", "/v1/delivery/never-sent/status", headers: headers(token), body: #"{"deliveryStatus":"ALLOCATED"}"#)
        XCTAssertEqual(unknown.status, 404)
        XCTAssertTrue(unknown.text.contains("unknown delivery 'never-sent'"), unknown.text)
        XCTAssertEqual(SandboxRig.spec.schemas.validate(try XCTUnwrap(unknown.json), against: "ErrorMessage"), [])
        // An id in a webhook the run sent is known from then on.
        rig.sandbox.webhookSent(eventId: UUID().uuidString, record: "DEL-03",
                                body: ["eventType": "delivery.request_quote", "metadata": ["payload": ["deliveryReferenceId": "from-webhook"]]])
        XCTAssertEqual(rig.send("PUT", "/v1/delivery/from-webhook/status", headers: headers(token), body: #"{"deliveryStatus":"ALLOCATED"}"#).status, 204)
    }

    func testADeliveryTakesNoStatusAfterItsLast() throws {
        let rig = try SandboxRig()
        let token = rig.token(scope: "delivery.provider")
        func status(_ s: String) -> ClientResponse {
            rig.send("PUT", "/v1/delivery/d-1/status", headers: headers(token), body: #"{"deliveryStatus":"\#(s)"}"#)
        }
        XCTAssertEqual(status("PICKED_UP").status, 204)
        XCTAssertEqual(status("COMPLETED").status, 204)
        XCTAssertEqual(status("COMPLETED").status, 204, "repeating the last status is a harmless retry")
        let after = status("ALLOCATED")
        XCTAssertEqual(after.status, 422, "422 is the spec's answer for updateDeliveryStatus")
        XCTAssertTrue(after.text.contains("delivery 'd-1' is COMPLETED"), after.text)
    }

    func testTheOrderFeedNeedsLimitAndPagesThroughWhatWasCreated() throws {
        let rig = try SandboxRig()
        let create = rig.token(scope: "orders.create")
        for i in 1...3 {
            let body = #"{"externalIdentifiers":{"id":"o-\#(i)","friendlyId":"\#(i)"},"currencyCode":"USD","status":"NEW_ORDER"}"#
            XCTAssertEqual(rig.send("POST", "/v1/orders", headers: headers(create), body: body).status, 200)
        }
        let manager = rig.token(scope: "manager.orders")
        let noLimit = rig.send("GET", "/manager/order/v1/orders", headers: headers(manager))
        XCTAssertEqual(noLimit.status, 400, "limit is required by managerGetOrderFeed")
        XCTAssertTrue(noLimit.text.contains("query parameter limit"), noLimit.text)
        let first = rig.send("GET", "/manager/order/v1/orders?limit=2", headers: headers(manager))
        XCTAssertEqual(first.status, 200, first.text)
        XCTAssertEqual(first.json?["orders"]?.arrayValue?.compactMap { $0["externalIdentifiers"]?["id"]?.stringValue }, ["o-1", "o-2"])
        XCTAssertEqual(SandboxRig.spec.schemas.validate(try XCTUnwrap(first.json), against: "OrderFeed"), [])
        let token = try XCTUnwrap(first.json?["offsetToken"]?.stringValue)
        let second = rig.send("GET", "/manager/order/v1/orders?limit=2&token=\(token.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)", headers: headers(manager))
        XCTAssertEqual(second.json?["orders"]?.arrayValue?.compactMap { $0["externalIdentifiers"]?["id"]?.stringValue }, ["o-3"])
        XCTAssertNil(second.json?["offsetToken"], "the last page has no token")
        let one = rig.send("GET", "/manager/order/v1/sources/any/orders/o-2", headers: headers(manager))
        XCTAssertEqual(one.json?["order"]?["externalIdentifiers"]?["friendlyId"]?.stringValue, "2")
        XCTAssertEqual(rig.send("GET", "/manager/order/v1/sources/any/orders/o-9", headers: headers(manager)).status, 404)
    }

    func testACanceledOrderKeepsItsStatus() throws {
        let rig = try SandboxRig()
        let token = rig.token(scope: "orders.create orders.update")
        let body = #"{"externalIdentifiers":{"id":"o-c","friendlyId":"c"},"currencyCode":"USD","status":"NEW_ORDER"}"#
        XCTAssertEqual(rig.send("POST", "/v1/orders", headers: headers(token), body: body).status, 200)
        XCTAssertEqual(rig.send("POST", "/v1/orders/o-c/status", headers: headers(token), body: #"{"orderStatus":"CANCELED"}"#).status, 202)
        let again = rig.send("POST", "/v1/orders/o-c/status", headers: headers(token), body: #"{"orderStatus":"FULFILLED"}"#)
        XCTAssertEqual(again.status, 422, again.text)
        XCTAssertEqual(rig.send("POST", "/v1/orders/o-unknown/status", headers: headers(token), body: #"{"orderStatus":"CANCELED"}"#).status, 404)
    }

    func testAMenuJobAdvancesAndPauseRequestsAreKept() throws {
        let rig = try SandboxRig()
        let token = rig.token(scope: "menus.upsert menus.async_job.read manager.storefront")
        let menu = try String(contentsOfFile: Repo.path("Fixtures/callbacks/menus_upsert.json"), encoding: .utf8)
        let job = rig.send("POST", "/v1/menus", headers: headers(token), body: menu)
        XCTAssertEqual(job.status, 202, job.text)
        XCTAssertEqual(SandboxRig.spec.schemas.validate(try XCTUnwrap(job.json), against: "MenuAsynchronousJob"), [])
        let id = try XCTUnwrap(job.json?["jobReference"]?["id"]?.stringValue)
        let polls = (1...2).map { _ in rig.send("GET", "/v1/menus/jobs/\(id)", headers: headers(token)).json?["jobReference"]?["status"]?.stringValue }
        XCTAssertEqual(polls, ["PENDING", "SUCCESS"])
        XCTAssertEqual(rig.send("GET", "/v1/menus/jobs/\(UUID().uuidString.lowercased())", headers: headers(token)).status, 404)

        let pause = rig.send("POST", "/manager/storefront/v1/storefront/pause", headers: headers(token), body: "{}")
        XCTAssertEqual(pause.status, 200, pause.text)
        let request = try XCTUnwrap(pause.json?["requestId"]?.stringValue)
        let status = rig.send("GET", "/manager/storefront/v1/storefront/pause/request/\(request)/status", headers: headers(token))
        XCTAssertEqual(status.status, 200, status.text)
        XCTAssertEqual(status.json?["processRequestStatuses"]?[0]?["requestId"]?.stringValue, request)
        XCTAssertEqual(rig.send("GET", "/manager/storefront/v1/storefront/unpause/request/\(request)/status", headers: headers(token)).status, 404,
                       "a pause request is not an unpause request")
    }
}
