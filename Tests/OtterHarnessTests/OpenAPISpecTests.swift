import Foundation
import OtterCore
import OtterHarness
import TestSupport
import XCTest

/// The bundled OpenAPI description, as the harness reads it, and the webhooks the harness sends, checked against it.
final class OpenAPISpecTests: XCTestCase {
    func testTheEndpointTableIsTheSpecs() throws {
        let spec = try Repo.spec()
        XCTAssertEqual(spec.title, "Public API")
        XCTAssertEqual(spec.endpoints.endpoints.count, 80, "every operation of the spec's paths")
        XCTAssertEqual(spec.webhooks.count, 27, "every x-webhooks entry")

        let status = try XCTUnwrap(spec.endpoints.endpoint(method: "PUT", path: "/v1/delivery/d-1/status"))
        XCTAssertEqual(status.operationId, "updateDeliveryStatus")
        XCTAssertEqual(status.scope, "delivery.provider")
        XCTAssertEqual(status.ratePerMinute, 8)
        XCTAssertEqual(status.bodySchema, "DeliveryStatusUpdateRequest")
        XCTAssertEqual(status.answers, [204, 400, 401, 403, 404, 422])
        XCTAssertNil(status.success?.schema, "204 has no body")

        let list = try XCTUnwrap(spec.endpoints.endpoint(method: "GET", path: "/manager/order/v1/orders"))
        XCTAssertEqual(list.requiredQuery, ["limit"])
        XCTAssertEqual(list.requiredHeaders, ["X-Store-Id"])

        let ping = try XCTUnwrap(spec.endpoints.endpoint(method: "GET", path: "/v1/ping"))
        XCTAssertEqual(ping.success?.schema, "PongObject")
        XCTAssertEqual(ping.success?.example?["response"], "pong")

        let token = try XCTUnwrap(spec.endpoints.endpoint(method: "POST", path: "/v1/auth/token"))
        XCTAssertEqual(token.bodyContentType, "application/x-www-form-urlencoded")
        XCTAssertEqual(token.bodySchema, "OAuthTokenGenerationRequest")

        for scope in ["orders.read", "reports.generate_report", "finance", "delivery.provider", "callback.error.write", "store.read"] {
            XCTAssertTrue(spec.scopes.contains(scope), scope)
        }
        let quotes = try XCTUnwrap(spec.webhook(eventType: "delivery.request_quote"))
        XCTAssertEqual(quotes.payloadSchema, "RequestDeliveryQuoteEvent")
        XCTAssertEqual(try XCTUnwrap(spec.webhook(eventType: "stores.fetch_credentials")).responses.first?.schema != nil, true,
                       "fetch_credentials is answered with a body")
    }

    func testTheSchemasTranslatedOnASecondThreadAreThoseTranslatedInline() throws {
        // DataFiles.spec translates the component schemas aside while it reads the operations; the document (with its
        // order: components, then the inline bodies and webhooks) must be the one a single pass builds.
        let file = Repo.files.checklistsFile(DataFiles.openAPIPath)
        let inline = try OpenAPISpec(document: try DataFiles.json(file)).schemaDocument
        let aside = try DataFiles.spec(files: Repo.files).schemaDocument
        XCTAssertEqual(aside.serialized(), inline.serialized())
        XCTAssertGreaterThan(inline["$defs"]?.objectValue?.count ?? 0, 100)
    }

    func testTranslationToDraft2020() throws {
        let doc = try Repo.spec().schemaDocument
        let text = doc.serialized()
        XCTAssertFalse(text.contains("\"nullable\""), "OpenAPI's nullable is translated, not kept")
        XCTAssertFalse(text.contains("#/components/"), "every reference points into $defs")
        XCTAssertFalse(text.contains("\"exclusiveMinimum\":true") || text.contains("\"exclusiveMinimum\":false"))
        XCTAssertEqual(doc["$schema"], "https://json-schema.org/draft/2020-12/schema")

        let v = try Repo.spec().schemas
        // A nullable string takes null, and still refuses a number.
        XCTAssertEqual(v.validate(["maxPickupDuration": .null], against: "RequestDeliveryQuoteCallbackRequest"), [])
        XCTAssertFalse(v.validate(["currencyCode": 5], against: "RequestDeliveryQuoteCallbackRequest").isEmpty)
        XCTAssertEqual(v.validate(["estimatedPrepTimeMinutes": .null], against: "ManagerConfirmOrderRequest"), [])
        let token: JSONValue = ["access_token": "abc", "expires_in": 2627999, "scope": "ping orders.create", "token_type": "bearer"]
        XCTAssertEqual(v.validate(token, against: "HydraToken"), [])
        XCTAssertEqual(v.validate(["access_token": 1], against: "HydraToken").map(\.description), ["$.access_token: expected string, found number"])
    }

