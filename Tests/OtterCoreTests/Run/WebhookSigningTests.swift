import XCTest
import OtterCore
import OtterCrypto

/// How the harness signs the webhooks it sends, and fills webhook fixtures.
final class WebhookSigningTests: XCTestCase {
    let body = Array(#"{"eventId":"e-1","eventType":"ping.ping"}"#.utf8)

    func testHMACIsOverTheExactBodyInBase64OrHex() {
        let mac = Digest.hmacSHA256(key: Array("s3cret".utf8), message: body)
        let b64 = WebhookSigner(auth: .hmac(encoding: .base64), secret: "s3cret").headers(for: body)
        XCTAssertEqual(b64.map(\.name), ["X-HMAC-SHA256"])
        XCTAssertEqual(b64[0].value, Digest.base64(mac))
        let hex = WebhookSigner(auth: .hmac(encoding: .hex), secret: "s3cret").headers(for: body)
        XCTAssertEqual(hex[0].value, Digest.hex(mac))
        XCTAssertEqual(hex[0].value.count, 64)
        // One byte more in the body is another signature.
        XCTAssertNotEqual(WebhookSigner(auth: .hmac(encoding: .base64), secret: "s3cret").headers(for: body + [32])[0].value, b64[0].value)
    }

    func testAnInvalidSignatureIsNotTheValidOne() {
        let s = WebhookSigner(auth: .hmac(encoding: .base64), secret: "s3cret")
        XCTAssertNotEqual(s.headers(for: body, valid: false)[0].value, s.headers(for: body)[0].value)
    }

    func testBasicAndBearerModesCarryTheSecret() {
        let basic = WebhookSigner(auth: .basic(user: "otter"), secret: "pw").headers(for: body)
        XCTAssertEqual(basic.first { $0.name == "Authorization" }?.value, "Basic " + Digest.base64(Array("otter:pw".utf8)))
        let bearer = WebhookSigner(auth: .bearer, secret: "tok").headers(for: body)
        XCTAssertEqual(bearer.first { $0.name == "Authorization" }?.value, "Bearer tok")
        XCTAssertNotNil(bearer.first { $0.name == "X-HMAC-SHA256" }, "the HMAC header is always sent")
    }

    /// The legacy HMAC-SHA1, checked against openssl's (`printf '{"a":1}' | openssl dgst -sha1 -hmac k3y -binary | base64`).
    func testLegacyHMACSHA1IsTheMACAuthorizationBesideTheSHA256Header() {
        let h = WebhookSigner(auth: .hmacSHA1, secret: "k3y").headers(for: Array(#"{"a":1}"#.utf8))
        XCTAssertEqual(h.first { $0.name == "Authorization" }?.value, "MAC gIezI+lUQbwdwgeapb6xU2BdU5Q=")
        XCTAssertNotNil(h.first { $0.name == "X-HMAC-SHA256" }, "the HMAC-SHA256 header is always sent")
        let wrong = WebhookSigner(auth: .hmacSHA1, secret: "k3y").headers(for: Array(#"{"a":1}"#.utf8), valid: false)
        XCTAssertNotEqual(wrong.first { $0.name == "Authorization" }?.value, "MAC gIezI+lUQbwdwgeapb6xU2BdU5Q=")
    }

    func testFixtureTemplatesStayValidJSONWhateverTheValues() throws {
        let (text, missing) = FixtureTemplate.fill(#"{"a":"{{x}}","b":"{{now+15m}}","c":"{{nope}}","d":"{{now}}"}"#,
                                                  vars: ["x": "quote \" backslash \\ newline \n"], now: 1795946400)
        XCTAssertEqual(missing, ["nope"])
        let v = try JSONValue.parse(text)
        XCTAssertEqual(v["a"]?.stringValue, "quote \" backslash \\ newline \n")
        XCTAssertEqual(v["b"]?.stringValue, "2026-11-29T10:15:00.000Z")
        XCTAssertEqual(v["d"]?.stringValue, "2026-11-29T10:00:00.000Z")
        XCTAssertEqual(v["c"]?.stringValue, "{{nope}}")
    }
}
