import XCTest
import OtterCore
import OtterHarness
import TestSupport

/// The bundled checklists, and the errors a checklist author sees.
final class ChecklistTests: XCTestCase {
    func testBundledChecklistsHoldEveryRecordId() throws {
        let want: [IntegrationType: [String]] = [
            .delivery: (1...12).map { String(format: "DEL-%02d", $0) },
            .pos: (1...18).map { String(format: "POS-%02d", $0) },
            .orders: (1...21).map { String(format: "ORD-%02d", $0) },
        ]
        for (type, ids) in want {
            let c = try Repo.checklist(type)
            XCTAssertEqual(c.integrationType, type)
            XCTAssertEqual(c.records.map(\.id), ids)
            for r in c.records {
                XCTAssertFalse(r.rationale.isEmpty, r.id)
                if let w = r.trigger.webhook { XCTAssertNotNil(w.eventType, "\(r.id): fixture \(w.fixture) loaded") }
            }
        }
    }

    func testChecklistSchemaAcceptsTheBundledChecklists() throws {
        let schema = try JSONSchemaValidator(document: try DataFiles.json(Repo.path("checklists/checklist.schema.json")))
        for t in IntegrationType.allCases {
            let doc = try DataFiles.json(Repo.files.checklist(t))
            XCTAssertEqual(schema.validate(doc).map(\.description), [], t.rawValue)
        }
        // …and rejects what the decoder rejects: an unknown key.
        var doc = try DataFiles.json(Repo.files.checklist(.delivery)).objectValue!
        doc["recrods"] = .array([])
        XCTAssertFalse(schema.validate(.object(doc)).isEmpty)
        // …a record without a source, and a source that is neither spec nor policy.
        doc["recrods"] = nil
        var records = doc["records"]!.arrayValue!, r = records[0].objectValue!
        r["source"] = nil; records[0] = .object(r); doc["records"] = .array(records)
        XCTAssertFalse(schema.validate(.object(doc)).isEmpty)
        r["source"] = .object(JSONObject([("process", "Paso 4")])); records[0] = .object(r); doc["records"] = .array(records)
        XCTAssertFalse(schema.validate(.object(doc)).isEmpty)
        r["source"] = .object(JSONObject([("spec", .object(JSONObject([("operation", "pingWebhook"), ("property", "x"), ("quote", "q")])))]))
        records[0] = .object(r); doc["records"] = .array(records)
        XCTAssertFalse(schema.validate(.object(doc)).isEmpty)
        r["source"] = .object(JSONObject([("spec", .object(JSONObject([("operation", "pingWebhook"), ("quote", "q")]))), ("policy", "p")]))
        records[0] = .object(r); doc["records"] = .array(records)
        XCTAssertEqual(schema.validate(.object(doc)).map(\.description), [])
    }

    /// Decodes the delivery checklist with one edit at a record, returning the error text.
    private func error(editing id: String, _ edit: (inout JSONObject) -> Void) -> String {
        let doc = try! Repo.checklistDocument(.delivery, editing: id, edit)
        do { _ = try Checklist(json: doc); return "no error" } catch { return error.description }
    }

