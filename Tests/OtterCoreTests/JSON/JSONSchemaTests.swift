import XCTest
@testable import OtterCore

final class JSONSchemaTests: XCTestCase {
    /// (schema, valid instance, invalid instance, expected "path: message" list for the invalid one)
    typealias Case = (name: String, schema: JSONValue, valid: JSONValue, invalid: JSONValue, expected: [String])

    let cases: [Case] = [
        ("type", ["type": "number"], 1.5, "x", ["$: expected number, found string"]),
        ("type array", ["type": ["string", "null"]], nil, 1, ["$: expected null or string, found number"]),
        ("type integer", ["type": "integer"], 3, 3.5, ["$: expected integer, found number with a fraction"]),
        ("type integer ok 3.0", ["type": "integer"], 3.0, "3", ["$: expected integer, found string"]),
        ("nullable", ["type": "string", "nullable": true], nil, 1, ["$: expected null or string, found number"]),
        ("properties", ["properties": ["fee": ["type": "number"]]], ["fee": 1], ["fee": "1"],
         ["$.fee: expected number, found string"]),
        ("required", ["required": ["a", "b"]], ["a": 1, "b": nil], ["a": 1], [#"$: missing required property "b""#]),
        ("additionalProperties false", ["properties": ["a": true], "additionalProperties": false], ["a": 1],
         ["a": 1, "b x": 2], ["$['b x']: property not allowed (additionalProperties is false)"]),
        ("additionalProperties schema", ["properties": ["a": true], "additionalProperties": ["type": "integer"]],
         ["a": "s", "b": 2], ["a": "s", "b": true], ["$.b: expected integer, found boolean"]),
        ("patternProperties", ["patternProperties": ["^x-": ["type": "string"]], "additionalProperties": false],
         ["x-a": "1"], ["x-a": 1], ["$.x-a: expected string, found number"]),
        ("items", ["items": ["type": "string"]], ["a", "b"], ["a", 2, "c", false],
         ["$[1]: expected string, found number", "$[3]: expected string, found boolean"]),
        ("prefixItems", ["prefixItems": [["type": "string"], ["type": "number"]], "items": false], ["a", 1], ["a", 1, 2],
         ["$[2]: no value is allowed here (schema is false)"]),
        ("enum", ["enum": ["PREPARED", "CANCELED", "FULFILLED"]], "PREPARED", "DONE",
         [#"$: "DONE" is not one of "PREPARED", "CANCELED", "FULFILLED""#]),
        ("const", ["const": "bearer"], "bearer", "Bearer", [#"$: expected constant "bearer", found "Bearer""#]),
        ("pattern", ["pattern": "^[A-Z]{3}$"], "USD", "usd", ["$: string does not match pattern '^[A-Z]{3}$'"]),
        ("pattern unanchored", ["pattern": "b+"], "abbbc", "ac", ["$: string does not match pattern 'b+'"]),
        ("minLength", ["minLength": 2], "é€", "€", ["$: expected at least 2 characters, found 1"]),
        ("maxLength", ["maxLength": 2], "😀😀", "abc", ["$: expected at most 2 characters, found 3"]),
        ("minimum", ["minimum": 0], 0, -1, ["$: expected a number >= 0, found -1"]),
        ("maximum", ["maximum": 10], 10, 10.5, ["$: expected a number <= 10, found 10.5"]),
        ("exclusiveMinimum", ["exclusiveMinimum": 0], 0.1, 0, ["$: expected a number > 0, found 0"]),
        ("exclusiveMaximum", ["exclusiveMaximum": 1], 0.5, 1, ["$: expected a number < 1, found 1"]),
        ("exclusiveMinimum OAS3", ["minimum": 0, "exclusiveMinimum": true], 1, 0, ["$: expected a number > 0, found 0"]),
        ("multipleOf", ["multipleOf": 0.01], 19.99, 19.999, ["$: expected a multiple of 0.01, found 19.999"]),
        ("minItems", ["minItems": 1], [1], [], ["$: expected at least 1 item, found 0"]),
        ("maxItems", ["maxItems": 2], [1, 2], [1, 2, 3], ["$: expected at most 2 items, found 3"]),
        ("uniqueItems", ["uniqueItems": true], [1, "1", ["a": 1]], [["a": 1, "b": 2], 2, ["b": 2, "a": 1]],
         ["$: items 0 and 2 are equal (uniqueItems)"]),
        ("minProperties", ["minProperties": 1], ["a": 1], [:], ["$: expected at least 1 property, found 0"]),
        ("maxProperties", ["maxProperties": 1], ["a": 1], ["a": 1, "b": 2], ["$: expected at most 1 property, found 2"]),
        ("allOf", ["allOf": [["required": ["a"]], ["required": ["b"]]]], ["a": 1, "b": 2], [:],
         [#"$: missing required property "a""#, #"$: missing required property "b""#]),
        ("anyOf", ["anyOf": [["type": "string"], ["type": "object", "required": ["id"]], ["type": "null"]]], "s", ["x": 1],
         [#"$: matches none of 3 alternatives; closest (#2): $: missing required property "id""#]),
        ("oneOf none", ["oneOf": [["type": "integer"], ["type": "string", "minLength": 3]]], "abc", "ab",
         ["$: matches none of 2 alternatives; closest (#2): $: expected at least 3 characters, found 2"]),
        ("oneOf many", ["oneOf": [["type": "number"], ["type": "integer"]]], 1.5, 2,
         ["$: matches 2 of 2 alternatives (#1, #2); expected exactly one"]),
        ("not", ["not": ["type": "null"]], 0, nil, ["$: must not match the schema in 'not'"]),
        ("false schema", false, nil, nil, []),
        ("format date-time", ["format": "date-time"], "2024-02-29T23:59:60.5+05:30", "2023-02-29T10:00:00Z",
         [#"$: not a valid date-time (RFC 3339): "2023-02-29T10:00:00Z""#]),
        ("format date-time no zone", ["format": "date-time"], "2024-01-01t00:00:00z", "2020-10-10T20:06:02:123Z",
         [#"$: not a valid date-time (RFC 3339): "2020-10-10T20:06:02:123Z""#]),
        ("format uuid", ["format": "uuid"], "755fd19a-7562-487a-b615-171a9f89d669", "755fd19a7562487ab615171a9f89d669",
         [#"$: not a valid uuid: "755fd19a7562487ab615171a9f89d669""#]),
        ("format email", ["format": "email"], "a.b@example.com", "a b@example", [#"$: not a valid email address: "a b@example""#]),
        ("format uri", ["format": "uri"], "https://x.example/a?b=1", "/relative", [#"$: not a valid URI: "/relative""#]),
        ("format unknown ignored", ["format": "int64", "type": "integer"], 5, "5", ["$: expected integer, found string"]),
        ("annotations ignored", ["title": "T", "description": "d", "default": 1, "examples": [1], "x-foo": 1,
                                 "deprecated": true, "readOnly": true, "$comment": "c", "type": "number"], 1, "1",
         ["$: expected number, found string"]),
        ("nested path", ["properties": ["quotes": ["items": ["properties": ["fee": ["type": "number"]]]]]],
         ["quotes": [["fee": 1]]], ["quotes": [["fee": 1], ["fee": "2"]]], ["$.quotes[1].fee: expected number, found string"]),
    ]

    func testKeywordTable() throws {
        for c in cases {
            let v = try JSONSchemaValidator(document: c.schema)
            if c.name != "false schema" {
                XCTAssertEqual(v.validate(c.valid).map(\.description), [], "\(c.name) valid")
                XCTAssertEqual(v.validate(c.invalid).map(\.description), c.expected, "\(c.name) invalid")
            } else {
                XCTAssertEqual(v.validate(1).map(\.description), ["$: no value is allowed here (schema is false)"])
            }
        }
    }

    func testNamedSchemasAndRefs() throws {
        let doc: JSONValue = [
            "$defs": [
                "Quote": ["type": "object", "required": ["fee"], "properties": ["fee": ["$ref": "#/$defs/Money"]]],
                "Money": ["type": "number", "minimum": 0],
                "Reply": ["type": "object", "properties": ["quotes": ["type": "array", "items": ["$ref": "#/$defs/Quote"]],
                                                           "currency": ["$ref": "#/$defs/Quote/properties/fee"]]],
            ],
            "definitions": ["Legacy": ["$ref": "#/definitions/Other"], "Other": ["type": "boolean"]],
        ]
        let v = try JSONSchemaValidator(document: doc)
        XCTAssertEqual(v.schemaNames, ["Legacy", "Money", "Other", "Quote", "Reply"])
        XCTAssertEqual(v.validate(["quotes": [["fee": 1], ["fee": -1], ["fee": "x"], [:]], "currency": "USD"], against: "Reply")
                        .map(\.description), [
                            "$.quotes[1].fee: expected a number >= 0, found -1",
                            "$.quotes[2].fee: expected number, found string",
                            #"$.quotes[3]: missing required property "fee""#,
                            "$.currency: expected number, found string",
                        ])
        XCTAssertEqual(v.validate(true, against: "Legacy"), [])
        XCTAssertEqual(v.validate(1, against: "Legacy").map(\.description), ["$: expected boolean, found number"])
        XCTAssertEqual(v.validate(1, against: "Nope").map(\.description), ["$: unknown schema 'Nope'"])
        XCTAssertEqual(v.validate("anything"), [])
        XCTAssertTrue(v.isValid(3, against: "Money"))
    }

    func testDocumentOrderAndCap() throws {
        let v = try JSONSchemaValidator(document: [
            "type": "object",
            "required": ["z"],
            "properties": ["b": ["type": "string"], "a": ["type": "string"]],
            "allOf": [["properties": ["a": ["minLength": 5]]]],
            "additionalProperties": ["type": "integer"],
        ])
        // Members in document order ("a" before "b"), allOf's finding on "a" sorted next to it.
        XCTAssertEqual(v.validate(["a": "x", "b": 1, "c": "s"]).map(\.description), [
            #"$: missing required property "z""#,
            "$.a: expected at least 5 characters, found 1",
            "$.b: expected string, found number",
            "$.c: expected integer, found string",
        ])
        let many = JSONValue.array((0..<200).map { _ in "x" })
        let capped = try JSONSchemaValidator(document: ["items": ["type": "number"]]).validate(many)
        XCTAssertEqual(capped.count, 50)
        XCTAssertEqual(capped.first?.path, "$[0]")
        XCTAssertEqual(capped.last?.path, "$[49]")
    }

    func testRefCyclesTerminate() throws {
        let doc: JSONValue = [
            "$defs": [
                "Self": ["$ref": "#/$defs/Self"],
                "A": ["$ref": "#/$defs/B"],
                "B": ["anyOf": [["$ref": "#/$defs/A"], ["type": "string"]]],
                "Tree": ["type": "object", "properties": ["children": ["type": "array", "items": ["$ref": "#/$defs/Tree"]],
                                                          "name": ["type": "string"]]],
                "Root": ["$ref": "#"],
            ],
        ]
        let v = try JSONSchemaValidator(document: doc)
        XCTAssertEqual(v.validate(1, against: "Self").map(\.description), ["$: circular $ref to #/$defs/Self"])
        XCTAssertEqual(v.validate("s", against: "A"), [])
        XCTAssertFalse(v.validate(1, against: "A").isEmpty)
        XCTAssertEqual(v.validate(1, against: "Root"), [])
        let tree: JSONValue = ["name": "r", "children": [["name": "a", "children": [["name": 1]]]]]
        XCTAssertEqual(v.validate(tree, against: "Tree").map(\.description),
                       ["$.children[0].children[0].name: expected string, found number"])
    }

    func testBadSchemasThrowWithPath() {
        let bad: [(JSONValue, String)] = [
            (["$defs": ["A": ["type": "strin"]]], #"$.$defs.A.type: unknown type "strin""#),
            (["$defs": ["A": ["type": ["string", 1]]]], "$.$defs.A.type[1]: unknown type 1"),
            (["$defs": ["A": ["properties": ["x": 5]]]], "$.$defs.A.properties.x: a schema must be an object or a boolean, found number"),
            (["$defs": ["A": ["$ref": "#/$defs/Missing"]]], "$.$defs.A.$ref: unresolvable $ref '#/$defs/Missing'"),
            (["$defs": ["A": ["$ref": "other.json#/x"]]], ##"$.$defs.A.$ref: only local $refs ("#/...") are supported, found 'other.json#/x'"##),
            (["$defs": ["A": ["pattern": "(unclosed"]]], "$.$defs.A.pattern: invalid regular expression '(unclosed'"),
            (["$defs": ["A": ["minLength": -1]]], "$.$defs.A.minLength: expected a non-negative integer"),
            (["$defs": ["A": ["minimum": "0"]]], "$.$defs.A.minimum: expected a number, found string"),
            (["$defs": ["A": ["required": [1]]]], "$.$defs.A.required[0]: expected a string"),
            (["$defs": ["A": ["anyOf": []]]], "$.$defs.A.anyOf: expected a non-empty array of schemas"),
            (["$defs": ["A": ["multipleOf": 0]]], "$.$defs.A.multipleOf: expected a number greater than 0"),
            (["$defs": 3], "$.$defs: expected an object of schemas"),
            ("str", "$: a schema must be an object or a boolean, found string"),
            (["$defs": ["A": ["exclusiveMinimum": true]]], "$.$defs.A.exclusiveMinimum: boolean exclusiveMinimum needs minimum"),
        ]
        for (doc, expected) in bad {
            do {
                _ = try JSONSchemaValidator(document: doc)
                XCTFail("expected an error: \(expected)")
            } catch {
                XCTAssertEqual(error.description, expected)
            }
        }
    }

    func testNeverCrashesOnOddDocuments() throws {
        // Every JSON value as a schema document either compiles or throws; none crash.
        let odd: [JSONValue] = [nil, 1, [], [:], true, ["$defs": [:]], ["items": [true, false]], ["not": ["not": [:]]],
                                ["$ref": "#/$defs"], ["$defs": ["A": ["$ref": "#/$defs/A/not"], "B": ["not": true]]]]
        for doc in odd {
            if let v = try? JSONSchemaValidator(document: doc) {
                _ = v.validate([1, "a", nil])
                for n in v.schemaNames { _ = v.validate([:], against: n) }
            }
        }
        var deep: JSONValue = ["type": "string"]
        for _ in 0..<1000 { deep = ["not": deep] }
        XCTAssertThrowsError(try JSONSchemaValidator(document: deep))
    }
}
