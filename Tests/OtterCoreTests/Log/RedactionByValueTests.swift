import XCTest
import OtterCore
import OtterCrypto
import TestSupport

/// Redaction by value: every known secret, in each of its encodings, wherever it appears; and by name, in every
/// spelling of a secret's name.
final class RedactionByValueTests: XCTestCase {
    let webhookSecret = "Wh+sec/ret@42!xyz", clientSecret = "cs-7Q/2+zz kk", clientId = "client-echo-9"

    func redactor() -> Redactor {
        var r = Redactor(salt: "salt-1")
        r.spare(["store-77"])
        r.learn(webhookSecret, label: "webhook-secret")
        r.learn(clientSecret, label: "client-secret")
        r.learn(clientId, label: "client-id")
        r.learnPair(user: clientId, secret: clientSecret, label: "client-credentials")
        return r
    }

    /// The forms a reader (or a grep) would look for.
    func forms(_ s: String) -> [String] {
        let raw = Array(s.utf8)
        let b64 = Data(raw).base64EncodedString()
        let url = b64.replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        return [s, b64, b64.replacingOccurrences(of: "=", with: ""), url, url.replacingOccurrences(of: "=", with: ""),
                percent(s, upper: true), percent(s, upper: false), percent(s, upper: true, plus: true), Digest.hex(raw), Digest.hex(raw).uppercased()]
    }

    /// Percent-encoding as URL libraries write it: RFC 3986's unreserved characters kept.
    func percent(_ s: String, upper: Bool, plus: Bool = false) -> String {
        let keep = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
        return s.utf8.map { b -> String in
            if keep.contains(b) { return String(UnicodeScalar(b)) }
            if plus && b == 0x20 { return "+" }
            return "%" + String(format: upper ? "%02X" : "%02x", b)
        }.joined()
    }

    func assertClean(_ text: String, of secrets: [String], _ message: String = "", file: StaticString = #filePath, line: UInt = #line) {
        for s in secrets {
            for f in forms(s) where text.contains(f) {
                XCTFail("\(message): '\(f)' (a form of '\(s)') is in: \(text)", file: file, line: line)
            }
        }
    }

