import XCTest
import OtterCore
import TestSupport

/// Rules that once demanded more than the OpenAPI allows now follow it: what the spec makes optional, nullable or
/// unbounded passes, and a token is judged by the scope its record's calls need.
final class SpecFitTests: XCTestCase {
    /// The passing log of `type` with one mutation (a case file's `mutations` entry), judged.
    private func verdicts(_ type: IntegrationType, _ mutation: JSONValue) throws -> [String: Verdict] {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("otter-specfit-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: file) }
        let doc = JSONValue.object(JSONObject([("mutations", .array([mutation])), ("expect", .object(JSONObject()))]))
        try doc.serialized().write(to: file, atomically: true, encoding: .utf8)
        let lines = try LogCase(path: file.path).apply(to: try Repo.passingLog(type))
        return Dictionary(uniqueKeysWithValues: try Repo.evaluate(type, lines: lines).verdicts.map { ($0.id, $0) })
    }

    private func setBody(_ record: String, _ pathEndsWith: String, _ path: String, _ value: JSONValue?) -> JSONValue {
        var m = JSONObject([("op", "setBody"), ("where", .object(JSONObject([("record", .string(record)), ("pathEndsWith", .string(pathEndsWith))]))),
                            ("path", .string(path))])
        if let value { m["value"] = value } else { m["remove"] = .bool(true) }
        return .object(m)
    }

    /// RequestDeliveryQuoteCallbackRequest.maxPickupDuration: "If not provided, it will default to 60 minutes or
    /// minPickUpDuration, whichever is greater." A quote without it (or with null) is a good quote.
    func testAQuoteWithoutMaxPickupDurationPasses() throws {
        for value in [nil, JSONValue.null] {
            let v = try verdicts(.delivery, setBody("DEL-04", "/quotes", "maxPickupDuration", value))
            XCTAssertEqual(v["DEL-04"]?.status, .passed, "\(String(describing: value)): \(v["DEL-04"]?.reason ?? "")")
        }
    }

    /// ManagerConfirmOrderRequest.estimatedPrepTimeMinutes is an optional, nullable integer without bounds.
    func testAConfirmWithAnyIntegerNullOrNoPrepTimePasses() throws {
        for value in [nil, JSONValue.null, 0, 600] {
            let v = try verdicts(.pos, setBody("POS-05", "/confirm", "estimatedPrepTimeMinutes", value))
            XCTAssertEqual(v["POS-05"]?.status, .passed, "\(String(describing: value)): \(v["POS-05"]?.reason ?? "")")
        }
    }

    /// ORD-03's trigger is menus.menu_publish, answered by POST /v1/menus/publish, whose security is menus.publish.
    func testTheOrdersTokenRecordAsksForTheScopeItsCallbackNeeds() throws {
        let r = try XCTUnwrap(try Repo.checklist(.orders).record("ORD-03"))
        guard case .token(let t) = r.expect[0] else { return XCTFail("ORD-03 starts with its token expectation") }
        XCTAssertEqual(t.scope, "menus.publish")
        let endpoints = try Repo.spec().endpoints
        XCTAssertEqual(endpoints.endpoint(method: "POST", path: "/v1/menus/publish")?.scope, t.scope)
    }
}
