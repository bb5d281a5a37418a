import XCTest
@testable import OtterCore

/// The expectation language's field assertions, one by one, with the messages a partner reads.
final class FieldAssertionTests: XCTestCase {
    let body: JSONValue = try! JSONValue.parse("""
    {"currencyCode":"usd","cost":{"baseCost":4.5},"items":[{"quantity":2,"price":3},{"quantity":0,"price":4}],
     "orderTotal":{"subtotal":7,"discount":1,"tax":0.5,"total":6.5},"createdAt":"2026-11-29T10:00:05Z","acceptedAt":"2026-11-29T10:00:01Z",
     "state":"OPEN","list":[],"id":"o-1"}
    """)

    func failure(_ json: String, vars: [String: String] = [:]) throws -> String? {
        let node = JSONNode(try JSONValue.parse(json))
        let fa = try FieldAssertion(node: node)
        return fa.failure(in: body, vars: vars) { RegexPattern($0) }?.reason
    }

    func testEachCheckPassesAndFailsWithAPreciseMessage() throws {
        XCTAssertNil(try failure(#"{"path":"$.id","equals":"{orderId}"}"#, vars: ["orderId": "o-1"]))
        XCTAssertEqual(try failure(#"{"path":"$.id","equals":"{orderId}"}"#, vars: ["orderId": "o-2"]), "$.id was 'o-1', expected 'o-2'")
        XCTAssertNil(try failure(#"{"path":"$.cost","exists":true}"#))
        XCTAssertEqual(try failure(#"{"path":"$.courier","exists":true}"#), "$.courier is missing")
        XCTAssertEqual(try failure(#"{"path":"$.cost","exists":false}"#), #"$.cost must be absent, found {"baseCost":4.5}"#)
        XCTAssertNil(try failure(#"{"path":"$.state","oneOf":["OPEN","OFF_HOUR"]}"#))
        XCTAssertEqual(try failure(#"{"path":"$.state","oneOf":["OFF_HOUR"]}"#), "$.state was 'OPEN', expected one of 'OFF_HOUR'")
        XCTAssertEqual(try failure(#"{"path":"$.currencyCode","matches":"^[A-Z]{3}$"}"#), "$.currencyCode was 'usd', expected to match ^[A-Z]{3}$")
        XCTAssertNil(try failure(#"{"path":"$.cost.baseCost","min":0,"max":10}"#))
        XCTAssertEqual(try failure(#"{"path":"$.items[*].quantity","min":1}"#), "$.items[*].quantity was 0, expected at least 1")
        XCTAssertEqual(try failure(#"{"path":"$.cost.baseCost","max":4}"#), "$.cost.baseCost was 4.5, expected at most 4")
        XCTAssertEqual(try failure(#"{"path":"$.list","nonEmpty":true}"#), "$.list is empty")
        XCTAssertNil(try failure(#"{"path":"$.orderTotal.total","sum":["$.orderTotal.subtotal","-$.orderTotal.discount","$.orderTotal.tax","$.orderTotal.tip"]}"#))
        XCTAssertNil(try failure(#"{"path":"$.orderTotal.subtotal","sum":["$.items[*].price"]}"#))
        XCTAssertEqual(try failure(#"{"path":"$.orderTotal.total","sum":["$.orderTotal.subtotal"]}"#), "$.orderTotal.total was 6.5 but $.orderTotal.subtotal = 7")
        XCTAssertNil(try failure(#"{"path":"$.createdAt","atLeastField":"$.acceptedAt"}"#))
        XCTAssertEqual(try failure(#"{"path":"$.acceptedAt","atLeastField":"$.createdAt"}"#),
                       "$.acceptedAt ('2026-11-29T10:00:01Z') is before/below $.createdAt ('2026-11-29T10:00:05Z')")
    }

    func testOneCheckPerAssertion() {
        XCTAssertThrowsError(try FieldAssertion(node: JSONNode(try JSONValue.parse(#"{"path":"$.a","exists":true,"equals":1}"#)))) { e in
            XCTAssertTrue("\(e)".contains("one check per field assertion, found equals, exists"), "\(e)")
        }
        XCTAssertThrowsError(try FieldAssertion(node: JSONNode(try JSONValue.parse(#"{"path":"$.a"}"#))))
    }

    func testTemplatesExpandOnlyKnownVariables() {
        XCTAssertEqual(expandTemplate("/v1/{a}/{b}", ["a": "x"]), "/v1/x/{b}")
    }
}
