import Foundation
import OtterClient
import OtterCore
import OtterHarness
import XCTest

final class SandboxTokenTests: XCTestCase {
    func testFormBodyCredentialsGetABearerTokenWithTheRequestedScopes() throws {
        let rig = try SandboxRig()
        let r = rig.tokenResponse()
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.header("Content-Type"), "application/json")
        let token = try XCTUnwrap(r.json?["access_token"]?.stringValue)
        XCTAssertEqual(token.count, 43, "32 random bytes, base64url without padding")
        XCTAssertTrue(token.allSatisfy { $0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" }, token)
        XCTAssertEqual(r.json?["token_type"]?.stringValue, "bearer")
        XCTAssertEqual(r.json?["expires_in"]?.intValue, 2_592_000, "the spec's 30 days")
        XCTAssertEqual(r.json?["scope"]?.stringValue, "delivery.provider callback.error.write")
        XCTAssertNotEqual(rig.token(), token, "every grant issues a fresh token")
    }

    func testHTTPBasicCredentialsAreAcceptedAndAJSONBodyOrNoScopeIsRefused() throws {
        let rig = try SandboxRig()
        let basic = Data("\(SandboxRig.clientId):\(SandboxRig.clientSecret)".utf8).base64EncodedString()
        let r = rig.send("POST", "/v1/auth/token", headers: [("Authorization", "Basic \(basic)"), ("Content-Type", "application/x-www-form-urlencoded")],
                         body: "grant_type=client_credentials&scope=ping")
        XCTAssertEqual(r.status, 200, r.text)
        XCTAssertEqual(r.json?["scope"]?.stringValue, "ping")
        let token = try XCTUnwrap(r.json?["access_token"]?.stringValue)
        XCTAssertEqual(rig.send("GET", "/v1/ping", headers: [("Authorization", "Bearer \(token)"), ("X-Store-Id", SandboxRig.storeId)]).status, 200)

        let j = rig.send("POST", "/v1/auth/token", headers: [("Content-Type", "application/json")],
                         body: #"{"grant_type":"client_credentials","client_id":"demo-client","client_secret":"\#(SandboxRig.clientSecret)","scope":"ping"}"#)
        XCTAssertEqual(j.status, 400, "the spec's requestToken takes a form, not JSON")
        XCTAssertEqual(j.json?["error"]?.stringValue, "invalid_request")
        XCTAssertTrue(j.text.contains("application/x-www-form-urlencoded"), j.text)

        let noScope = rig.send("POST", "/v1/auth/token", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                               body: "grant_type=client_credentials&client_id=demo-client&client_secret=\(SandboxRig.clientSecret)")
        XCTAssertEqual(noScope.status, 400, "scope is required by OAuthTokenGenerationRequest")
        XCTAssertEqual(noScope.json?["error"]?.stringValue, "invalid_scope")
    }

    /// Every scope the spec documents can be granted (finance, reports, orders.read … were once refused), and a token
    /// lives 30 days unless the run says otherwise.
    func testEveryDocumentedScopeIsGrantedForThirtyDays() throws {
        let rig = try SandboxRig()
        let scopes = SandboxRig.spec.scopes.sorted()
        XCTAssertGreaterThanOrEqual(scopes.count, 29)
        let r = rig.tokenResponse(scope: scopes.joined(separator: " "))
        XCTAssertEqual(r.status, 200, String(decoding: r.body, as: UTF8.self))
        let json = try JSONValue.parse(r.body)
        XCTAssertEqual(json["expires_in"]?.intValue, 2_592_000)
        XCTAssertEqual(Set((json["scope"]?.stringValue ?? "").split(separator: " ").map(String.init)), Set(scopes))
        XCTAssertEqual(SandboxRig.spec.schemas.validate(json, against: "HydraToken"), [])
    }

    func testWrongSecretIs401InvalidClient() throws {
        let rig = try SandboxRig()
        let r = rig.tokenResponse(secret: "not-the-secret")
        XCTAssertEqual(r.status, 401)
        XCTAssertEqual(r.json?["error"]?.stringValue, "invalid_client")
        XCTAssertNotNil(r.json?["message"]?.stringValue)
        XCTAssertNil(r.json?["access_token"])

        let basic = Data("\(SandboxRig.clientId):wrong".utf8).base64EncodedString()
        let b = rig.send("POST", "/v1/auth/token", headers: [("Authorization", "Basic \(basic)")], body: "grant_type=client_credentials")
        XCTAssertEqual(b.status, 401)
        XCTAssertEqual(b.header("WWW-Authenticate"), "Basic realm=\"otter-sandbox\"")
    }

    func testWrongGrantTypeIs400UnsupportedGrantType() throws {
        let rig = try SandboxRig()
        let r = rig.tokenResponse(grant: "password")
        XCTAssertEqual(r.status, 400)
        XCTAssertEqual(r.json?["error"]?.stringValue, "unsupported_grant_type")
        let missing = rig.send("POST", "/v1/auth/token", headers: [("Content-Type", "application/x-www-form-urlencoded")],
                               body: "client_id=demo-client&client_secret=x")
        XCTAssertEqual(missing.status, 400)
        XCTAssertEqual(missing.json?["error"]?.stringValue, "invalid_request")
    }

    func testUnknownScopeIs400InvalidScope() throws {
        let rig = try SandboxRig()
        let r = rig.tokenResponse(scope: "delivery.provider admin.everything")
        XCTAssertEqual(r.status, 400)
        XCTAssertEqual(r.json?["error"]?.stringValue, "invalid_scope")
        XCTAssertTrue(r.json?["message"]?.stringValue?.contains("admin.everything") == true)
    }
}
