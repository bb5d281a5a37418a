import XCTest
@testable import OtterCore

final class JSONSerializerTests: XCTestCase {
    func testCompactGolden() {
        let v: JSONValue = ["a": 1, "b": [true, nil]]
        XCTAssertEqual(v.serialized(), #"{"a":1,"b":[true,null]}"#)
        XCTAssertEqual(JSONValue.array([]).serialized(), "[]")
        XCTAssertEqual(JSONValue.object([:]).serialized(), "{}")
    }

    func testPrettyGolden() {
        let v: JSONValue = ["a": 1, "b": [true, nil], "c": [:], "d": []]
        XCTAssertEqual(v.serialized(pretty: true), """
            {
              "a": 1,
              "b": [
                true,
                null
              ],
              "c": {},
              "d": []
            }
            """)
    }

    func testSortedKeysByUTF8Bytes() {
        let v: JSONValue = ["b": 1, "a": ["z": 1, "y": 2], "B": 3, "é": 4, "aa": 5]
        XCTAssertEqual(v.serialized(sortedKeys: true), #"{"B":3,"a":{"y":2,"z":1},"aa":5,"b":1,"é":4}"#)
    }

    func testNumbers() {
        let cases: [(Double, String)] = [
            (3, "3"), (-0.0, "0"), (0, "0"), (-42, "-42"), (1.5, "1.5"), (0.1, "0.1"),
            (1e-5, "1e-5"), (1.5e-7, "1.5e-7"), (1e15, "1000000000000000"), (1e16, "1e16"), (-1e20, "-1e20"), (999_999_999_999_999, "999999999999999"),
            (1.5e300, "1.5e300"), (-2.5e-300, "-2.5e-300"), (123456.789, "123456.789"),
            (5e-324, "5e-324"), (.greatestFiniteMagnitude, "1.7976931348623157e308"),
            (.infinity, "null"), (.nan, "null"),
        ]
        for (d, s) in cases {
            XCTAssertEqual(JSONValue.number(d).serialized(), s, "\(d)")
            if d.isFinite {
                XCTAssertEqual(try JSONValue.parse(s).doubleValue, d == 0 ? 0 : d, s)
            }
        }
    }

    func testStringEscaping() {
        let v: JSONValue = .string("q\" b\\ / é 😀 \n\r\t\u{8}\u{C}\u{1}\u{1F}\u{7F}")
        XCTAssertEqual(v.serialized(), #""q\" b\\ / é 😀 \n\r\t\b\f\u0001\u001f"# + "\u{7F}\"")
    }

    func testRoundTrip() throws {
        let texts = [
            #"{"eventId":"e-1","eventTime":"2024-01-01T00:00:00Z","metadata":{"payload":{"a":[1,2.5,-3e-7,"x\ny"],"b":null,"c":false}}}"#,
            #"[[],{},[{}],"\u0000","😀"]"#,
        ]
        for t in texts {
            let v = try JSONValue.parse(t)
            XCTAssertEqual(try JSONValue.parse(v.serialized()), v)
            XCTAssertEqual(try JSONValue.parse(v.serialized(pretty: true)), v)
            XCTAssertEqual(try JSONValue.parse(v.serialized(sortedKeys: true)), v)
            XCTAssertEqual(v.serialized().utf8.count, v.serializedBytes().count)
        }
        XCTAssertEqual(try JSONValue.parse(texts[0]).serialized(), texts[0])
    }
}