    func testTheUnpausePayloadContradictionIsResolvedForTheWebhook() throws {
        let v = try Repo.spec().schemas
        let unpause: JSONValue = ["eventId": "c75d9460-5d48-423d-8d01-f825fd5b1672", "eventTime": "2007-12-03T10:15:30+01:00",
                                  "eventType": "storefront.unpause_store", "metadata": ["storeId": "s", "payload": "closure-1"]]
        XCTAssertEqual(v.validate(unpause, against: "webhook:storefront.unpause_store"), [], "a string payload, as UnpauseStoreEvent says")
        var wrong = unpause
        wrong = ["eventId": "c75d9460-5d48-423d-8d01-f825fd5b1672", "eventType": "storefront.unpause_store", "metadata": ["payload": ["id": "x"]]]
        XCTAssertFalse(v.validate(wrong, against: "webhook:storefront.unpause_store").isEmpty, "an object is not a closure id")
        let other: JSONValue = ["eventId": "c75d9460-5d48-423d-8d01-f825fd5b1672", "eventType": "orders.new_order", "metadata": ["payload": [:]]]
        XCTAssertFalse(v.validate(other, against: "webhook:storefront.unpause_store").isEmpty, "the event type is the webhook's")
    }

    /// Every webhook a run can send, filled the way a run fills it, is valid against its webhook's schema in the spec.
    func testEveryFixtureIsValidAgainstTheSpec() throws {
        let spec = try Repo.spec()
        let folder = URL(fileURLWithPath: Repo.path("Fixtures/webhooks"))
        let files = try XCTUnwrap(FileManager.default.enumerator(atPath: folder.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".json") }
        XCTAssertGreaterThanOrEqual(files.count, 19)
        var invalid: [String] = []
        for rel in files.sorted() {
            let text = try String(contentsOf: folder.appendingPathComponent(rel), encoding: .utf8)
            let body = WebhookFactory.body(fixture: text, vars: WebhookFactory.freshVars(storeId: "store-1", applicationId: "app-1"))
            let json = try JSONValue.parse(Array(body.utf8))
            guard let type = json["eventType"]?.stringValue, let hook = spec.webhook(eventType: type) else {
                invalid.append("\(rel): eventType \(json["eventType"]?.serialized() ?? "missing") is not a webhook of the spec"); continue
            }
            for v in spec.schemas.validate(json, against: hook.schema) { invalid.append("\(rel) (\(type)): \(v.description)") }
        }
        XCTAssertEqual(invalid, [], "\n" + invalid.joined(separator: "\n"))
    }

