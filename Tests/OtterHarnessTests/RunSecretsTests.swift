import Foundation
import OtterClient
import OtterCore
import OtterHarness
import XCTest

/// The run's secrets reach the redactor: the configured ones before the run, each issued token before its answer is
/// logged, so the token is masked by one marker wherever it shows up afterwards.
final class RunSecretsTests: XCTestCase {
    func testATokenIsMaskedByTheSameMarkerInTheGrantAndWhereverItIsEchoed() throws {
        let rig = try SandboxRig()
        let token = rig.token()
        _ = rig.send("POST", "/v1/echo?access_token=\(token)&x=1",
                     headers: [("Authorization", "Bearer \(token)"), ("X-Echo", "got " + token), ("X-Echo-B64", Data(token.utf8).base64EncodedString())],
                     body: #"{"echo":"\#(token)"}"#)
        let marker = Redactor(salt: "test-salt").mask(token)
        let file = try String(contentsOfFile: rig.logPath, encoding: .utf8)
        XCTAssertFalse(file.contains(token), "the token itself never reaches the log")
        let entries = rig.log.entries
        XCTAssertEqual(entries.first { $0.kind == .token }?.response?.json?["access_token"]?.stringValue, marker)
        let echo = try XCTUnwrap(entries.first { $0.request?.path == "/v1/echo" }?.request)
        XCTAssertEqual(echo.header("Authorization"), "Bearer " + marker)
        XCTAssertEqual(echo.header("X-Echo"), "got " + marker)
        XCTAssertEqual(echo.header("X-Echo-B64"), marker)
        XCTAssertEqual(echo.json?["echo"]?.stringValue, marker)
        XCTAssertTrue(echo.url.hasSuffix("/v1/echo?access_token=\(marker)&x=1"), echo.url)
    }

    func testTheOptionsSecretsAndThePartnerURLsCredentialsAreKnown() {
        var o = RunOptions(type: .delivery, partnerURL: "https://hook-user-1:p%40ss-word-9@partner.example/hook?token=tok-abc-123&page=2",
                           webhookSecret: "webhook-secret-value", clientId: "demo", clientSecret: "client-secret-value", storeId: "store-7")
        o.webhookAuth = .basic(user: "demo")
        let r = RunSecrets.redactor(for: o, salt: "s")
        XCTAssertEqual(r.text("a webhook-secret-value b"), "a <redacted:webhook-secret> b")
        XCTAssertEqual(r.text(Data("demo:webhook-secret-value".utf8).base64EncodedString()), "<redacted:webhook-credentials>")
        XCTAssertEqual(r.text(Data("demo:client-secret-value".utf8).base64EncodedString()), "<redacted:client-credentials>")
        XCTAssertEqual(r.text("the demo store"), "the demo store", "a client id under 8 bytes is an ordinary word")
        XCTAssertEqual(r.text("p@ss-word-9 / p%40ss-word-9"), "<redacted:partner-url-password> / <redacted:partner-url-password>")
        XCTAssertEqual(r.text(Data("hook-user-1:p@ss-word-9".utf8).base64EncodedString()), "<redacted:partner-url-credentials>", "what libcurl sends")
        XCTAssertEqual(r.text("hook-user-1"), "<redacted:partner-url-user>")
        XCTAssertEqual(r.text("tok-abc-123"), "<redacted:partner-url-credential>")
        XCTAssertEqual(r.text("store-7 page=2"), "store-7 page=2")
        XCTAssertEqual(r.url(o.partnerURL), "https://<redacted:partner-url-credentials>@partner.example/hook?token=<redacted:partner-url-credential>&page=2")
        XCTAssertEqual(RunSecrets.shortSecretWarnings(for: o), [])
        o.clientSecret = "short7x"
        o.webhookSecret = "abc"
        XCTAssertEqual(RunSecrets.shortSecretWarnings(for: o).count, 2)
    }
}
