import XCTest
@testable import OtterCore
import OtterHarness
import TestSupport

/// A source for every rule: every record names one, every spec citation names something the bundled OpenAPI holds
/// and quotes it verbatim, and what the spec does not state is marked policy.
final class ChecklistSourceTests: XCTestCase {
    /// The bundled OpenAPI and process document, read from the repository (never from outside it).
    private func texts() throws -> OpenAPIText {
        let api = try JSONValue.parse(Array(try Data(contentsOf: URL(fileURLWithPath: Repo.path("checklists/" + DataFiles.openAPIPath)))))
        let process = try String(contentsOfFile: Repo.path("checklists/" + DataFiles.processDocumentPath), encoding: .utf8)
        return OpenAPIText(openAPI: api, processDocument: process)
    }

    func testEveryRecordNamesASourceAndEveryCitationIsInTheBundledOpenAPI() throws {
        let t = try texts()
        var citations = 0
        for type in IntegrationType.allCases {
            let c = try Repo.checklist(type)
            XCTAssertFalse(c.policies.isEmpty, "\(type): the checklist-wide policies")
            for r in c.records {
                XCTAssertTrue(r.source.policy != nil || !r.source.spec.isEmpty, "\(r.id) names where its rule comes from")
                let rules = r.sourcedRules
                XCTAssertFalse(rules.isEmpty, r.id)
                for rule in rules { XCTAssertTrue(rule.effective.policy != nil || !rule.effective.spec.isEmpty, "\(r.id): \(rule.label)") }
                citations += ([r.source] + rules.compactMap(\.own)).map(\.spec.count).reduce(0, +)
            }
            // Every operation, schema, property, section, scope, required flag and quote is checked, and so is
            // every quote of the process document.
            XCTAssertEqual(t.problems(in: c).map(\.description), [], "\(type)")
        }
        XCTAssertGreaterThan(citations, 100)
    }

    /// The rules the spec does not state (a time limit, a 4xx for a bad signature, deduplication, an order of
    /// states, ready before fulfil, a retry delay, a call that must not come) are marked policy, with the reason.
    func testWhatTheSpecDoesNotStateIsMarkedPolicy() throws {
        for type in IntegrationType.allCases {
            for r in try Repo.checklist(type).records {
                func walk(_ e: Expectation, _ inherited: RuleSource) {
                    let s = e.source ?? inherited
                    let needsPolicy: String?
                    switch e {
                    case .ack: needsPolicy = "an acknowledgement time limit"
                    case .sequence: needsPolicy = "an order of states"
                    case .absent: needsPolicy = "a call that must not come"
                    case .request(let q) where q.count.max != nil: needsPolicy = "an exactly-once count"
                    case .request(let q) where q.retry != nil: needsPolicy = "a retry"
                    case .request(let q) where !q.requiresEarlier.isEmpty: needsPolicy = "an order of calls"
                    case .anyOf(let a): needsPolicy = nil; a.of.forEach { walk($0, s) }
                    default: needsPolicy = nil
                    }
                    if let what = needsPolicy { XCTAssertNotNil(s.policy, "\(r.id): \(e.label) states \(what), which the spec does not: mark it policy") }
                }
                r.expect.forEach { walk($0, r.source) }
                if r.trigger.webhook?.signature == .invalid || r.trigger.webhook.map({ $0.deliveries > 1 }) == true {
                    XCTAssertNotNil(r.source.policy, "\(r.id): a forged or repeated webhook's handling is policy")
                }
            }
        }
    }