    func testMistakesNameTheRecordAndTheJSONPath() {
        XCTAssertEqual(error(editing: "DEL-04") { r in
            var e = r["expect"]!.arrayValue!; var a = e[0].objectValue!; a["withinMS"] = 5; a["withinMs"] = nil; e[0] = .object(a); r["expect"] = .array(e)
        }, "record DEL-04: $.records[3].expect[0]: unknown key 'withinMS' (did you mean 'withinMs'?)")
        XCTAssertEqual(error(editing: "DEL-04") { r in
            var e = r["expect"]!.arrayValue!; var a = e[1].objectValue!; a["kind"] = "requets"; e[1] = .object(a); r["expect"] = .array(e)
        }, "record DEL-04: $.records[3].expect[1].kind: unknown expectation kind 'requets' (did you mean 'request'?); kinds: ack, request, sequence, absent, anyOf, token")
        XCTAssertEqual(error(editing: "DEL-05") { r in r["id"] = "DEL-04" }, "$.records[4].id: duplicate record id 'DEL-04'")
        XCTAssertEqual(error(editing: "DEL-06") { r in r["rationale"] = nil }, "record DEL-06: $.records[5]: missing key 'rationale'")
        XCTAssertTrue(error(editing: "DEL-04") { r in
            var e = r["expect"]!.arrayValue!; var a = e[1].objectValue!; a["path"] = "/v1/delivery/{deliveryRef}/quotes"; e[1] = .object(a); r["expect"] = .array(e)
        }.contains("record DEL-04: $.records[3].expect[1].path: unknown variable '{deliveryRef}'"))
        XCTAssertTrue(error(editing: "DEL-04") { r in
            var e = r["expect"]!.arrayValue!; var a = e[1].objectValue!; a["step"] = "quote"; e[1] = .object(a); r["expect"] = .array(e)
        }.contains("$.records[3].expect[1].step: unknown step 'quote' (steps: trigger)"))
        XCTAssertTrue(error(editing: "DEL-04") { r in
            var e = r["expect"]!.arrayValue!; var a = e[1].objectValue!
            a["fields"] = .array([.object(JSONObject([("path", "$.x"), ("matches", "([a-z")]))]); e[1] = .object(a); r["expect"] = .array(e)
        }.contains("$.records[3].expect[1].fields[0].matches: invalid regular expression"))
    }

    func testLoaderReportsAMissingFixtureWithFileAndRecord() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("otter-cl-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var text = try String(contentsOfFile: Repo.files.checklist(.delivery), encoding: .utf8)
        text = text.replacingOccurrences(of: "\"delivery/accept.json\"", with: "\"delivery/acept.json\"")
        let path = dir.appendingPathComponent("bad.json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try DataFiles.checklist(path, files: Repo.files)) { e in
            XCTAssertTrue("\(e)".contains("bad.json: record DEL-05: webhook fixture 'delivery/acept.json' not found"), "\(e)")
        }
        try "{\"integrationType\": \"delivery\", \"version\": ".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try DataFiles.checklist(path, files: Repo.files)) { e in
            XCTAssertTrue("\(e)".contains("bad.json: line 1, column ") && "\(e)".contains("unexpected end of input"), "\(e)")
        }
    }

    func testPathTemplates() throws {
        let t = try PathTemplate("/v1/delivery/{deliveryReferenceId}/quotes")
        XCTAssertEqual(t.match("/v1/delivery/d-1/quotes", bound: [:]), ["deliveryReferenceId": "d-1"])
        XCTAssertEqual(t.match("/v1/delivery/d-1/quotes", bound: ["deliveryReferenceId": "d-1"]), [:])
        XCTAssertNil(t.match("/v1/delivery/d-2/quotes", bound: ["deliveryReferenceId": "d-1"]))
        XCTAssertNil(t.match("/v1/delivery/d-1/quotes/x", bound: [:]))
        XCTAssertNil(t.match("/v1/delivery//quotes", bound: [:]))
        XCTAssertEqual(t.expand(["deliveryReferenceId": "abc"]), "/v1/delivery/abc/quotes")
        XCTAssertNotNil(try PathTemplate("/v1/delivery/{r}/*").match("/v1/delivery/x/accept", bound: ["r": "x"]))
        XCTAssertNotNil(try PathTemplate("*").match("/anything/at/all", bound: [:]))
        XCTAssertThrowsError(try PathTemplate("v1/orders"))
        XCTAssertThrowsError(try PathTemplate("/v1/orders/x{id}"))
    }

    func testStatusSets() throws {
        let s = try StatusSet("2xx")
        XCTAssertTrue(s.contains(204)); XCTAssertFalse(s.contains(301))
        XCTAssertTrue(try StatusSet("401,403").contains(403))
        XCTAssertThrowsError(try StatusSet("2x"))
        XCTAssertThrowsError(try StatusSet("700"))
    }
}
