import XCTest
import OtterCore
import TestSupport

/// HAR captures as real tools write them: form bodies as params only, a byte order mark, local times,
/// Authorization headers stripped by a sanitizer.
final class HARImportTests: XCTestCase {
    func quoteCapture(_ edit: (inout [[String: Any]]) -> Void = { _ in }) throws -> [UInt8] { try HARFixtures.quoteCapture(edit) }
    func request(_ e: inout [String: Any], _ edit: (inout [String: Any]) -> Void) { HARFixtures.request(&e, edit) }

    func evaluate(_ bytes: [UInt8], bearerUnavailable: String? = nil) throws -> [String: Verdict] {
        let ev = Evaluator(checklist: try Repo.checklist(.delivery), endpoints: try endpoints(), schemas: nil,
                           options: EvaluationOptions(bearerUnavailable: bearerUnavailable))
        for e in try HARImporter.read(bytes, redactor: Redactor(salt: "t")).entries { ev.consume(e) }
        return Dictionary(uniqueKeysWithValues: ev.finish().verdicts.map { ($0.id, $0) })
    }

    func testAFormGivenOnlyAsParamsIsRebuiltPercentEncodedAndStillGrantsTheToken() throws {
        let bytes = try quoteCapture { entries in
            request(&entries[0]) { r in
                r["postData"] = ["mimeType": "application/x-www-form-urlencoded", "params": [
                    ["name": "grant_type", "value": "client_credentials"],
                    ["name": "client_id", "value": "démo client&co"],
                    ["name": "client_secret", "value": "har-client-secret-Zk81"],
                    ["name": "scope", "value": "delivery.provider callback.error.write"],
                ]]
            }
        }
        let imported = try HARImporter.read(bytes, redactor: Redactor(salt: "t"))
        let body = imported.entries[0].request!.body
        XCTAssertTrue(body.hasPrefix("grant_type=client_credentials&client_id=d%C3%A9mo%20client%26co&client_secret=<redacted:"), body)
        XCTAssertTrue(body.hasSuffix("&scope=delivery.provider%20callback.error.write"), body)
        XCTAssertFalse(body.contains("har-client-secret-Zk81"), "the secret is redacted in the rebuilt form too")
        let token = try XCTUnwrap(try evaluate(bytes)["DEL-03"]?.checks.first)
        XCTAssertEqual(token.status, .passed, token.reason)
        XCTAssertTrue(token.reason.contains("token obtained with scope delivery.provider"), token.reason)
    }

    func testParamsThatAreNotNameValuePairsNameTheEntry() throws {
        let bytes = try quoteCapture { entries in
            request(&entries[0]) { r in r["postData"] = ["mimeType": "application/x-www-form-urlencoded", "params": [["value": "x"]]] }
        }
        XCTAssertThrowsError(try HARImporter.read(bytes, redactor: Redactor(salt: "t"))) { e in
            XCTAssertEqual("\(e)", "line 1: HAR entry 1: postData.params[0] needs a string 'name'")
        }
    }

    func testAByteOrderMarkIsAccepted() throws {
        let bytes = try quoteCapture()
        let imported = try HARImporter.read(HARFixtures.bom + bytes, redactor: Redactor(salt: "t"))
        XCTAssertEqual(imported.entries.map(\.kind), [.token, .webhook, .callback])
        XCTAssertEqual(imported.warnings, [])
    }

    func testTimesWithoutAUTCOffsetAreReadAsUTCWithOneWarningForTheFile() throws {
        let bytes = try quoteCapture(HARFixtures.dropUTCOffsets)
        let imported = try HARImporter.read(bytes, redactor: Redactor(salt: "t"))
        XCTAssertEqual(imported.entries[0].startedAt, Timestamp.parse("2026-11-29T10:00:00.000Z"))
        XCTAssertEqual(imported.warnings.count, 1, "one warning for the capture, not one per entry: \(imported.warnings)")
        XCTAssertTrue(imported.warnings[0].hasPrefix("4 HAR entries have a startedDateTime without a UTC offset (first: entry 1, '2026-11-29T10:00:00.000')"),
                      imported.warnings[0])
        XCTAssertEqual(try evaluate(bytes)["DEL-03"]?.status, .passed, "deadlines are judged as with the offset")
        let bad = try quoteCapture { entries in entries[1]["startedDateTime"] = "half past ten" }
        XCTAssertThrowsError(try HARImporter.read(bad, redactor: Redactor(salt: "t"))) { e in
            XCTAssertEqual("\(e)", "line 2: HAR entry 2: startedDateTime 'half past ten' is not an ISO 8601 time")
        }
    }

    func testStrippedAuthorizationHeadersSkipTheBearerChecksInsteadOfFailingEveryCall() throws {
        let stripped = try quoteCapture(HARFixtures.stripAuthorization)
        let imported = try HARImporter.read(stripped, redactor: Redactor(salt: "t"))
        let why = try XCTUnwrap(imported.bearerUnavailable)
        XCTAssertEqual(imported.warnings, [why], "said once")
        XCTAssertTrue(why.contains("none of the capture's 1 call(s) to the Otter API carries an Authorization header"), why)
        XCTAssertTrue(why.contains("bearer-token checks cannot be judged from this capture"), why)

        // The capture's one quote flow is DEL-03's. Judged as if the partner sent no token at all, its quotes callback
        // fails; with the option the callback passes, and the token check says why it cannot be judged.
        let plain = try evaluate(stripped)["DEL-03"]
        XCTAssertEqual(plain?.status, .failed)
        XCTAssertTrue(plain?.checks.contains { $0.reason == "no Authorization header" || $0.reason.hasSuffix("no Authorization header") } == true,
                      "\(plain?.checks.map(\.reason) ?? [])")
        let v = try evaluate(stripped, bearerUnavailable: why)
        XCTAssertEqual(v["DEL-03"]?.checks.last?.status, .passed, v["DEL-03"]?.checks.last?.reason ?? "")
        XCTAssertEqual(v["DEL-03"]?.status, .skipped)
        XCTAssertEqual(v["DEL-03"]?.reason, "token with scope delivery.provider: token obtained with scope delivery.provider, but its use as a bearer token is not judged: \(why)")

        // A capture that kept its headers is judged as before.
        let kept = try HARImporter.read(try quoteCapture(), redactor: Redactor(salt: "t"))
        XCTAssertNil(kept.bearerUnavailable)
        XCTAssertEqual(kept.warnings, [])
    }

    func testTheRunNoteOfAConvertedCaptureCarriesItsFacts() throws {
        let imported = HARImport(warnings: ["w1", "w2"], bearerUnavailable: "w2")
        let note = HARImporter.runNote(imported, salt: "s", capture: "c.har")
        let line = LogCodec.encode(LogEntry(seq: 0, direction: nil, kind: .run, startedAt: 0, run: note))
        let back = try LogCodec.decode(try JSONValue.parse(line), lineNumber: 1).run!
        XCTAssertEqual(back.redactionSalt, "s")
        XCTAssertEqual(HARImporter.importFacts(back).warnings, ["w1", "w2"])
        XCTAssertEqual(HARImporter.importFacts(back).bearerUnavailable, "w2")
        XCTAssertNil(HARImporter.importFacts(RunNote(redactionSalt: "s")).bearerUnavailable, "a run's own log says nothing of the kind")
    }

    func endpoints() throws -> EndpointTable {
        try Repo.spec().endpoints
    }
}
