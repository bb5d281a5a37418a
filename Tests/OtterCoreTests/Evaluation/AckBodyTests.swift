import XCTest
import OtterCore
import OtterCrypto
import OtterHarness
import TestSupport

/// A webhook answered synchronously (`stores.fetch_credentials`, ORD-19) is judged on its answer's body: an `ack`
/// with `schema` and `fields` passes only a body that is JSON, valid against the schema the spec documents for the
/// webhook's answer, and meets the field assertions; each miss says exactly what is wrong.
final class AckBodyTests: XCTestCase {
    /// ORD-19's verdict when the fetch_credentials webhook was answered `status` with `body`.
    func verdict(_ body: String, status: Int = 200, deliveries: Int = 1) throws -> Verdict {
        var checklist = try Repo.checklist(.orders)
        checklist.records = checklist.records.filter { $0.id == "ORD-19" }
        let spec = try Repo.spec()
        let ev = Evaluator(checklist: checklist, endpoints: spec.endpoints, schemas: spec.schemas)
        let text = try String(contentsOfFile: Repo.path("Fixtures/webhooks/stores/fetch_credentials.json"), encoding: .utf8)
        let hook = WebhookFactory.body(fixture: text, vars: WebhookFactory.freshVars(storeId: "store-1", applicationId: "app-1"))
        for d in 0..<deliveries {
            ev.consume(LogEntry(seq: d + 1, record: "ORD-19", step: "trigger", direction: .otterToPartner, kind: .webhook,
                                startedAt: 1_800_000_000 + Double(d) * 0.1, durationMs: 12,
                                request: Message(method: "POST", url: "http://127.0.0.1:9100/webhook", body: hook),
                                response: Message(status: status, body: d == 0 ? body : Self.good)))
        }
        return try XCTUnwrap(ev.finish().verdicts.first)
    }

    static let good = #"{"credentialsSchemaVersion":"1.0","credentials":[{"key":"email","label":"Email"},{"key":"password","label":"Password","inputType":"TEXT"}]}"#

    func testTheRightBodyPasses() throws {
        let v = try verdict(Self.good)
        XCTAssertEqual(v.status, .passed, v.reason)
        XCTAssertTrue(v.reason.contains("acknowledged 200 in 12 ms with a valid ViewCredentialsArray"), v.reason)
    }

