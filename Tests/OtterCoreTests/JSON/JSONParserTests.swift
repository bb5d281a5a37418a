import XCTest
@testable import OtterCore

final class JSONParserTests: XCTestCase {
    private func parseError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> JSONParseError? {
        do {
            let v = try JSONValue.parse(text)
            XCTFail("expected an error for \(text.debugDescription), got \(v)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    private func parseError(bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> JSONParseError? {
        do {
            let v = try JSONValue.parse(bytes)
            XCTFail("expected an error for \(bytes), got \(v)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    // JSONTestSuite-style y_ cases: must parse.
    func testAccepts() throws {
        let accepted: [(String, JSONValue)] = [
            ("y_array_empty", []),
            ("y_object_empty", [:]),
            ("y_array_arraysWithSpaces", [[]]),
            ("y_structure_whitespace", [1]),
            ("y_literals", [true, false, nil]),
            ("y_number_simple", 123),
            ("y_number_negative_zero", .number(-0.0)),
            ("y_number_exp", 1.23e47),
            ("y_number_capital_E_pos", 1e2),
            ("y_number_frac_exp", -1.5e-7),
            ("y_number_after_space", [4]),
            ("y_string_escapes", "\"\\/\u{8}\u{C}\n\r\t"),
            ("y_string_unicode", "\u{123}"),
            ("y_string_surrogate_pair", "\u{1D11E}"),
            ("y_string_utf8", "€𝄞"),
            ("y_string_null_escape", "a\u{0}b"),
            ("y_object_duplicate", ["a": "c"]),
            ("y_object_nested", ["a": ["b": [1, ["c": nil]]]]),
        ]
        let texts: [String: String] = [
            "y_array_empty": "[]",
            "y_object_empty": "{}",
            "y_array_arraysWithSpaces": "[[]   ]",
            "y_structure_whitespace": " \t\r\n[1]\n ",
            "y_literals": "[true,false,null]",
            "y_number_simple": "123",
            "y_number_negative_zero": "-0",
            "y_number_exp": "123e45",
            "y_number_capital_E_pos": "1E+2",
            "y_number_frac_exp": "-1.5e-7",
            "y_number_after_space": "[ 4]",
            "y_string_escapes": #""\"\\\/\b\f\n\r\t""#,
            "y_string_unicode": #""\u0123""#,
            "y_string_surrogate_pair": #""\uD834\uDD1E""#,
            "y_string_utf8": "\"€𝄞\"",
            "y_string_null_escape": #""a\u0000b""#,
            "y_object_duplicate": #"{"a":"b","a":"c"}"#,
            "y_object_nested": #"{"a":{"b":[1,{"c":null}]}}"#,
        ]
        for (name, expected) in accepted {
            let text = try XCTUnwrap(texts[name])
            XCTAssertEqual(try JSONValue.parse(text), expected, name)
        }
    }

    // JSONTestSuite-style n_ cases: must fail, with these messages.
    func testRejects() {
        let rejected: [(String, String, String)] = [
            ("n_empty", "", "unexpected end of input"),
            ("n_whitespace_only", "  \n", "unexpected end of input"),
            ("n_array_trailing_comma", "[1,]", "trailing comma before ']'"),
            ("n_object_trailing_comma", #"{"a":1,}"#, "trailing comma before '}'"),
            ("n_array_missing_comma", "[1 2]", "expected ',' or ']' after array element"),
            ("n_object_missing_colon", #"{"a" 1}"#, "expected ':' after object key"),
            ("n_object_unquoted_key", "{a:1}", "expected '\"' to begin an object key"),
            ("n_object_missing_comma", #"{"a":1 "b":2}"#, "expected ',' or '}' after object member"),
            ("n_comment", "[1]//x", "unexpected data after the JSON value"),
            ("n_block_comment", "/* */1", "expected a JSON value, found '/'"),
            ("n_number_leading_zero", "012", "leading zeros are not allowed"),
            ("n_number_neg_leading_zero", "-01", "leading zeros are not allowed"),
            ("n_number_NaN", "NaN", "expected a JSON value, found 'N'"),
            ("n_number_Infinity", "[Infinity]", "expected a JSON value, found 'I'"),
            ("n_number_minus_infinity", "-Infinity", "expected digit after '-'"),
            ("n_number_plus", "+1", "expected a JSON value, found '+'"),
            ("n_number_dot_start", ".5", "expected a JSON value, found '.'"),
            ("n_number_dot_end", "1.", "unexpected end of input"),
            ("n_number_dot_no_digit", "[1.e3]", "expected digit after '.'"),
            ("n_number_exp_no_digit", "[1e]", "expected digit in exponent"),
            ("n_number_hex", "0x1", "unexpected data after the JSON value"),
            ("n_number_too_big", "1e400", "number out of range"),
            ("n_number_too_small_neg", "-1e400", "number out of range"),
            ("n_literal_truncated", "tru", "unexpected end of input"),
            ("n_literal_wrong", "trUe", "invalid literal; expected 'true'"),
            ("n_literal_capital", "True", "expected a JSON value, found 'T'"),
            ("n_string_single_quote", "['a']", "expected a JSON value, found '''"),
            ("n_string_unterminated", "\"abc", "unexpected end of input"),
            ("n_string_control_char", "\"a\nb\"", "unescaped control character U+000A in string"),
            ("n_string_tab", "\"a\tb\"", "unescaped control character U+0009 in string"),
            ("n_string_bad_escape", #""\x""#, "invalid escape sequence '\\x'"),
            ("n_string_bad_unicode", #""\u12G4""#, "invalid \\u escape: expected 4 hex digits"),
            ("n_string_lone_high", #""\uD800""#, "lone surrogate \\uD800 (high surrogate not followed by a low one)"),
            ("n_string_lone_high_then_char", #""\uD800x""#, "lone surrogate \\uD800 (high surrogate not followed by a low one)"),
            ("n_string_high_high", #""\uD800\uD800""#, "lone surrogate \\uD800 (high surrogate not followed by a low one)"),
            ("n_string_lone_low", #""\uDC00""#, "lone surrogate \\uDC00 (low surrogate without a high one)"),
            ("n_trailing_garbage", "{} x", "unexpected data after the JSON value"),
            ("n_two_values", "1 2", "unexpected data after the JSON value"),
            ("n_truncated_object", #"{"a":"#, "unexpected end of input"),
            ("n_truncated_array", "[1,", "unexpected end of input"),
            ("n_truncated_key", #"{"a"#, "unexpected end of input"),
            ("n_bom", "\u{FEFF}{}", "expected a JSON value, found byte 0xEF"),
            ("n_array_colon", "[1:2]", "expected ',' or ']' after array element"),
            ("n_object_non_string_key", "{1:1}", "expected '\"' to begin an object key"),
        ]
        for (name, text, message) in rejected {
            guard let e = parseError(text) else { continue }
            XCTAssertEqual(e.message, message, name)
        }
    }

    func testEveryPrefixOfAValidDocumentIsTruncated() {
        let text = #"{"a": [1, -2.5e3, true, null, "x\u00e9y"], "b": {"c": false}}"#
        let bytes = Array(text.utf8)
        for k in 0..<bytes.count {
            let prefix = Array(bytes[..<k])
            // Prefixes that happen to be complete values are fine only if a value; otherwise must fail.
            if let e = parseError(bytes: prefix) {
                XCTAssertEqual(e.message, "unexpected end of input", "prefix \(k)")
                XCTAssertEqual(e.offset, k)
            }
        }
        XCTAssertNoThrow(try JSONValue.parse(bytes))
    }

    func testErrorLineAndColumn() {
        let text = "{\n  \"a\": 1,\n  \"b\": 2 \"c\"\n}"
        let e = parseError(text)
        XCTAssertEqual(e?.line, 3)
        XCTAssertEqual(e?.column, 10)
        XCTAssertEqual(e?.offset, 21)
        XCTAssertEqual(e?.description, "line 3, column 10: expected ',' or '}' after object member")
        // Columns count Unicode scalars, not bytes.
        let e2 = parseError("[\"é€\" x]")
        XCTAssertEqual(e2?.line, 1)
        XCTAssertEqual(e2?.column, 7)
    }

    func testDepthBombIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000)
        XCTAssertEqual(parseError(deep)?.message, "nesting depth exceeds 512")
        let deepObjects = String(repeating: #"{"a":"#, count: 100_000)
        XCTAssertEqual(parseError(deepObjects)?.message, "nesting depth exceeds 512")
        // Exactly the limit is fine.
        let ok = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        XCTAssertNoThrow(try JSONValue.parse(ok))
        let tooDeep = String(repeating: "[", count: 513) + String(repeating: "]", count: 513)
        XCTAssertEqual(parseError(tooDeep)?.offset, 512)
    }

    func testEveryKindOfByteIsSeenWhereverItFallsInALongString() throws {
        // A quote, backslash, control byte or non-ASCII byte is seen at every offset of a long string (as a scan
        // several bytes at a time must too), in an unescaped string and in one with an escape before it.
        for prefix in ["", "\\n"] {
            for at in 0..<20 {
                func doc(_ middle: [UInt8]) -> [UInt8] {
                    Array("[\"".utf8) + Array(prefix.utf8) + Array(repeating: UInt8(ascii: "a"), count: at) + middle
                        + Array(repeating: UInt8(ascii: "b"), count: 19 - at) + Array("\"]".utf8)
                }
                func text(_ middle: String) -> String { (prefix.isEmpty ? "" : "\n") + String(repeating: "a", count: at) + middle + String(repeating: "b", count: 19 - at) }
                XCTAssertEqual(try JSONValue.parse(doc(Array(#"\""#.utf8))), [.string(text("\""))], "escaped quote at \(at)")
                XCTAssertEqual(try JSONValue.parse(doc(Array(#"\\"#.utf8))), [.string(text("\\"))], "escaped backslash at \(at)")
                XCTAssertEqual(try JSONValue.parse(doc(Array("é€😀".utf8))), [.string(text("é€😀"))], "UTF-8 at \(at)")
                XCTAssertEqual(try JSONValue.parse(doc(Array("~ !".utf8))), [.string(text("~ !"))], "edges of printable ASCII at \(at)")
                for bad: [UInt8] in [[0x00], [0x1F], [0x0A], [0x80], [0xC3], [0xFF], [0xED, 0xA0, 0x80]] {
                    XCTAssertThrowsError(try JSONValue.parse(doc(bad)), "\(bad) at \(at)")
                }
                // The string ends early: the rest after the quote is not part of it.
                XCTAssertThrowsError(try JSONValue.parse(doc(Array("\"".utf8))), "bare quote at \(at)")
            }
        }
    }

    func testInvalidUTF8() {
        let cases: [[UInt8]] = [
            [0x22, 0xFF, 0x22],  // invalid byte
            [0x22, 0xC3, 0x28, 0x22],  // bad continuation
            [0x22, 0xC0, 0xAF, 0x22],  // overlong
            [0x22, 0xE0, 0x80, 0xAF, 0x22],  // overlong 3-byte
            [0x22, 0xED, 0xA0, 0x80, 0x22],  // encoded surrogate
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22],  // above U+10FFFF
            [0x22, 0x80, 0x22],  // lone continuation
            [0x22, 0x5C, 0x6E, 0xFE, 0x22],  // after an escape (slow path)
        ]
        for c in cases {
            let e = parseError(bytes: c)
            XCTAssertTrue(e?.message.hasPrefix("invalid UTF-8") ?? false, "\(c): \(String(describing: e))")
        }
        XCTAssertEqual(parseError(bytes: [0x22, 0xE2, 0x82])?.message, "unexpected end of input")
        XCTAssertEqual(try JSONValue.parse([0x22, 0xE2, 0x82, 0xAC, 0x22]), "€")
        XCTAssertEqual(try JSONValue.parse([0x22, 0xF0, 0x9D, 0x84, 0x9E, 0x22]), "𝄞")
    }

    func testSurrogatesAndEscapes() throws {
        XCTAssertEqual(try JSONValue.parse(#""\ud83d\ude00""#), "😀")
        XCTAssertEqual(try JSONValue.parse(#""a\u00e9b\n""#), "aéb\n")
        XCTAssertEqual(try JSONValue.parse(#""\u20AC and €""#), "€ and €")
        XCTAssertEqual(parseError(#""\ud83d""#)?.offset, 1)
        XCTAssertEqual(parseError(#""\ud83d\"#)?.message, "unexpected end of input")
    }

    func testNumbers() throws {
        let cases: [(String, Double)] = [
            ("0", 0), ("-0", -0.0), ("1.5e-7", 1.5e-7), ("1E2", 100), ("1e-400", 0),
            ("0.1", 0.1), ("-123.456", -123.456), ("9007199254740993", 9007199254740992),
            ("12345678901234567890", 12345678901234567890), ("1.7976931348623157e308", .greatestFiniteMagnitude),
            ("5e-324", 5e-324), ("0.30000000000000004", 0.30000000000000004), ("1e22", 1e22), ("1e23", 1e23),
            ("123456.789e3", 123456789),
        ]
        for (text, expected) in cases {
            let v = try JSONValue.parse(text)
            XCTAssertEqual(v.doubleValue, expected, text)
            XCTAssertEqual(v.doubleValue?.sign, expected.sign, text)
        }
        XCTAssertEqual(parseError("1e400")?.message, "number out of range")
        XCTAssertEqual(parseError("[1, 2e999]")?.offset, 4)
        XCTAssertEqual(try JSONValue.parse("42").intValue, 42)
        XCTAssertNil(try JSONValue.parse("4.2").intValue)
    }

    func testDuplicateKeysLastWinsFirstPosition() throws {
        let v = try JSONValue.parse(#"{"a":1,"b":2,"a":3}"#)
        XCTAssertEqual(v.objectValue?.keys, ["a", "b"])
        XCTAssertEqual(v["a"], 3)
        XCTAssertEqual(v.serialized(), #"{"a":3,"b":2}"#)
    }

    func testLargeObjectsUseTheIndex() throws {
        var text = "{"
        for k in 0..<100 { text += "\"k\(k)\":\(k)," }
        text += #""k5":"dup"}"#
        let v = try JSONValue.parse(text)
        XCTAssertEqual(v.objectValue?.count, 100)
        XCTAssertEqual(v["k5"], "dup")
        XCTAssertEqual(v["k99"], 99)
        var o = try XCTUnwrap(v.objectValue)
        o["k0"] = nil
        XCTAssertEqual(o.count, 99)
        XCTAssertEqual(o["k1"], 1)
        XCTAssertNil(o["k0"])
        XCTAssertEqual(o.keys.first, "k1")
    }

    func testAccessors() throws {
        let v: JSONValue = ["s": "x", "n": 2.5, "b": true, "a": [1, nil], "o": ["k": "v"]]
        XCTAssertEqual(v["s"]?.stringValue, "x")
        XCTAssertEqual(v["n"]?.doubleValue, 2.5)
        XCTAssertNil(v["n"]?.intValue)
        XCTAssertEqual(v["b"]?.boolValue, true)
        XCTAssertEqual(v["a"]?[1]?.isNull, true)
        XCTAssertNil(v["a"]?[2])
        XCTAssertNil(v["a"]?[-1])
        XCTAssertNil(v[0])
        XCTAssertNil(v["a"]?["k"])
        XCTAssertEqual(v["o"]?.objectValue?.keys, ["k"])
        XCTAssertEqual(v.typeName, "object")
        XCTAssertEqual(JSONValue.number(3).typeName, "number")
        XCTAssertEqual(JSONValue.null.typeName, "null")
        XCTAssertEqual(JSONValue.bool(false).typeName, "boolean")
        // Object equality ignores member order; hashing agrees.
        let x: JSONValue = ["a": 1, "b": 2]
        let y: JSONValue = ["b": 2, "a": 1]
        XCTAssertEqual(x, y)
        XCTAssertEqual(x.hashValue, y.hashValue)
        XCTAssertNotEqual(x, ["a": 1])
    }
}