    func testACitationThatIsNotInTheOpenAPIIsFound() throws {
        let t = try texts()
        func problem(_ json: String) throws -> String? {
            t.problem(try SpecCitation(node: JSONNode(try JSONValue.parse(json), path: "$.x")))?.message
        }
        XCTAssertNil(try problem(#"{"operation": "requestDeliveryQuoteCallback", "quote": "Unique identifier of the event that this callback refers to."}"#))
        XCTAssertNil(try problem(#"{"operation": "menuPublishCallback", "scope": "menus.publish", "quote": "Permission to notify the result of a publish menus operation for a given store."}"#))
        XCTAssertNil(try problem(#"{"schema": "Order", "property": "items.quantity", "required": true, "quote": "The quantity of the item ordered by the customer."}"#))
        XCTAssertNil(try problem(#"{"section": "Token Usage", "quote": "Send the token value in the `Authorization` header of every request."}"#))
        XCTAssertEqual(try problem(#"{"operation": "requestDeliveryQuoteCallback", "quote": "Answer within 3 seconds."}"#),
                       #"the quote does not occur verbatim in operation requestDeliveryQuoteCallback's summary and descriptions: "Answer within 3 seconds.""#)
        XCTAssertEqual(try problem(#"{"operation": "requestDeliveryQuoteCallbak", "quote": "x"}"#),
                       "operation 'requestDeliveryQuoteCallbak' is not in the OpenAPI: no operationId in paths or x-webhooks (did you mean 'requestDeliveryQuoteCallback'?)")
        XCTAssertEqual(try problem(#"{"operation": "menuPublishCallback", "scope": "orders.create", "quote": "x"}"#),
                       "operation menuPublishCallback does not require scope 'orders.create' (its security lists: menus.publish)")
        XCTAssertEqual(try problem(#"{"schema": "RequestDeliveryQuoteCallbackRequest", "property": "maxPickupDuration", "required": true, "quote": "x"}"#),
                       "schema RequestDeliveryQuoteCallbackRequest does not list 'maxPickupDuration' as required")
        XCTAssertTrue(try problem(#"{"schema": "RequestDeliveryQuoteCallbackRequest", "property": "cost.baseCots", "quote": "x"}"#)?
            .hasPrefix("schema RequestDeliveryQuoteCallbackRequest.cost has no property 'baseCots' (did you mean 'baseCost'?)") == true)
        XCTAssertEqual(try problem(#"{"schema": "Oder", "quote": "x"}"#), "schema 'Oder' is not in the OpenAPI's components/schemas (did you mean 'Order'?)")
        XCTAssertEqual(try problem(#"{"section": "Token usage", "quote": "x"}"#),
                       "no section 'Token usage' in the OpenAPI's prose (info.description, security schemes) (did you mean 'Token Usage'?)")
        // A quote from another section is not in this one.
        XCTAssertNotNil(try problem(#"{"section": "Expected Response", "quote": "Send the token value in the `Authorization` header of every request."}"#))
        XCTAssertNotNil(t.problem(process: "Si todos los registros fallan"))
        XCTAssertNil(t.problem(process: "Si todos los registros se completan con éxito"))
    }

    /// Decodes the delivery checklist with one edit at a record, returning the error text.
    private func error(editing id: String, _ edit: (inout JSONObject) -> Void) throws -> String {
        let doc = try Repo.checklistDocument(.delivery, editing: id, edit)
        let c: Checklist
        do { c = try Checklist(json: doc) } catch { return error.description }
        return try texts().problems(in: c).first?.description ?? "no error"
    }

    func testMistakesInASourceNameTheRecordAndTheJSONPath() throws {
        XCTAssertEqual(try error(editing: "DEL-06") { r in r["source"] = nil },
                       #"record DEL-06: $.records[5]: missing key 'source': say where this rule comes from, {"spec": {"operation": "…", "quote": "…"}} or {"policy": "why Otter requires it"} (docs/checklist-format.md)"#)
        XCTAssertEqual(try error(editing: "DEL-06") { r in r["source"] = .object(JSONObject()) },
                       #"record DEL-06: $.records[5].source: a source needs 'spec' (what the OpenAPI states) or 'policy' (why Otter requires it): {"spec": {"operation": "…", "quote": "…"}} or {"policy": "why Otter requires it"} (docs/checklist-format.md)"#)
        XCTAssertEqual(try error(editing: "DEL-01") { r in r["source"] = .object(JSONObject([("policy", "x"), ("polcy", "y")])) },
                       "record DEL-01: $.records[0].source: unknown key 'polcy' (did you mean 'policy'?)")
        XCTAssertEqual(try error(editing: "DEL-01") { r in r["source"] = .object(JSONObject([("spec", .object(JSONObject([("operation", "pingWebhook")])))])) },
                       "record DEL-01: $.records[0].source.spec: missing key 'quote'")
        XCTAssertEqual(try error(editing: "DEL-01") { r in
            r["source"] = .object(JSONObject([("spec", .object(JSONObject([("operation", "pingWebhook"), ("schema", "PingEvent"), ("quote", "x")])))]))
        }, "record DEL-01: $.records[0].source.spec: a spec citation names one thing, found operation and schema")
        XCTAssertEqual(try error(editing: "DEL-01") { r in r["source"] = .object(JSONObject([("process", "Paso 4")])) },
                       #"record DEL-01: $.records[0].source: a source needs 'spec' (what the OpenAPI states) or 'policy' (why Otter requires it): {"spec": {"operation": "…", "quote": "…"}} or {"policy": "why Otter requires it"} (docs/checklist-format.md)"#)
        // A quote the spec does not hold, on a field assertion: found with its whole path.
        XCTAssertEqual(try error(editing: "DEL-04") { r in
            var e = r["expect"]!.arrayValue!; var q = e[1].objectValue!; var fs = q["fields"]!.arrayValue!; var f = fs[0].objectValue!
            f["source"] = .object(JSONObject([("spec", .object(JSONObject([("schema", "RequestDeliveryQuoteCallbackRequest"), ("property", "currencyCode"),
                                                                             ("quote", "Upper case, always.")])))]))
            fs[0] = .object(f); q["fields"] = .array(fs); e[1] = .object(q); r["expect"] = .array(e)
        }, #"record DEL-04: $.records[3].expect[1].fields[0].source.spec.quote: the quote does not occur verbatim in the description of schema RequestDeliveryQuoteCallbackRequest.currencyCode: "Upper case, always.""#)
    }

    /// `checklist validate` reads the file through this loader, then checks its sources: a record without one is refused
    /// with the file, the record and the JSON path.
    func testALoadedFileWithARecordWithoutASourceIsRefused() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("otter-src-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        var doc = try DataFiles.json(Repo.files.checklist(.pos)).objectValue!
        var records = doc["records"]!.arrayValue!
        var r = records[6].objectValue!
        r["source"] = nil
        records[6] = .object(r)
        doc["records"] = .array(records)
        let path = dir.appendingPathComponent("no-source.json").path
        try JSONValue.object(doc).serialized(pretty: true).write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try DataFiles.checklist(path, files: Repo.files)) { e in
            XCTAssertEqual("\(e)", #"\#(path): record POS-07: $.records[6]: missing key 'source': say where this rule comes from, {"spec": {"operation": "…", "quote": "…"}} or {"policy": "why Otter requires it"} (docs/checklist-format.md)"#)
        }
        // The bundled data the command checks quotes against.
        XCTAssertEqual(try DataFiles.specTexts(files: Repo.files).problems(in: try Repo.checklist(.pos)).count, 0)
    }
}
