import XCTest
@testable import OtterCore

final class JSONPathTests: XCTestCase {
    let doc: JSONValue = [
        "eventType": "delivery.request_quote",
        "metadata": ["storeId": "s1", "payload": ["id": "p1", "items": [["n": "a"], ["n": "b"], ["n": "c"]]]],
        "na me": 1,
        "quotes": [["fee": 1.5], ["fee": 2.5]],
    ]

    func testSelections() throws {
        let cases: [(String, [JSONValue])] = [
            ("$", [doc]),
            ("$.eventType", ["delivery.request_quote"]),
            ("eventType", ["delivery.request_quote"]),
            ("metadata.payload.id", ["p1"]),
            ("$.metadata.payload.items[0].n", ["a"]),
            ("$.metadata.payload.items[-1].n", ["c"]),
            ("$.metadata.payload.items[-3].n", ["a"]),
            ("$.metadata.payload.items[3]", []),
            ("$.metadata.payload.items[-4]", []),
            ("$.metadata.payload.items[*].n", ["a", "b", "c"]),
            ("$.quotes.*.fee", [1.5, 2.5]),
            ("$['na me']", [1]),
            ("$[\"na me\"]", [1]),
            ("$[ 'metadata' ]['storeId']", ["s1"]),
            ("$.metadata.*", ["s1", doc["metadata"]!["payload"]!]),
            ("$.missing.x", []),
            ("$.eventType.x", []),
            ("$.eventType[0]", []),
            ("quotes[1].fee", [2.5]),
        ]
        for (text, expected) in cases {
            let path = try JSONPath(text)
            XCTAssertEqual(path.select(in: doc), expected, text)
            XCTAssertEqual(path.first(in: doc), expected.first, text)
        }
    }

    func testSingularAndDescription() throws {
        XCTAssertTrue(try JSONPath("a.b[0]").isSingular)
        XCTAssertFalse(try JSONPath("a[*].b").isSingular)
        XCTAssertFalse(try JSONPath("a.*").isSingular)
        XCTAssertEqual(try JSONPath("metadata.payload['na me'][0].*").description, "$.metadata.payload['na me'][0][*]")
        XCTAssertEqual(try JSONPath("$['it\\'s']").description, "$['it\\'s']")
        XCTAssertEqual(try JSONPath("$.a[*]"), try JSONPath("a.*"))
        XCTAssertEqual(try JSONPath("$").segments, [])
        XCTAssertEqual(try JSONPath("[0]").segments, [.index(0)])
    }

    func testErrors() {
        let cases: [(String, Int, String)] = [
            ("", 0, "empty path"),
            ("$.", 2, "expected a member name or '*' after '.'"),
            ("a..b", 1, "recursive descent '..' is not supported"),
            ("$[", 2, "unterminated '['"),
            ("$[0", 3, "expected ']'"),
            ("$['abc]", 2, "unterminated quoted name"),
            ("$[abc]", 2, "expected an index, a quoted name or '*' inside '[ ]'"),
            ("$[-]", 2, "expected digits in array index"),
            ("$x", 1, "unexpected character 'x'; expected '.' or '['"),
            (".a", 0, "a path cannot start with '.'; write '$.name' or 'name'"),
            ("a b", 1, "unexpected character ' '; expected '.' or '['"),
            ("$.a]", 3, "unexpected character ']'; expected '.' or '['"),
        ]
        for (text, position, message) in cases {
            do {
                _ = try JSONPath(text)
                XCTFail("expected an error for \(text)")
            } catch {
                XCTAssertEqual(error.position, position, text)
                XCTAssertEqual(error.message, message, text)
            }
        }
        do {
            _ = try JSONPath("a..b")
        } catch {
            XCTAssertEqual(error.description, "invalid JSONPath 'a..b' at position 1: recursive descent '..' is not supported")
        }
    }
}