    func testEachWrongBodyFailsWithItsReason() throws {
        let cases: [(body: String, status: Int, reason: String)] = [
            ("", 200, "acknowledgement: the answer's body is empty, expected a ViewCredentialsArray"),
            ("OK", 200, "acknowledgement: the answer's body is not JSON, expected a ViewCredentialsArray: OK"),
            (#"{"credentialsSchemaVersion":"1.0","credentials":[{"key":"email"}]}"#, 200,
             #"acknowledgement: the answer's body does not match ViewCredentialsArray: $.credentials[0]: missing required property "label""#),
            (#"{"credentialsSchemaVersion":1,"credentials":"email"}"#, 200,
             "acknowledgement: the answer's body does not match ViewCredentialsArray: $.credentialsSchemaVersion: expected string, found number (and 1 more)"),
            (#"{"credentialsSchemaVersion":"1.0","credentials":[]}"#, 200, "acknowledgement: the answer's body: $.credentials is empty"),
            (#"{"credentials":[{"key":"email","label":"Email"}]}"#, 200, "acknowledgement: the answer's body: $.credentialsSchemaVersion is missing"),
            // The status is judged first: the spec's answer is a 200.
            (Self.good, 202, "acknowledgement: acknowledged with 202, expected 200"),
        ]
        for c in cases {
            let v = try verdict(c.body, status: c.status)
            XCTAssertEqual(v.status, .failed, c.body)
            XCTAssertEqual(v.reason, c.reason, c.body)
            XCTAssertEqual(v.evidence.filter { $0.role == .violation }.count, 1, "the answer is the evidence: \(c.body)")
        }
    }

    /// An answer the log holds only in part is not parsed as JSON: the check fails and says the body is truncated,
    /// with its size and hash, instead of reporting a JSON error in the first 256 KiB.
    func testATruncatedAnswerFailsAsTruncated() throws {
        var checklist = try Repo.checklist(.orders)
        checklist.records = checklist.records.filter { $0.id == "ORD-19" }
        let spec = try Repo.spec()
        let ev = Evaluator(checklist: checklist, endpoints: spec.endpoints, schemas: spec.schemas)
        let text = try String(contentsOfFile: Repo.path("Fixtures/webhooks/stores/fetch_credentials.json"), encoding: .utf8)
        let hook = WebhookFactory.body(fixture: text, vars: WebhookFactory.freshVars(storeId: "store-1", applicationId: "app-1"))
        let padded = Array((#"{"credentialsSchemaVersion":"1.0","pad":""# + String(repeating: "x", count: 300_000) + #"","credentials":[]}"#).utf8)
        var answer = Message(status: 200)
        answer.setBody(padded)
        let sha = Digest.hex(Digest.sha256(padded))
        ev.consume(LogEntry(seq: 1, record: "ORD-19", step: "trigger", direction: .otterToPartner, kind: .webhook,
                            startedAt: 1_800_000_000, durationMs: 12,
                            request: Message(method: "POST", url: "http://127.0.0.1:9100/webhook", body: hook), response: answer))
        let v = try XCTUnwrap(ev.finish().verdicts.first)
        XCTAssertEqual(v.status, .failed)
        XCTAssertEqual(v.reason, "acknowledgement: the answer's body truncated in the log (\(padded.count) bytes, sha256 \(sha)): it cannot be checked as a ViewCredentialsArray")
    }

    func testEveryDeliveryIsJudged() throws {
        // The first of two deliveries answered with an empty body: that delivery is named.
        let v = try verdict("", deliveries: 2)
        XCTAssertEqual(v.status, .failed)
        XCTAssertEqual(v.reason, "acknowledgement: delivery 1: the answer's body is empty, expected a ViewCredentialsArray")
    }

    /// The schema must be one the spec documents for the webhook's answer with that status.
    func testAnAnswerSchemaTheSpecDoesNotDocumentIsRefused() throws {
        var doc = try DataFiles.json(Repo.files.checklist(.orders)).objectValue!
        var records = doc["records"]!.arrayValue!
        let i = records.firstIndex { $0["id"] == "ORD-19" }!
        var r = records[i].objectValue!
        var expect = r["expect"]!.arrayValue!
        var a = expect[0].objectValue!
        a["schema"] = "ErrorMessage"
        expect[0] = .object(a); r["expect"] = .array(expect); records[i] = .object(r); doc["records"] = .array(records)
        let files = Repo.files
        let checklist = try Checklist(json: .object(doc)) { try? DataFiles.json(files.webhookFixture($0)) }
        let problems = ChecklistAudit.problems(checklist, spec: try Repo.spec())
        XCTAssertEqual(problems, ["record ORD-19: the answer to step 'trigger' (stores.fetch_credentials) is checked against ErrorMessage for status 200, which is not an answer Public API v1 documents for fetchCredentialsWebhook (it documents: 200 ViewCredentialsArray, 400 ErrorMessage, 401 ErrorMessage, 403 ErrorMessage, 404 ErrorMessage)"])
        // On a webhook that documents no answer body at all (stores.remove, ORD-21), any schema is refused.
        var r21 = records.first { $0["id"] == "ORD-21" }!.objectValue!
        var e21 = r21["expect"]!.arrayValue!
        var a21 = e21[0].objectValue!
        a21["schema"] = "ViewCredentialsArray"
        e21[0] = .object(a21); r21["expect"] = .array(e21)
        records[records.firstIndex { $0["id"] == "ORD-21" }!] = .object(r21); doc["records"] = .array(records)
        let again = ChecklistAudit.problems(try Checklist(json: .object(doc)) { try? DataFiles.json(files.webhookFixture($0)) }, spec: try Repo.spec())
        XCTAssertEqual(again.count, 2, again.joined(separator: "\n"))
        XCTAssertTrue(again[1].hasPrefix("record ORD-21: the answer to step 'trigger' (stores.remove) is checked against ViewCredentialsArray"), again[1])
    }

    func testTheFormatRefusesAMisspeltKeyOnAnAck() throws {
        var doc = try DataFiles.json(Repo.files.checklist(.orders)).objectValue!
        var records = doc["records"]!.arrayValue!
        let i = records.firstIndex { $0["id"] == "ORD-19" }!
        var r = records[i].objectValue!
        var expect = r["expect"]!.arrayValue!
        var a = expect[0].objectValue!
        a["schema"] = nil; a["shema"] = "ViewCredentialsArray"
        expect[0] = .object(a); r["expect"] = .array(expect); records[i] = .object(r); doc["records"] = .array(records)
        XCTAssertThrowsError(try Checklist(json: .object(doc))) { e in
            XCTAssertEqual("\(e)", "record ORD-19: $.records[18].expect[0]: unknown key 'shema' (did you mean 'schema'?)")
        }
    }
}