    func testEveryEncodingOfAKnownSecretIsReplacedByItsLabelWherever() {
        let r = redactor()
        for f in forms(webhookSecret) {
            XCTAssertEqual(r.text("echo: [\(f)] done"), "echo: [<redacted:webhook-secret>] done", f)
            XCTAssertEqual(r.text("x\(f)y"), "x<redacted:webhook-secret>y", "a secret of 8 bytes or more is found inside other text: \(f)")
        }
        // Inside the base64 of a longer text, at each of the three alignments.
        for prefix in ["", "a", "ab", "abc"] {
            let b64 = Data((prefix + "webhook=" + webhookSecret + "&more").utf8).base64EncodedString()
            let out = r.text(b64)
            XCTAssertTrue(out.contains("<redacted:webhook-secret>"), "prefix '\(prefix)': \(out)")
        }
        // JSON-escaped, with the slash escaped too.
        XCTAssertEqual(r.text(#"{"a":"Wh+sec\/ret@42!xyz"}"#), #"{"a":"<redacted:webhook-secret>"}"#)
    }

    func testHeadersQueriesBodiesAndKeysOfEveryKind() {
        let r = redactor()
        let basic = "Basic " + Data((clientId + ":" + clientSecret).utf8).base64EncodedString()
        let e = r.entry(LogEntry(seq: 0, direction: .partnerToOtter, kind: .callback, startedAt: 0,
                                 request: Message(method: "POST", url: "http://sandbox/v1/x?access_token=abc123456&note=\(percent(clientSecret, upper: true))&page=2",
                                                  headers: [("Authorization", basic), ("X-Echo", "got " + webhookSecret), ("X-" + clientId, "1"),
                                                            ("X-Auth-Token", "unknown-value-1"), ("X-Store-Id", "store-77")],
                                                  body: #"{"webhookSecret":"someone-else","nested":{"Token":"t-1","apiKey":42,"list":["\#(clientSecret)"]},"storeId":"store-77"}"#),
                                 response: Message(status: 200, headers: [("Set-Cookie", "sid=1")], body: "plain text with \(clientId) in it")))
        let all = LogCodec.encode(e)
        assertClean(all, of: [webhookSecret, clientSecret, clientId, "someone-else", "t-1", "unknown-value-1", "abc123456"], "entry")
        let req = e.request!
        XCTAssertEqual(req.header("Authorization"), "Basic <redacted:client-credentials>")
        XCTAssertEqual(req.header("X-Echo"), "got <redacted:webhook-secret>")
        XCTAssertNotNil(req.header("X-<redacted:client-id>"), "a header's name is scanned too")
        XCTAssertEqual(req.header("X-Auth-Token"), r.mask("unknown-value-1"), "a credential header's unknown value gets its hash")
        XCTAssertEqual(req.header("X-Store-Id"), "store-77", "ids are never masked")
        XCTAssertEqual(req.url, "http://sandbox/v1/x?access_token=\(r.mask("abc123456"))&note=<redacted:client-secret>&page=2")
        let json = req.json!
        XCTAssertEqual(json["webhookSecret"]?.stringValue, r.mask("someone-else"), "camelCase names count")
        XCTAssertEqual(json["nested"]?["Token"]?.stringValue, r.mask("t-1"))
        XCTAssertEqual(json["nested"]?["apiKey"]?.stringValue, r.mask("42"), "a number under a secret name becomes a string marker")
        XCTAssertEqual(json["nested"]?["list"]?[0]?.stringValue, "<redacted:client-secret>")
        XCTAssertEqual(json["storeId"]?.stringValue, "store-77")
        XCTAssertEqual(e.response?.header("Set-Cookie"), r.mask("sid=1"))
        XCTAssertEqual(e.response?.body, "plain text with <redacted:client-id> in it")
    }

    func testANumericSecretInJSONStaysJSON() throws {
        var r = Redactor(salt: "s")
        r.learn("31415926535897932", label: "client-secret")
        let out = r.body(#"{"n": 31415926535897932, "s": "x31415926535897932y", "big": 31415926535897932.0e1, "ok": 7}"#)
        let json = try JSONValue.parse(out)
        XCTAssertEqual(json["n"]?.stringValue, "<redacted:client-secret>")
        XCTAssertEqual(json["s"]?.stringValue, "x<redacted:client-secret>y")
        XCTAssertEqual(json["big"]?.stringValue, "<redacted:client-secret>", "the whole number is replaced")
        XCTAssertEqual(json["ok"]?.doubleValue, 7)
        XCTAssertEqual(r.body(#"client_secret=31415926535897932&x=1"#), "client_secret=<redacted:client-secret>&x=1")
        // Unknown numeric secrets are masked by name.
        let named = try JSONValue.parse(Redactor(salt: "s").body(#"{"client_secret": 123456, "secret": true}"#))
        XCTAssertEqual(named["client_secret"]?.stringValue, Redactor(salt: "s").mask("123456"))
        XCTAssertEqual(named["secret"]?.stringValue, Redactor(salt: "s").mask("true"))
    }

    func testATokenKeepsOneMarkerInEveryPlaceAndEncoding() throws {
        var r = Redactor(salt: "salt-2")
        let token = "Zq3_vX9-kL2mN8pR4tY7wB1cD5fG6hJ0aS2dF4gH6jK"
        r.learn(token)
        let marker = r.mask(token)
        let grant = r.entry(LogEntry(seq: 0, direction: .partnerToOtter, kind: .token, startedAt: 0,
                                     request: Message(method: "POST", url: "http://s/v1/auth/token", body: "grant_type=client_credentials"),
                                     response: Message(status: 200, body: #"{"access_token":"\#(token)","expires_in":3600}"#)))
        let call = r.entry(LogEntry(seq: 0, direction: .partnerToOtter, kind: .callback, startedAt: 0,
                                    request: Message(method: "POST", url: "http://s/v1/x?tok=\(token)",
                                                     headers: [("Authorization", "Bearer " + token), ("X-Echo-B64", Data(token.utf8).base64EncodedString())],
                                                     body: #"{"echo":"Bearer \#(token)","hex":"\#(Digest.hex(Array(token.utf8)))"}"#)))
        XCTAssertEqual(grant.response?.json?["access_token"]?.stringValue, marker)
        XCTAssertEqual(call.request?.header("Authorization"), "Bearer " + marker, "the token audit compares these two")
        XCTAssertEqual(call.request?.header("X-Echo-B64"), marker)
        XCTAssertEqual(call.request?.url, "http://s/v1/x?tok=\(marker)")
        XCTAssertEqual(call.request?.json?["echo"]?.stringValue, "Bearer " + marker)
        XCTAssertEqual(call.request?.json?["hex"]?.stringValue, marker)
    }

    func testShortSecretsAreMaskedOnlyAsWholeWordsAndTinyOnesNotByValue() {
        var r = Redactor(salt: "s")
        r.learn("pw1234", label: "short")
        r.learn("abc", label: "tiny")
        XCTAssertEqual(r.text("secret is pw1234."), "secret is <redacted:short>.")
        XCTAssertEqual(r.text("xpw1234y and pw12345"), "xpw1234y and pw12345", "not inside a longer word")
        XCTAssertEqual(r.text("abc abc"), "abc abc", "under 4 bytes: never by value")
        XCTAssertEqual(r.text("password=abc"), "password=\(r.mask("abc"))", "still by name")
    }

    func testSparedIdsAndMarkersAreLeftAlone() {
        var r = Redactor(salt: "s")
        r.spare(["store-id-12345"])
        r.learn("store-id-12345", label: "client-id")
        XCTAssertEqual(r.text("store-id-12345"), "store-id-12345")
        XCTAssertFalse(r.knowsValues)
        r.learn("<redacted:abc>", label: "x")
        XCTAssertFalse(r.knowsValues, "a marker is no secret")
    }

    func testURLCredentialsAreMaskedInTheLogAndInReports() {
        let r = Redactor(salt: "s")
        let url = "https://user:pw%40x@partner.example/hook?token=abc&client_secret=def&accessToken=ghi&page=1#access_token=jkl"
        let logged = r.url(url)
        XCTAssertEqual(logged, "https://\(r.mask("user:pw@x"))@partner.example/hook?token=\(r.mask("abc"))&client_secret=\(r.mask("def"))&accessToken=\(r.mask("ghi"))&page=1#access_token=\(r.mask("jkl"))")
        XCTAssertEqual(ReportMask.url(url), "https://<redacted>@partner.example/hook?token=<redacted>&client_secret=<redacted>&accessToken=<redacted>&page=1#access_token=<redacted>")
        XCTAssertEqual(ReportMask.url(logged), logged, "masking twice changes nothing")
        XCTAssertEqual(ReportMask.url("user:pw@host/x"), "<redacted>@host/x", "a URL without a scheme")
    }

    func testNamesInEverySpellingInFreeText() {
        for name in ["client_secret", "clientSecret", "Client-Secret", "webhookSecret", "WEBHOOK_SECRET", "token", "authorization", "apiKey",
                     "api_key", "X-Api-Key", "access_token", "refreshToken", "stripe_api_key", "partnerPassword"] {
            XCTAssertTrue(SecretNames.isSecret(name), name)
            XCTAssertEqual(ReportMask.text("a=1&\(name)=v4lue&b=2"), "a=1&\(name)=<redacted>&b=2", name)
            XCTAssertEqual(ReportMask.text(#"{"\#(name)": "v4lue"}"#), #"{"\#(name)": "<redacted>"}"#, name)
        }
        for name in ["nextToken", "pageToken", "offsetToken", "storeId", "eventId", "X-Event-Id", "paymentAuthorizer", "authorizationCode", "key"] {
            XCTAssertFalse(SecretNames.isSecret(name), name)
        }
        XCTAssertEqual(ReportMask.text(#"{"nextToken": "p2", "client_secret": 12}"#), #"{"nextToken": "p2", "client_secret": "<redacted>"}"#)
        XCTAssertTrue(ReportMask.isSecretHeader("X-Echo-Token"))
        XCTAssertFalse(ReportMask.isSecretHeader("X-Event-Id"))
    }

    /// A webhook whose body redaction had to change is tagged, and its signature is not judged wrong.
    func testAWebhookWhoseBodyWasRedactedIsNotCalledBadlySigned() throws {
        var lines = try Repo.passingLog(.delivery)
        lines.removeFirst()  // no run line: the log is read like a capture, so signatures are checked with the secret
        let entries = try lines.enumerated().map { i, l -> LogEntry in
            var e = try LogCodec.decode(try JSONValue.parse(l), lineNumber: i + 1)
            e.tags.removeAll()
            return e
        }
        func verdicts(_ entries: [LogEntry]) throws -> (ok: Bool, warnings: [String]) {
            let ev = Evaluator(checklist: try Repo.checklist(.delivery), endpoints: try Repo.spec().endpoints, schemas: nil,
                               options: EvaluationOptions(webhookSecret: Array("fixture-webhook-secret".utf8)))
            for e in entries { ev.consume(e) }
            let r = ev.finish()
            return (r.verdicts.first { $0.id == "DEL-01" }?.status == .passed, r.warnings)
        }
        XCTAssertTrue(try verdicts(entries).ok, "the untouched log passes DEL-01")
        var r = Redactor(salt: "fixture-salt")
        r.learn("Hello from otter-cert", label: "webhook-secret")
        let redacted = entries.map(r.entry)
        let changed = redacted.filter { $0.tags.contains(Redactor.bodyRedactedTag) }
        XCTAssertFalse(changed.isEmpty)
        XCTAssertTrue(changed.allSatisfy { $0.kind == .webhook && !$0.request!.body.contains("Hello from otter-cert") })
        let (ok, warnings) = try verdicts(redacted)
        XCTAssertTrue(ok, "a redacted body is not a bad signature")
        XCTAssertTrue(warnings.contains { $0.contains("body redacted, cannot re-verify") }, "\(warnings)")
        // Without the tag the changed body would be judged as badly signed.
        XCTAssertFalse(try verdicts(redacted.map { var e = $0; e.tags.removeAll(); return e }).ok)
    }

    /// A thousand tokens (a partner that asks for a new one on every call), ten at a time sharing their first 8 bytes
    /// (and so their hex forms their first 16): each is still found, and a text that holds none is returned as it was.
    func testAThousandTokensWithCommonPrefixesAreEachFound() {
        var r = Redactor(salt: "s")
        let tokens = (0..<1200).map { i in String(format: "tok-%05d-", i) + UUID().uuidString }
        for t in tokens { r.learn(t) }
        let text = "{\"items\":[" + (0..<2000).map { #"{"id":"\#(UUID().uuidString)","n":\#($0)}"# }.joined(separator: ",") + "]}"
        XCTAssertEqual(r.values(text, json: true), text)
        for i in [0, 1, 7, 999, 1198, 1199] {
            let t = tokens[i]
            XCTAssertEqual(r.values("a " + t + " b"), "a " + r.mask(t) + " b", "token \(i)")
            XCTAssertEqual(r.values(Data(t.utf8).base64EncodedString()), r.mask(t), "token \(i), base64")
            XCTAssertEqual(r.values("0x" + Digest.hex(Array(t.utf8)).uppercased()), "0x" + r.mask(t), "token \(i), hex")
        }
    }

    func testLiveRedactorLearnsTokensForEveryoneAtOnce() {
        let live = LiveRedactor(Redactor(salt: "s"))
        XCTAssertEqual(live.text("tok-0123456789"), "tok-0123456789")
        live.learn("tok-0123456789")
        XCTAssertEqual(live.text("tok-0123456789"), Redactor(salt: "s").mask("tok-0123456789"))
    }
}
