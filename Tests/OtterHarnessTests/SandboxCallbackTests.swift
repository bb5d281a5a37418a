import Foundation
import OtterClient
import OtterCore
import OtterHarness
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