    /// docs/openapi.md's "Webhooks and the checklists" names, for each of the spec's webhooks, exactly the records that
    /// send it (as a setup step or the trigger), with the optional ones marked, or says why none does; and every
    /// webhook of the spec is sent by some record.
    func testEveryWebhookIsSentByTheRecordsTheDocsName() throws {
        let spec = try Repo.spec()
        var sent: [String: [(id: String, required: Bool)]] = [:]
        for type in IntegrationType.allCases {
            for r in try Repo.checklist(type).records {
                for t in Set(r.steps.compactMap { $0.webhook?.eventType }) { sent[t, default: []].append((r.id, r.required)) }
            }
        }
        let doc = try String(contentsOfFile: Repo.path("docs/openapi.md"), encoding: .utf8)
        let section = try XCTUnwrap(doc.components(separatedBy: "## Webhooks and the checklists").dropFirst().first?
            .components(separatedBy: "\n## ").first, "docs/openapi.md has no 'Webhooks and the checklists' section")
        var documented: [String: String] = [:]
        for line in section.split(separator: "\n") where line.hasPrefix("| `") {
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            documented[cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "`"))] = cells[3]
        }
        XCTAssertEqual(Set(documented.keys), Set(spec.webhooks.map(\.eventType)), "one row per webhook of the spec")
        for hook in spec.webhooks {
            let t = hook.eventType
            let want = (sent[t] ?? []).sorted { $0.id < $1.id }.map { $0.required ? $0.id : "\($0.id) (optional)" }
            let cell = documented[t] ?? ""
            if want.isEmpty {
                XCTAssertTrue(cell.hasPrefix("not certified"), "\(t): no record sends it, and the docs do not say why")
            } else {
                let named = cell.components(separatedBy: ", ").sorted()
                XCTAssertEqual(named, want.sorted(), "\(t): the records that send it")
            }
        }
        XCTAssertEqual(spec.webhooks.filter { sent[$0.eventType] == nil }.map(\.eventType), [], "webhooks no record sends")
    }

    /// A checklist naming what the spec does not have is refused, with every problem named, instead of judging nothing.
    func testAChecklistNamingWhatTheSpecLacksIsRefused() throws {
        let doc = try Repo.checklistDocument(.delivery, editing: "DEL-03") { record in  // a request expectation
            var expect = record["expect"]!.arrayValue!
            let at = expect.firstIndex { $0["kind"] == "request" }!
            var request = expect[at].objectValue!
            request["schema"] = "NoSuchSchema"
            request["path"] = "/v1/delivery/{deliveryReferenceId}/quotez"
            expect[at] = .object(request)
            record["expect"] = .array(expect)
            record["trigger"] = ["action": "delivery.teleport", "instructions": "x"]
        }
        let checklist = try Checklist(json: doc)
        let problems = ChecklistAudit.problems(checklist, spec: try Repo.spec())
        XCTAssertEqual(problems.count, 3, problems.joined(separator: "\n"))
        XCTAssertTrue(problems.contains { $0.contains("schema 'NoSuchSchema' is not defined in Public API v1") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("/quotez, which is not an operation of Public API v1") }, "\(problems)")
        XCTAssertTrue(problems.contains { $0.contains("the action 'delivery.teleport', which is not one of") }, "\(problems)")
    }

    /// The conformance check the end-to-end runs use can fail, for each way an answer can depart from the spec.
    func testSpecConformanceFindsEachKindOfDeparture() throws {
        let spec = try Repo.spec()
        func call(_ method: String, _ path: String, _ status: Int, _ body: String) -> LogEntry {
            LogEntry(seq: 1, direction: .partnerToOtter, kind: .callback, startedAt: 0,
                     request: Message(method: method, url: "http://127.0.0.1:1" + path), response: Message(status: status, body: body))
        }
        let ok = [call("PUT", "/v1/delivery/d-1/status", 204, ""), call("GET", "/v1/ping", 200, #"{"response":"pong"}"#),
                  call("GET", "/v1/ping", 401, #"{"message":"no token"}"#), call("GET", "/v1/ping", 429, ""),
                  call("GET", "/v1/ping", 503, "busy"), call("GET", "/v1/nowhere", 404, "x")]
        XCTAssertEqual(SpecConformance.problems(in: ok, spec: spec), [])
        let bad = [call("PUT", "/v1/delivery/d-1/status", 204, #"{"status":"OK"}"#), call("GET", "/v1/ping", 200, #"{"response":5}"#),
                   call("GET", "/v1/ping", 409, "{}"), call("GET", "/v1/ping", 200, "pong")]
        let problems = SpecConformance.problems(in: bad, spec: spec)
        XCTAssertEqual(problems.count, 4, problems.joined(separator: "\n"))
        XCTAssertTrue(problems[0].contains("the spec documents no body"), problems[0])
        XCTAssertTrue(problems[1].contains("$.response: expected string"), problems[1])
        XCTAssertTrue(problems[2].contains("not a status the spec documents for ping"), problems[2])
        XCTAssertTrue(problems[3].contains("not JSON"), problems[3])
        let hook = LogEntry(seq: 2, direction: .otterToPartner, kind: .webhook, startedAt: 0,
                            request: Message(method: "POST", url: "http://p/webhook",
                                             body: #"{"eventId":"c75d9460-5d48-423d-8d01-f825fd5b1672","eventType":"menus.upsert_hours","metadata":{"payload":{}}}"#))
        XCTAssertEqual(SpecConformance.problems(in: [hook], spec: spec), ["webhook menus.upsert_hours: $.metadata.payload: missing required property \"menuHoursData\""])
    }

    func testEveryBundledChecklistFitsTheSpec() throws {
        let spec = try Repo.spec()
        for type in IntegrationType.allCases {
            XCTAssertEqual(ChecklistAudit.problems(try Repo.checklist(type), spec: spec), [], type.rawValue)
        }
    }
}
